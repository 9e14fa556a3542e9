/**
 * Keeps the user's own lines after a document was re-rendered. A re-rendered YAML document
 * differs from what the user wrote in more than the edited values: the spacing before a comment,
 * inside flow collections, at the end of lines. {@link keepOriginalLines} aligns the lines of the
 * old and new text (longest common subsequence of their normalised forms) and takes the old line
 * wherever the two are the same but for such spacing, so only the lines that really changed
 * differ. Callers must check the result by parsing it: normalising can equate two lines that a
 * YAML parser would read differently (spacing inside a quoted string). Pure.
 */

/** Above this many differing lines on each side the alignment is skipped (it is quadratic). */
const MAX_ALIGNED_LINES = 3000;

/** `after`, with every line that differs from its counterpart in `before` only in spacing restored. */
export function keepOriginalLines(before: string, after: string): string {
  if (before === after) return after;
  const a = before.split("\n");
  const b = after.split("\n");
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = rejoinComments(b.slice(head, b.length - tail), new Set(midA.map(normalize)));
  if (midA.length > MAX_ALIGNED_LINES || midB.length > MAX_ALIGNED_LINES) return after;
  const merged = align(midA, midB);
  return [...b.slice(0, head), ...merged, ...b.slice(b.length - tail)].join("\n");
}

/**
 * The renderer moves the comment of a line that opens a block collection (`spec:  # note`) to a
 * line of its own below it. Where the original has the line with its comment, join them again.
 */
function rejoinComments(lines: readonly string[], original: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const comment = /^\s*(#.*)$/.exec(line)?.[1];
    const prev = out.at(-1);
    if (comment !== undefined && prev !== undefined && !prev.includes("#")) {
      const joined = `${prev} ${comment}`;
      if (original.has(normalize(joined))) {
        out[out.length - 1] = joined;
        continue;
      }
    }
    out.push(line);
  }
  return out;
}

/** The lines of `b`, with the lines matched to an equivalent line of `a` replaced by it. */
function align(a: readonly string[], b: readonly string[]): string[] {
  const na = a.map(normalize);
  const nb = b.map(normalize);
  const rows = a.length + 1;
  const cols = b.length + 1;
  // lcs[i * cols + j]: length of the LCS of na[i..] and nb[j..]
  const lcs = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * cols + j] =
        na[i] === nb[j]
          ? (lcs[(i + 1) * cols + j + 1] ?? 0) + 1
          : Math.max(lcs[(i + 1) * cols + j] ?? 0, lcs[i * cols + j + 1] ?? 0);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (j < b.length) {
    if (i < a.length && na[i] === nb[j]) {
      out.push(a[i] ?? "");
      i++;
      j++;
    } else if (i < a.length && (lcs[(i + 1) * cols + j] ?? 0) >= (lcs[i * cols + j + 1] ?? 0)) i++;
    else {
      out.push(b[j] ?? "");
      j++;
    }
  }
  return out;
}

/** A line with the spacing a YAML renderer may change made canonical. */
export function normalize(line: string): string {
  return line
    .replace(/\s+$/, "")
    .replace(/(\S)[ \t]+#/g, "$1 #")
    .replace(/([[{])[ \t]+/g, "$1")
    .replace(/[ \t]+([\]}])/g, "$1")
    .replace(/,[ \t]+/g, ", ")
    .replace(/:[ \t]+/g, ": ");
}
