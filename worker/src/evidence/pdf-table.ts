import type PDFDocument from "pdfkit";

type Doc = InstanceType<typeof PDFDocument>;

export interface Column {
  header: string;
  /** Share of the usable width (the shares of a table add up to 1). */
  width: number;
  align?: "left" | "right";
}

const FONT_SIZE = 8.5;
const PAD = 3;

/** Usable width of the page between the margins. */
export const contentWidth = (doc: Doc) => doc.page.width - doc.page.margins.left - doc.page.margins.right;
const bottom = (doc: Doc) => doc.page.height - doc.page.margins.bottom;

/** Starts a new page when fewer than `height` points are left on this one. */
export function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > bottom(doc)) doc.addPage();
}

function rowHeight(doc: Doc, cells: readonly string[], widths: readonly number[]): number {
  let h = 0;
  cells.forEach((cell, i) => {
    h = Math.max(h, doc.heightOfString(cell || " ", { width: widths[i]! - 2 * PAD }));
  });
  return h + 2 * PAD;
}

function drawRow(
  doc: Doc,
  cells: readonly string[],
  columns: readonly Column[],
  widths: readonly number[],
  opts: { header: boolean; shade: boolean },
): void {
  const left = doc.page.margins.left;
  const top = doc.y;
  doc.font(opts.header ? "Helvetica-Bold" : "Helvetica").fontSize(FONT_SIZE);
  const h = rowHeight(doc, cells, widths);
  if (opts.header || opts.shade) {
    doc
      .save()
      .rect(left, top, contentWidth(doc), h)
      .fill(opts.header ? "#e4e7ec" : "#f6f7f9")
      .restore();
  }
  doc.fillColor("#111111");
  let x = left;
  cells.forEach((cell, i) => {
    const width = widths[i]!;
    doc.text(cell, x + PAD, top + PAD, {
      width: width - 2 * PAD,
      align: columns[i]!.align ?? "left",
      lineBreak: true,
    });
    x += width;
  });
  doc.x = left;
  doc.y = top + h;
}

/**
 * Draws a table of already-safe strings (see `safeText`), breaking pages between rows and
 * repeating the header row on each new page.
 */
export function drawTable(doc: Doc, columns: readonly Column[], rows: readonly (readonly string[])[]): void {
  const total = contentWidth(doc);
  const widths = columns.map((c) => c.width * total);
  const headers = columns.map((c) => c.header);
  doc.font("Helvetica-Bold").fontSize(FONT_SIZE);
  ensureSpace(doc, rowHeight(doc, headers, widths) * 2);
  drawRow(doc, headers, columns, widths, { header: true, shade: false });
  rows.forEach((row, index) => {
    doc.font("Helvetica").fontSize(FONT_SIZE);
    if (doc.y + rowHeight(doc, row, widths) > bottom(doc)) {
      doc.addPage();
      drawRow(doc, headers, columns, widths, { header: true, shade: false });
    }
    drawRow(doc, row, columns, widths, { header: false, shade: index % 2 === 1 });
  });
  doc.moveDown(0.8);
}
