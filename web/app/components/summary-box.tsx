interface Summary {
  source: "llm" | "heuristic";
  text: string;
  likelyCause: string | null;
  suggestedFix: string | null;
}

/** The issue's summary, labelled by where it came from. All text is rendered as text. */
export function SummaryBox({ summary }: { summary: Summary | null }) {
  if (!summary) {
    return (
      <section className="card summary summary-none" aria-label="Summary">
        <h2>Summary</h2>
        <p className="muted">No summary yet. One is written when the issue is first seen or regresses.</p>
      </section>
    );
  }
  const label = summary.source === "llm" ? "AI summary" : "Heuristic summary";
  return (
    <section className={`card summary summary-${summary.source}`} aria-label={label}>
      <h2>{label}</h2>
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
