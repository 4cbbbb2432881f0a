/**
 * CSV per RFC 4180 (CRLF line ends; a field holding a comma, quote, CR or LF is quoted, with
 * quotes doubled), safe to open in a spreadsheet: a cell that starts with `=`, `+`, `-`, `@`, tab
 * or CR is prefixed with a single quote, so no user-controlled text runs as a formula (OWASP
 * "CSV Injection").
 */

export type CsvValue = string | number | boolean | Date | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell: neutralised against formulas, then quoted when needed. `null`/`undefined` → empty. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF-terminated. */
export const csvRow = (values: readonly CsvValue[]): string => `${values.map(csvCell).join(",")}\r\n`;

/** A header record and the rows, as one string. */
export const toCsv = (header: readonly string[], rows: Iterable<readonly CsvValue[]>): string => {
  let out = csvRow(header);
  for (const row of rows) out += csvRow(row);
  return out;
};
