/**
 * Demultiplexes Docker's log stream (framed as an exec attach is: {@link ExecDemuxer}) into
 * timestamped lines, in time linear in the input: every byte is looked at a constant number
 * of times, partial lines are kept as a list of pieces and joined once when their newline arrives.
 */
import { ExecDemuxer } from "../runtime/exec-stream.js";
import type { LogStreamName } from "./log-line.js";
import { normalizeTimestamp } from "./log-line.js";

/** A line as read from Docker (`timestamps=1`): its normalised timestamp, stream and text. */
export interface RawLogLine {
  ts: string;
  stream: LogStreamName;
  line: string;
}

const NEWLINE = 0x0a;

/**
 * A push parser for one log response. Feed it chunks with {@link push}; it returns the complete
 * lines of that chunk. Not thread-shared: one instance per response. In `raw` mode (containers
 * with a TTY) the body is not framed and everything is stdout.
 */
export class LogDemuxer {
  private readonly frames: ExecDemuxer;
  private readonly pending: Record<LogStreamName, Buffer[]> = { stdout: [], stderr: [] };

  constructor(raw = false) {
    this.frames = new ExecDemuxer(raw);
  }

  /** Consumes one chunk and returns the lines it completed, in order. */
  push(chunk: Buffer): RawLogLine[] {
    const out: RawLogLine[] = [];
    for (const piece of this.frames.push(chunk)) this.payload(piece.stream, piece.data, out);
    return out;
  }

  /** Ends the response: returns unterminated last lines (a container that exited mid-line). */
  end(): RawLogLine[] {
    const out: RawLogLine[] = [];
    for (const stream of ["stdout", "stderr"] as const) {
      const pieces = this.pending[stream];
      if (pieces.length === 0) continue;
      this.pending[stream] = [];
      const line = parseLine(Buffer.concat(pieces).toString("utf8"), stream);
      if (line) out.push(line);
    }
    return out;
  }

  private payload(stream: LogStreamName, chunk: Buffer, out: RawLogLine[]): void {
    const end = chunk.length;
    let from = 0;
    while (from < end) {
      const nl = chunk.indexOf(NEWLINE, from);
      if (nl < 0 || nl >= end) {
        this.pending[stream].push(chunk.subarray(from, end));
        return;
      }
      const pieces = this.pending[stream];
      let text: string;
      if (pieces.length === 0) text = chunk.toString("utf8", from, nl);
      else {
        pieces.push(chunk.subarray(from, nl));
        text = Buffer.concat(pieces).toString("utf8");
        this.pending[stream] = [];
      }
      const line = parseLine(text, stream);
      if (line) out.push(line);
      from = nl + 1;
    }
  }
}

function parseLine(text: string, stream: LogStreamName): RawLogLine | undefined {
  const space = text.indexOf(" ");
  const ts = normalizeTimestamp(space < 0 ? text : text.slice(0, space));
  if (ts === undefined) return undefined;
  const body = space < 0 ? "" : text.slice(space + 1);
  return { ts, stream, line: body.endsWith("\r") ? body.slice(0, -1) : body };
}

/**
 * Remembers the newest timestamp delivered and how many lines carried it, so that a stream
 * reopened with Docker's inclusive `since` skips exactly the lines already delivered.
 */
export class ResumeCursor {
  private lastTs: string | undefined;
  private atLast = 0;
  private skip = 0;

  /** The newest timestamp delivered, or undefined before the first line. */
  get ts(): string | undefined {
    return this.lastTs;
  }

  /** Call before reading a reopened stream. */
  reopen(): void {
    this.skip = this.atLast;
  }

  /** True if the line is new and should be delivered; records it. */
  accept(ts: string): boolean {
    if (this.lastTs !== undefined) {
      if (ts < this.lastTs) return false;
      if (ts === this.lastTs) {
        if (this.skip > 0) {
          this.skip--;
          return false;
        }
        this.atLast++;
        return true;
      }
    }
    this.lastTs = ts;
    this.atLast = 1;
    this.skip = 0;
    return true;
  }
}
