/**
 * Splits the byte stream of a non-TTY `docker exec` attach (8-byte frame headers: stream type, 3
 * zero bytes, big-endian payload size) into stdout and stderr chunks, in time linear in the input.
 * With a TTY the stream is not framed and everything is stdout.
 */

/** Which output stream a chunk came from. */
export type ExecStreamName = "stdout" | "stderr";

/** One piece of a command's output. */
export interface ExecChunk {
  stream: ExecStreamName;
  data: Buffer;
}

const HEADER = 8;

/** A push parser for one attach stream; one instance per stream. Pure apart from its own state. */
export class ExecDemuxer {
  private readonly header = Buffer.alloc(HEADER);
  private headerFill = 0;
  private remaining = 0;
  private current: ExecStreamName = "stdout";

  /** `raw`: the exec has a TTY (no framing). */
  constructor(private readonly raw: boolean) {}

  /** Consumes one chunk and returns the output pieces it holds, in order (payload slices, no copy). */
  push(chunk: Buffer): ExecChunk[] {
    if (this.raw) return chunk.length > 0 ? [{ stream: "stdout", data: chunk }] : [];
    const out: ExecChunk[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(HEADER - this.headerFill, chunk.length - i);
        chunk.copy(this.header, this.headerFill, i, i + take);
        this.headerFill += take;
        i += take;
        if (this.headerFill < HEADER) break;
        this.headerFill = 0;
        this.current = this.header[0] === 2 ? "stderr" : "stdout";
        this.remaining = this.header.readUInt32BE(4);
        continue;
      }
      const end = Math.min(chunk.length, i + this.remaining);
      out.push({ stream: this.current, data: chunk.subarray(i, end) });
      this.remaining -= end - i;
      i = end;
    }
    return out;
  }
}
