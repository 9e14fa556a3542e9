/**
 * Renders rows as a kubectl-style table: upper-case headers, columns left-aligned and separated
 * by three spaces, no trailing spaces. Empty cells are kept empty. Pure.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  indent = "",
): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ""))));
  return all
    .map(
      (row) =>
        indent +
        headers
          .map((_, i) => pad(row[i] ?? "", i === headers.length - 1 ? 0 : (widths[i] ?? 0)))
          .join("   ")
          .trimEnd(),
    )
    .join("\n")
    .concat("\n");
}

function pad(text: string, to: number): string {
  return text + " ".repeat(Math.max(0, to - width(text)));
}

/** Display width in terminal cells, counting each code point as one (good enough for names). */
function width(text: string): number {
  return [...text].length;
}
