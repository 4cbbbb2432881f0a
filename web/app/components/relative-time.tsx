import { formatUtc, relativeTime } from "../utils/format";

/** "5 min ago", with the exact ISO time as tooltip and machine-readable value. */
export function RelativeTime({ iso, now }: { iso: string; now: string }) {
  return (
    <time dateTime={iso} title={`${formatUtc(iso)} (${iso})`}>
      {relativeTime(iso, now)}
    </time>
  );
}
