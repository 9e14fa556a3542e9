/**
 * Running commands in containers (`docker exec`): the narrow interface ({@link DockerExec}) the
 * exec service uses, so that fakes can implement it. The dockerode implementation is in
 * dockerode-exec.ts and is part of the client `createDockerClient` returns.
 */
import type { CallOptions } from "./client.js";
import type { ExecChunk } from "./exec-stream.js";

export type { ExecChunk, ExecStreamName } from "./exec-stream.js";

/** What to run, as `POST /containers/{id}/exec` takes it. */
export interface ExecCreateSpec {
  /** argv; the first element is looked up on the container's PATH. Not run through a shell. */
  command: readonly string[];
  /** Allocate a pseudo-terminal (stdout and stderr then arrive merged, as stdout). */
  tty?: boolean;
  /** Attach the command's stdin. */
  stdin?: boolean;
  /** `NAME=value` entries added to the container's environment. */
  env?: readonly string[];
  workingDir?: string;
  user?: string;
  /** Initial terminal size, with `tty`. */
  size?: { cols: number; rows: number };
}

/** An exec as inspected: running, or its exit code. */
export interface ExecState {
  running: boolean;
  /** Undefined while running (or when Docker does not know it). */
  exitCode: number | undefined;
}

/**
 * An attached exec. Output is read through {@link output} (pull-based: not reading pauses the
 * daemon's socket, so a slow reader never buffers without bound). Ends when the command has exited
 * and its output is drained, or after {@link close}.
 */
export interface ExecSession {
  /** Output pieces in order; iterate once. Closing the session ends the iteration without error. */
  output(): AsyncIterable<ExecChunk>;
  /** Writes to the command's stdin (only when started with `stdin`); false means "wait for drain". */
  write(data: Buffer): boolean;
  /** Resolves once the socket can take more input after {@link write} returned false. */
  drained(): Promise<void>;
  /** Closes the command's stdin (a half-close: output keeps flowing). */
  endInput(): void;
  /** Detaches: the socket is destroyed. The command is not killed by this (Docker has no exec kill). */
  close(): void;
}

/**
 * The exec operations. Calls are not retried; failures are the typed DockerErrors of errors.ts
 * (NotFoundError for a missing container or exec, ConflictError for a stopped or paused container).
 */
export interface DockerExec {
  /** Creates an exec instance in a running container and returns its id. Bounded by the client timeout. */
  createExec(container: string, spec: ExecCreateSpec, opts?: CallOptions): Promise<string>;
  /**
   * Starts an exec and attaches to it (a hijacked connection). Resolves once the daemon has
   * answered (bounded by the timeout); the session itself has no deadline. `tty` and `stdin` must
   * match the create spec. Aborting `signal` closes the session.
   */
  startExec(id: string, opts: CallOptions & { tty: boolean; stdin: boolean }): Promise<ExecSession>;
  /** Whether the exec still runs, and its exit code once it has ended. */
  inspectExec(id: string, opts?: CallOptions): Promise<ExecState>;
  /** Resizes the exec's TTY. */
  resizeExec(id: string, size: { cols: number; rows: number }, opts?: CallOptions): Promise<void>;
}
