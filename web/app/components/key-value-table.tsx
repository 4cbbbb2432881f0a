/** A two-column table of attributes; keys and values are rendered as text. */
export function KeyValueTable({ entries, empty }: { entries: Array<[string, unknown]>; empty: string }) {
  if (entries.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="kv">
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v === null || v === undefined ? "—" : String(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
