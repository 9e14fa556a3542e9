/**
 * `berth exec PROJECT CONTAINER -- CMD...`: runs a command in a project's container through the
 * daemon's exec WebSocket (see http/exec-socket.ts for the protocol), streams its output and
 * returns its exit code. `-i` sends stdin, `-t` allocates a TTY (the local terminal is put in raw
 * mode while it runs and its size is forwarded), as `docker exec` does.
 */
import type { Readable, Writable } from "node:stream";
import WebSocket from "ws";
import { projectPath, type DaemonClient } from "./client.js";
import { CliError } from "./io.js";
import { resolveName } from "./names.js";

/** Options of `berth exec`, as commander hands them over. */
export interface ExecCommandOptions {
  namespace?: string;
  interactive: boolean;
  tty: boolean;
}

/** The raw streams exec reads and writes (bytes, not text). */
export interface ExecStreams {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable;
}

/** Runs the command and resolves with its exit code. Throws CliError when it cannot be run. */
export async function runExec(
  client: DaemonClient,
  project: string,
  container: string,
  command: readonly string[],
  opts: ExecCommandOptions,
  streams: ExecStreams,
): Promise<number> {
  if (command.length === 0) {
    throw new CliError("no command given: berth exec PROJECT CONTAINER -- CMD [ARGS...]", 2);
  }
  const ref = resolveName(project, opts.namespace);
  const q = new URLSearchParams();
  for (const arg of command) q.append("command", arg);
  q.set("tty", String(opts.tty));
  q.set("stdin", String(opts.interactive));
  const size = opts.tty ? terminalSize(streams.stdout) : undefined;
  if (size) {
    q.set("cols", String(size.cols));
    q.set("rows", String(size.rows));
  }
  const path = `${projectPath(ref.namespace, ref.name)}/containers/${encodeURIComponent(container)}/exec?${q}`;
  const target = await client.socketTarget(path);
  const ws = new WebSocket(target.url, { headers: target.headers, perMessageDeflate: false });
  const raw = opts.tty && opts.interactive && streams.stdin.isTTY === true && streams.stdin.setRawMode;
  const cleanups: (() => void)[] = [];
  try {
    return await new Promise<number>((resolve, reject) => {
      let exitCode: number | undefined;
      let failure: CliError | undefined;
      ws.on("unexpected-response", (_req, res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => reject(refused(res.statusCode ?? 0, text, target.hint)));
      });
      ws.on("error", (err) => reject(new CliError(`cannot reach the Berth daemon for exec: ${err.message}`)));
      ws.on("open", () => {
        if (raw) {
          streams.stdin.setRawMode?.(true);
          cleanups.push(() => streams.stdin.setRawMode?.(false));
        }
        if (opts.interactive) cleanups.push(pumpStdin(ws, streams.stdin));
        if (size) cleanups.push(forwardResize(ws, streams.stdout));
      });
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        if (isBinary) {
          const out = data[0] === 2 ? streams.stderr : streams.stdout;
          if (!out.write(data.subarray(1))) {
            ws.pause();
            out.once("drain", () => ws.resume());
          }
          return;
        }
        const msg = JSON.parse(data.toString("utf8")) as {
          exit?: { code: number | null };
          error?: { code: string; message: string };
        };
        if (msg.exit) exitCode = msg.exit.code ?? 1;
        if (msg.error) failure = new CliError(`exec failed: ${msg.error.message}`);
      });
      ws.on("close", (code, reason) => {
        if (failure) reject(failure);
        else if (exitCode !== undefined) resolve(exitCode);
        else
          reject(
            new CliError(
              `the daemon closed the exec session without an exit code (${code}${reason.length ? ` ${reason.toString()}` : ""})`,
            ),
          );
      });
    });
  } finally {
    for (const c of cleanups.reverse()) c();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.terminate();
  }
}

function terminalSize(out: ExecStreams["stdout"]): { cols: number; rows: number } | undefined {
  return out.isTTY && out.columns && out.rows ? { cols: out.columns, rows: out.rows } : undefined;
}

/** Sends stdin as binary messages, then `stdinEnd`; pauses while the socket is backed up. */
function pumpStdin(ws: WebSocket, stdin: ExecStreams["stdin"]): () => void {
  const onData = (chunk: Buffer | string): void => {
    ws.send(typeof chunk === "string" ? Buffer.from(chunk) : chunk, { binary: true });
    if (ws.bufferedAmount > 1024 * 1024) {
      stdin.pause();
      const wait = setInterval(() => {
        if (ws.bufferedAmount < 256 * 1024 || ws.readyState !== ws.OPEN) {
          clearInterval(wait);
          stdin.resume();
        }
      }, 10);
    }
  };
  const onEnd = (): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ stdinEnd: true }));
  };
  stdin.on("data", onData);
  stdin.once("end", onEnd);
  stdin.resume();
  return () => {
    stdin.off("data", onData);
    stdin.off("end", onEnd);
    stdin.pause();
  };
}

function forwardResize(ws: WebSocket, out: ExecStreams["stdout"]): () => void {
  const onResize = (): void => {
    const size = terminalSize(out);
    if (size && ws.readyState === ws.OPEN) ws.send(JSON.stringify({ resize: size }));
  };
  out.on("resize", onResize);
  return () => void out.off("resize", onResize);
}

function refused(status: number, text: string, hint: string | undefined): CliError {
  let message = text.trim();
  let serverHint: string | undefined;
  try {
    const body = JSON.parse(text) as { error?: { message?: string; hint?: string } };
    if (body.error?.message) message = body.error.message;
    serverHint = body.error?.hint;
  } catch {
    // plain text (the server's refusal of an upgrade)
  }
  const why = status === 401 && hint ? hint : serverHint;
  return new CliError(`exec refused (${status}): ${message}`, 1, why);
}
