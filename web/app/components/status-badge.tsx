import { statusLabel } from "../utils/format";

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{statusLabel(status)}</span>;
}

export function SummaryLabel({ source }: { source: "llm" | "heuristic" | null | undefined }) {
  if (!source) return <span className="muted">—</span>;
  return source === "llm" ? (
    <span className="badge badge-llm">AI</span>
  ) : (
    <span className="badge badge-heuristic">Heuristic</span>
  );
}
