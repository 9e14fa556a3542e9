/**
 * Follows one container's logs through the Docker API, across stream ends, container restarts and
 * daemon reconnects, delivering every line exactly once (resume by timestamp, see ResumeCursor).
 */
import type { DockerClient } from "../runtime/docker.js";
import { ConflictError, NotFoundError } from "../runtime/errors.js";
import { Backoff } from "../util/backoff.js";
import type { Logger } from "../util/logger.js";
import { LogDemuxer, ResumeCursor, type RawLogLine } from "./demux.js";
import { dockerSince } from "./log-line.js";

/** Options of {@link LogFollower}. */
export interface LogFollowerOptions {
  docker: Pick<DockerClient, "followLogs">;
  containerId: string;
  /** Lines already written that the first connection asks for (Docker's `tail`). */
  initialTail: number;
  /** True while the container is running (read from the observer's cache). */
  isRunning: () => boolean;
  /** Receives each chunk's new lines, in order; synchronous, must not throw. */
  deliver: (lines: RawLogLine[]) => void;
  logger: Logger;
  /** First delay before reopening a stream that ended while the container runs; default 100 ms. */
  minBackoffMs?: number;
  /** Longest such delay; default 5 000 ms. */
  maxBackoffMs?: number;
}

/**
 * One container's log follower. {@link start} runs it in the background until {@link finish}
 * (the container is gone) or the signal aborts. The owner calls {@link wake} when the container
 * changes (e.g. it started again) so that a stream that ended is reopened at once.
 */
export class LogFollower {
  private readonly cursor = new ResumeCursor();
  private wakes = 0;
  private finished = false;
  private wakeup: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly o: LogFollowerOptions) {}

  /** Starts the loop; returns at once. Call once. */
  start(signal: AbortSignal): void {
    this.running = this.loop(signal);
  }

  /** Resolves when the loop has ended. */
  done(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** The container changed: reopen a stream that has ended. */
  wake(): void {
    this.wakes++;
    this.wakeup?.();
  }

  /** The container is gone: end after the current stream has been read to its end. */
  finish(): void {
    this.finished = true;
    this.wakeup?.();
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ baseMs: this.o.minBackoffMs ?? 100, maxMs: this.o.maxBackoffMs ?? 5000 });
    let opened = false;
    let failures = 0;
    while (!signal.aborted && !this.finished) {
      const wakesAtOpen = this.wakes;
      let failed = false;
      try {
        if (opened) this.cursor.reopen();
        opened = true;
        await this.readOnce(signal);
      } catch (err) {
        // Gone, or dead / being removed: nothing more will be written.
        if (signal.aborted || err instanceof NotFoundError || err instanceof ConflictError) return;
        failed = true;
        // One warning per outage; the retries of a long one are debug noise.
        const log = failures++ === 0 ? this.o.logger.warn : this.o.logger.debug;
        log.call(this.o.logger, "log stream broke; reconnecting", { containerId: this.o.containerId, err });
      }
      if (!failed) failures = 0;
      if (this.finished) return;
      if (!failed && !this.o.isRunning()) {
        // A clean end of a stopped container's stream: it has nothing more to say until it runs
        // again, so wakes meanwhile (its die and destroy events, say) open no stream.
        backoff.reset();
        while (!this.o.isRunning() && !this.finished && !signal.aborted) await this.pause(undefined, signal);
        continue;
      }
      if (this.wakes !== wakesAtOpen && !failed) {
        backoff.reset();
        continue;
      }
      await this.pause(backoff.next(), signal);
    }
  }

  private async readOnce(signal: AbortSignal): Promise<void> {
    const since = this.cursor.ts;
    const body = await this.o.docker.followLogs(this.o.containerId, {
      signal,
      ...(since !== undefined ? { since: dockerSince(since) } : { tail: this.o.initialTail }),
    });
    const demux = new LogDemuxer();
    for await (const chunk of body as AsyncIterable<Buffer>) this.emit(demux.push(chunk));
    this.emit(demux.end());
  }

  private emit(lines: RawLogLine[]): void {
    const fresh = lines.filter((l) => this.cursor.accept(l.ts));
    if (fresh.length > 0) this.o.deliver(fresh);
  }

  /** Waits for `delayMs` (or, when undefined, for a wake), a wake, a finish or the abort. */
  private pause(delayMs: number | undefined, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.wakeup = undefined;
        resolve();
      };
      const timer = delayMs === undefined ? undefined : setTimeout(done, delayMs);
      this.wakeup = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
