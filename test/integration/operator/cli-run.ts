import { execFile } from "node:child_process";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { docker, type Daemon } from "./daemon.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(ROOT, "bin", "berth.js");

/** Runs the `berth` CLI against a daemon; resolves with its exit code and output. */
export function berth(d: Daemon, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const auth = d.token ? ["--token", d.token] : [];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, "--server", d.url, ...auth, ...args],
      { cwd: ROOT, timeout: 180_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, out: stdout, err: stderr });
      },
    );
  });
}

/** Runs `cmd` in a container (docker exec) and resolves with its stdout. */
export async function execIn(container: string, cmd: string[]): Promise<string> {
  const c = docker().getContainer(container);
  const exec = await c.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  let text = "";
  out.on("data", (b: Buffer) => (text += b.toString()));
  docker().modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve) => {
    stream.on("end", () => resolve());
    stream.on("close", () => resolve());
  });
  return text;
}
