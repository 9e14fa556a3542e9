/**
 * The exec operations of the dockerode client (split out of dockerode-client.ts to keep files
 * small). Starting an exec hijacks an unpooled connection, which then carries the command's stdin
 * and output for as long as it runs.
 */
import type { Socket } from "node:net";
import type Docker from "dockerode";
import type { CallOptions } from "./client.js";
import type { ContainerStreamDeps } from "./dockerode-container-streams.js";
import type { DockerExec, ExecCreateSpec, ExecSession, ExecState } from "./exec.js";
import { ExecDemuxer, type ExecChunk } from "./exec-stream.js";

/** Builds the {@link DockerExec} operations; see there for their contracts. */
export function execOps(d: ContainerStreamDeps): DockerExec {
  return {
    createExec(container: string, spec: ExecCreateSpec, opts?: CallOptions): Promise<string> {
      return d.runner.run({
        ...d.base("createExec", "container", container, opts, false),
        run: async (signal) => {
          const body: Docker.ExecCreateOptions = {
            Cmd: [...spec.command],
            AttachStdin: spec.stdin === true,
            AttachStdout: true,
            AttachStderr: true,
            Tty: spec.tty === true,
            ...(spec.env ? { Env: [...spec.env] } : {}),
            ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
            ...(spec.user ? { User: spec.user } : {}),
            ...(spec.tty && spec.size ? { ConsoleSize: [spec.size.rows, spec.size.cols] } : {}),
            abortSignal: signal,
          };
          const exec = await d.api.getContainer(container).exec(body);
          return exec.id;
        },
      });
    },

    startExec(id: string, opts: CallOptions & { tty: boolean; stdin: boolean }): Promise<ExecSession> {
      return d.runner.run({
        ...d.base("startExec", "exec", id, opts, false),
        run: async (signal) => {
          const start = {
            hijack: true,
            stdin: opts.stdin,
            Detach: false,
            Tty: opts.tty,
            abortSignal: signal,
          };
          const socket = (await d.streams.getExec(id).start(start)) as unknown as Socket;
          return session(socket, opts.tty, opts.signal);
        },
      });
    },

    inspectExec(id: string, opts?: CallOptions): Promise<ExecState> {
      return d.runner.run({
        ...d.base("inspectExec", "exec", id, opts, true),
        run: async (signal) => {
          const info = await d.api.getExec(id).inspect({ abortSignal: signal });
          return { running: info.Running, exitCode: info.ExitCode ?? undefined };
        },
      });
    },

    async resizeExec(id: string, size: { cols: number; rows: number }, opts?: CallOptions): Promise<void> {
      await d.runner.run({
        ...d.base("resizeExec", "exec", id, opts, false),
        run: (signal) =>
          d.api.getExec(id).resize({ h: size.rows, w: size.cols, abortSignal: signal }) as Promise<unknown>,
      });
    },
  };
}

function session(socket: Socket, tty: boolean, signal: AbortSignal | undefined): ExecSession {
  let closed = false;
  const close = (): void => {
    closed = true;
    socket.destroy();
  };
  if (signal?.aborted) close();
  signal?.addEventListener("abort", close, { once: true });
  socket.once("close", () => signal?.removeEventListener("abort", close));
  return {
    async *output(): AsyncGenerator<ExecChunk> {
      const demux = new ExecDemuxer(tty);
      try {
        for await (const chunk of socket as AsyncIterable<Buffer>) yield* demux.push(chunk);
      } catch (err) {
        if (!closed) throw err;
      }
    },
    write: (data) => (socket.writable ? socket.write(data) : true),
    drained: () =>
      new Promise<void>((resolve) => {
        if (!socket.writable || !socket.writableNeedDrain) resolve();
        else {
          socket.once("drain", () => resolve());
          socket.once("close", () => resolve());
        }
      }),
    endInput: () => {
      if (socket.writable) socket.end();
    },
    close,
  };
}
