/**
 * Streaming NDJSON (newline-delimited JSON) splitting for Docker's progress and event streams.
 *
 * Splitting works on bytes: `\n` (0x0A) never occurs inside a multi-byte UTF-8 sequence, so a line
 * is only decoded once all of its bytes have arrived, whatever the chunk boundaries were.
 */

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Default cap on one line: 1 MiB. Docker's event and progress lines are a few hundred bytes. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/** Options of {@link NdjsonSplitter}, {@link splitLines} and {@link parseNdjson}. */
export interface NdjsonOptions {
  /** Longest accepted line in bytes, without its line ending. Default {@link DEFAULT_MAX_LINE_BYTES}. */
  maxLineBytes?: number;
}

/**
 * Thrown when a line grows past `maxLineBytes` before its newline arrives; the stream is not
 * NDJSON (or is corrupt) and the caller should drop the connection rather than buffer without end.
 */
export class NdjsonLineTooLongError extends Error {
  override readonly name = "NdjsonLineTooLongError";
  /** The configured limit that was exceeded. */
  readonly maxLineBytes: number;

  constructor(maxLineBytes: number) {
    super(
      `NDJSON line longer than ${maxLineBytes} bytes without a newline; ` +
        `the stream is not line-delimited JSON or is corrupt (raise maxLineBytes if the lines are legitimate)`,
    );
    this.maxLineBytes = maxLineBytes;
  }
}

/** Thrown by {@link parseNdjson} for a line that is not valid JSON; `line` holds its text. */
export class NdjsonParseError extends Error {
  override readonly name = "NdjsonParseError";
  /** The offending line (truncated to 200 characters). */
  readonly line: string;

  constructor(line: string, cause: unknown) {
    const shown = line.length > 200 ? `${line.slice(0, 200)}…` : line;
    super(`invalid JSON line in NDJSON stream: ${shown}`, { cause });
    this.line = shown;
  }
}

/**
 * Incremental splitter: feed byte chunks with {@link push}, get back the complete lines (decoded
 * as UTF-8, `\r\n` and `\n` endings removed, empty lines skipped). Synchronous, not thread-shared:
 * one splitter per stream. Runs in time linear in the input.
 */
export class NdjsonSplitter {
  private readonly maxLineBytes: number;
  private readonly decoder = new TextDecoder("utf-8");
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(options: NdjsonOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** Adds a chunk and returns the lines it completed. Throws {@link NdjsonLineTooLongError}. */
  push(chunk: Uint8Array | string): string[] {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(NEWLINE, start);
      if (nl === -1) break;
      this.guard(this.pendingBytes + (nl - start));
      this.emit(bytes.subarray(start, nl), lines);
      start = nl + 1;
    }
    if (start < bytes.length) {
      const rest = bytes.subarray(start);
      this.guard(this.pendingBytes + rest.length);
      this.pending.push(rest);
      this.pendingBytes += rest.length;
    }
    return lines;
  }

  /** Ends the input: returns the last line if it had no trailing newline. */
  end(): string[] {
    const lines: string[] = [];
    if (this.pendingBytes > 0) this.emit(new Uint8Array(0), lines);
    return lines;
  }

  private guard(lineBytes: number): void {
    // One byte of slack for a trailing "\r" that is not part of the line.
    if (lineBytes > this.maxLineBytes + 1) throw new NdjsonLineTooLongError(this.maxLineBytes);
  }

  private emit(tail: Uint8Array, out: string[]): void {
    let bytes = tail;
    if (this.pendingBytes > 0) {
      this.pending.push(tail);
      bytes = Buffer.concat(this.pending, this.pendingBytes + tail.length);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CARRIAGE_RETURN) end -= 1;
    if (end > this.maxLineBytes) throw new NdjsonLineTooLongError(this.maxLineBytes);
    if (end === 0) return;
    const line = this.decoder.decode(bytes.subarray(0, end));
    if (line.trim().length > 0) out.push(line);
  }
}

/**
 * Yields the non-empty lines of a byte stream as they complete. Does not buffer more than one line
 * (bounded by `maxLineBytes`); an error of the source or the splitter ends the iteration with it.
 */
export async function* splitLines(
  source: AsyncIterable<Uint8Array | string>,
  options: NdjsonOptions = {},
): AsyncGenerator<string, void, undefined> {
  const splitter = new NdjsonSplitter(options);
  for await (const chunk of source) {
    yield* splitter.push(chunk);
  }
  yield* splitter.end();
}

/**
 * Yields each line of an NDJSON byte stream parsed with `JSON.parse`. The result is not validated:
 * the caller narrows `unknown`. Throws {@link NdjsonParseError} on a malformed line.
 */
export async function* parseNdjson(
  source: AsyncIterable<Uint8Array | string>,
  options: NdjsonOptions = {},
): AsyncGenerator<unknown, void, undefined> {
  for await (const line of splitLines(source, options)) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new NdjsonParseError(line, err);
    }
    yield value;
  }
}
