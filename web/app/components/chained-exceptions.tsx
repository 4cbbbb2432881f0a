import { type ChainRelation, chainedExceptions } from "../utils/stack-chain";

const RELATION: Record<ChainRelation, string> = {
  cause: "Caused by",
  context: "Raised while handling",
  suppressed: "Suppressed",
};

/** The exceptions chained to the reported one, split from the raw trace (text only). */
export function ChainedExceptions({ stacktrace }: { stacktrace: string | null }) {
  const blocks = chainedExceptions(stacktrace);
  if (blocks.length === 0) return null;
  return (
    <section className="chain" aria-labelledby="chain-h">
      <h3 id="chain-h">Chained exceptions</h3>
      <ol className="chain-list">
        {blocks.map((b, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the chain's order is its identity
          <li key={i} className="chained">
            <p className="chain-head">
              <span className="chain-relation">{RELATION[b.relation]}</span>{" "}
              <span className="exc-type">{b.header || "(no message)"}</span>
            </p>
            {b.lines.length > 0 ? (
              <pre className="chain-frames">
                {b.lines.join("\n")}
                {b.omitted > 0 ? `\n… ${b.omitted} more lines (see the raw stack trace)` : ""}
              </pre>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
