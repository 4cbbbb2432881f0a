interface Summary {
  source: "llm" | "heuristic";
  title: string | null;
  text: string;
  likelyCause: string | null;
  suggestedFix: string | null;
  confidence: number | null;
}

/** The issue's summary, labelled by where it came from. All text is rendered as text. */
export function SummaryBox({ summary, model }: { summary: Summary | null; model?: string | null }) {
  if (!summary) {
    return (
      <section className="card summary summary-none" aria-label="Summary">
        <h2>Summary</h2>
        <p className="muted">No summary yet. One is written when the issue is first seen or regresses.</p>
      </section>
    );
  }
  const llm = summary.source === "llm";
  const label = llm ? "AI summary" : "Heuristic summary";
  const confidence =
    llm && summary.confidence !== null && Number.isFinite(summary.confidence)
      ? Math.round(Math.min(1, Math.max(0, summary.confidence)) * 100)
      : null;
  return (
    <section className={`card summary summary-${summary.source}`} aria-label={label}>
      <div className="card-head">
        <h2>{label}</h2>
        <span className="summary-meta muted small">
          {llm ? (
            <>
              {model ? <span className="mono">{model}</span> : "LLM"}
              {confidence !== null ? <span> · confidence {confidence}%</span> : null}
            </>
          ) : (
            "Rule-based, no LLM involved"
          )}
        </span>
      </div>
      {llm && summary.title ? <p className="summary-title">{summary.title}</p> : null}
      <p className="summary-text">{summary.text}</p>
      {summary.likelyCause ? (
        <>
          <h3>Likely cause</h3>
          <p>{summary.likelyCause}</p>
        </>
      ) : null}
      {summary.suggestedFix ? (
        <>
          <h3>Suggested fix</h3>
          <p>{summary.suggestedFix}</p>
        </>
      ) : null}
    </section>
  );
}
