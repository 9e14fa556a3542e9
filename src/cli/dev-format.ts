/**
 * How `berth dev` writes what it follows: container log lines (the daemon's `[sync]` lines among
 * them), phase changes and sync records, as text for a terminal or one JSON object a line. Pure.
 */
import type { ContainerSpec, SyncRecord } from "../api/index.js";
import type { LogLine } from "../streams/log-line.js";

/** A `sync` event of `/api/v1/events`: the project and one watch-rule outcome. */
export type SyncEvent = SyncRecord & { namespace: string; name: string };

/** A `phase` event of `/api/v1/events`. */
export interface PhaseEvent {
  project: string;
  phase: string;
  previous?: string;
  time: string;
}

/** What `berth dev` prints, one item at a time. */
export type DevItem =
  { type: "log"; line: LogLine } | { type: "sync"; sync: SyncEvent } | { type: "phase"; phase: PhaseEvent };

/** Where a formatted item goes. */
export interface DevOutput {
  stream: "out" | "err";
  text: string;
}

/** Formats items for `berth dev`; `prefix` puts `container | ` before container lines. */
export function devFormatter(opts: {
  json: boolean;
  timestamps: boolean;
  prefix: boolean;
}): (item: DevItem) => DevOutput {
  if (opts.json)
    return (item) => {
      const body = item.type === "log" ? item.line : item.type === "sync" ? item.sync : item.phase;
      return { stream: "out", text: `${JSON.stringify({ type: item.type, ...body })}\n` };
    };
  const head = (container: string, ts: string) =>
    `${opts.prefix ? `${container} | ` : ""}${opts.timestamps ? `${ts} ` : ""}`;
  return (item) => {
    if (item.type === "log") {
      const l = item.line;
      return { stream: l.stream === "stderr" ? "err" : "out", text: `${head(l.container, l.ts)}${l.line}\n` };
    }
    if (item.type === "sync") {
      // the daemon's own [sync] log line says more; this is the record's gist
      const s = item.sync;
      const outcome = s.error ? ` failed: ${s.error}` : `: ${s.files} file(s), ${s.bytes} bytes`;
      return {
        stream: s.error ? "err" : "out",
        text: `${head(s.container, s.time)}[sync] ${s.action} ${s.path}${outcome}\n`,
      };
    }
    const p = item.phase;
    const was = p.previous ? ` (was ${p.previous})` : "";
    return { stream: "err", text: `berth: ${p.project} is ${p.phase}${was}\n` };
  };
}

/** The header `berth dev` starts with: each container's watch rules, or that there are none. */
export function describeWatch(project: string, containers: readonly ContainerSpec[]): string {
  const rules = containers.flatMap((c) =>
    (c.develop?.watch ?? []).map(
      (r) => `  ${c.name}: ${r.path}${r.target ? ` -> ${r.target}` : ""} (${r.action})`,
    ),
  );
  if (rules.length === 0)
    return (
      `berth: ${project} has no develop.watch rules; following its logs only\n` +
      "hint: add develop: {watch: [{path: ./src, action: sync, target: /app/src}]} to a container\n"
    );
  return `berth: watching ${project} (the daemon syncs; Ctrl-C stops following):\n${rules.join("\n")}\n`;
}
