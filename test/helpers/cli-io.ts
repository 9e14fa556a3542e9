import type { CliIo } from "../../src/cli/io.js";

/** A CliIo that keeps what a command writes, for assertions; `tty` marks stderr as a terminal. */
export function captureIo(tty = false): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    errIsTTY: tty,
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
  };
  return io;
}
