/** `berth logs`: a project's kept container logs, optionally followed live. */
import type { LogLine } from "../streams/log-line.js";
import { projectPath, type DaemonClient } from "./client.js";
import { CliError, type CliIo } from "./io.js";
import { resolveName } from "./names.js";

/** Options of `berth logs`, as commander hands them over. */
export interface LogsCommandOptions {
  namespace?: string;
  container?: string;
  tail?: string;
  since?: string;
  until?: string;
  grep?: string;
  stream?: string;
  follow: boolean;
  timestamps: boolean;
  output?: string;
}

/**
 * Prints the matching lines (stderr lines to stderr, like `docker logs`), prefixed with the
 * container name when the project has several. With `follow`, keeps printing live lines until the
 * daemon ends the stream or the process is interrupted. Returns the exit code.
 */
export async function runLogs(
  client: DaemonClient,
  name: string,
  opts: LogsCommandOptions,
  io: CliIo,
): Promise<number> {
  const ref = resolveName(name, opts.namespace);
  const q = new URLSearchParams();
  for (const [key, value] of [
    ["container", opts.container],
    ["tail", opts.tail],
    ["since", opts.since],
    ["until", opts.until],
    ["grep", opts.grep],
    ["stream", opts.stream],
  ] as const) {
    if (value !== undefined) q.set(key, value);
  }
  if (opts.follow) q.set("follow", "true");
  const path = `${projectPath(ref.namespace, ref.name)}/logs?${q}`;
  const res = await client.getBody(path, { stream: opts.follow });
  const print = printer(opts, io);
  if (!opts.follow) {
    const body = (await res.json()) as { items: LogLine[] };
    const prefix = new Set(body.items.map((l) => l.container)).size > 1 && opts.container === undefined;
    for (const l of body.items) print(l, prefix);
    return 0;
  }
  await readFollow(res, (value) => {
    if ("notice" in value) io.err(`berth: ${String(value.notice)}\n`);
    else print(value, opts.container === undefined);
  });
  return 0;
}

function printer(opts: LogsCommandOptions, io: CliIo): (l: LogLine, prefix: boolean) => void {
  if (opts.output === "json") return (l) => io.out(`${JSON.stringify(l)}\n`);
  return (l, prefix) => {
    const text = `${prefix ? `${l.container} | ` : ""}${opts.timestamps ? `${l.ts} ` : ""}${l.line}\n`;
    if (l.stream === "stderr") io.err(text);
    else io.out(text);
  };
}

async function readFollow(
  res: Response,
  onValue: (value: LogLine | { notice: unknown }) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  const handle = (line: string): void => {
    if (line.trim() !== "") onValue(JSON.parse(line) as LogLine | { notice: unknown });
  };
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let start = 0;
      for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n", start)) {
        handle(buffer.slice(start, i));
        start = i + 1;
      }
      buffer = buffer.slice(start);
    }
    handle(buffer + decoder.decode());
  } catch (err) {
    throw new CliError(`lost the connection to the daemon while following logs (${String(err)})`);
  }
}
