/**
 * `berth dev`: follows a project's container logs, with the `[sync]` lines the daemon writes into
 * them, and its phase changes in one stream, as `docker compose watch` shows them; `-o json` adds
 * the structured sync records. The daemon
 * does the watching and syncing whether or not this command runs; it only shows what happens.
 */
import type { ProjectView } from "../service/view.js";
import type { LogLine } from "../streams/log-line.js";
import { describeNetworkError, projectPath, type DaemonClient } from "./client.js";
import { describeWatch, devFormatter, type DevItem, type PhaseEvent, type SyncEvent } from "./dev-format.js";
import { CliError, type CliIo } from "./io.js";
import { readLines, sseParser } from "./line-stream.js";
import { resolveName } from "./names.js";

/** Options of `berth dev`, as commander hands them over. */
export interface DevCommandOptions {
  namespace?: string;
  container?: string;
  tail: string;
  timestamps: boolean;
  output?: string;
}

const API_EVENTS = "/api/v1/events";

/**
 * Prints the project's watch rules, its last `tail` log lines, then live log lines and phase
 * events (and, with `-o json`, sync records) until `signal` aborts (exit code 0). Throws CliError when the project does not
 * exist, the daemon cannot be reached, or the daemon ends a stream (it stopped, or the project
 * was deleted).
 */
export async function runDev(
  client: DaemonClient,
  name: string,
  opts: DevCommandOptions,
  io: CliIo,
  signal: AbortSignal,
): Promise<number> {
  const ref = resolveName(name, opts.namespace);
  if (!/^[0-9]+$/.test(opts.tail))
    throw new CliError(`invalid --tail "${opts.tail}": use a number of lines`, 2);
  const view = await client.get(ref.namespace, ref.name);
  const key = `${view.namespace}/${view.name}`;
  const containers = view.spec.containers.filter(
    (c) => opts.container === undefined || c.name === opts.container,
  );
  if (containers.length === 0)
    throw new CliError(
      `project ${key} has no container "${opts.container ?? ""}"; its containers: ${view.spec.containers.map((c) => c.name).join(", ")}`,
      2,
    );
  const json = opts.output === "json";
  const format = devFormatter({ json, timestamps: opts.timestamps, prefix: true });
  const print = (item: DevItem) => {
    const o = format(item);
    if (o.stream === "err") io.err(o.text);
    else io.out(o.text);
  };
  const inner = new AbortController();
  const stop = () => inner.abort();
  signal.addEventListener("abort", stop, { once: true });
  try {
    // both requests are open before the first line prints, so no event falls between them
    const [logs, events] = await Promise.all([
      client.getBody(logsPath(view, opts), { stream: true, signal: inner.signal }),
      client.getBody(`${API_EVENTS}?namespace=${encodeURIComponent(view.namespace)}`, {
        stream: true,
        signal: inner.signal,
      }),
    ]);
    // printed once both streams are open: from here on, nothing that happens is missed
    if (!json) io.err(describeWatch(key, containers));
    const streams = [
      follow(logs, "logs", (line) => onLogLine(line, opts, print, io)),
      follow(
        events,
        "events",
        sseParser((e) => onEvent(e.event, e.data, key, { ...opts, json }, print)),
      ),
    ];
    // the first to end decides; the other ends with the abort below, and its failure is moot
    for (const s of streams) s.catch(() => undefined);
    await Promise.race(streams);
    if (!signal.aborted)
      throw new CliError(`the daemon ended the stream of ${key} (it stopped, or the project was deleted)`);
    return 0;
  } catch (err) {
    if (signal.aborted) return 0;
    throw err;
  } finally {
    signal.removeEventListener("abort", stop);
    inner.abort();
  }
}

function logsPath(view: ProjectView, opts: DevCommandOptions): string {
  const q = new URLSearchParams({ follow: "true", tail: opts.tail });
  if (opts.container !== undefined) q.set("container", opts.container);
  return `${projectPath(view.namespace, view.name)}/logs?${q}`;
}

async function follow(res: Response, what: string, onLine: (line: string) => void): Promise<void> {
  try {
    await readLines(res.body as unknown as AsyncIterable<Uint8Array>, onLine);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(
      `lost the connection to the daemon while following ${what} (${describeNetworkError(err)})`,
    );
  }
}

/**
 * A log line of the follow stream. The daemon writes what the dev loop does (each outcome, the
 * output of a sync+exec command, a link it did not follow) as `[sync]` lines into the container's
 * log, so these lines alone tell the story, in order; sync events add the structured records.
 */
function onLogLine(text: string, opts: DevCommandOptions, print: (i: DevItem) => void, io: CliIo) {
  if (text.trim() === "") return;
  const value = JSON.parse(text) as LogLine | { notice: unknown };
  if ("notice" in value) {
    io.err(`berth: ${String(value.notice)}\n`);
    return;
  }
  if (opts.container === undefined || value.container === opts.container) print({ type: "log", line: value });
}

function onEvent(
  event: string,
  data: string,
  key: string,
  opts: DevCommandOptions & { json: boolean },
  print: (i: DevItem) => void,
) {
  // as text, the [sync] line in the container's log already says it
  if (event === "sync" && opts.json) {
    const sync = JSON.parse(data) as SyncEvent;
    if (`${sync.namespace}/${sync.name}` !== key) return;
    if (opts.container === undefined || sync.container === opts.container) print({ type: "sync", sync });
  } else if (event === "phase") {
    const phase = JSON.parse(data) as PhaseEvent;
    if (phase.project === key) print({ type: "phase", phase });
  } else if (event === "notice") {
    throw new CliError(`the daemon cut off the event stream: ${data}`);
  }
}
