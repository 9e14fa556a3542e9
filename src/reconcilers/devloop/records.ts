/**
 * The status side of the dev loop: the last outcomes of a project's watch rules and the
 * `Synced` condition they add up to. Pure.
 */
import type { Condition, SyncRecord } from "../../api/index.js";

/** Outcomes kept per project in `status.syncs`. */
export const MAX_SYNC_RECORDS = 10;

/** `records` with `record` in front, at most {@link MAX_SYNC_RECORDS}. */
export function withRecord(records: readonly SyncRecord[], record: SyncRecord): SyncRecord[] {
  return [record, ...records].slice(0, MAX_SYNC_RECORDS);
}

/** `1.2 KiB`, `512 B`, `3.4 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] ?? "TiB"}`;
}

/** What one outcome says, e.g. `synced 3 files (1.2 KiB) into api:/app in 45 ms`. */
export function describeRecord(r: SyncRecord, target: string | undefined): string {
  const files = `${r.files} file${r.files === 1 ? "" : "s"}`;
  const where = target !== undefined ? `${r.container}:${target}` : r.container;
  const took = `in ${r.durationMs} ms`;
  if (r.error !== undefined) return `${r.action} of ${r.path} into ${where} failed: ${r.error}`;
  switch (r.action) {
    case "sync":
      return `synced ${files} (${formatBytes(r.bytes)}) into ${where} ${took}`;
    case "sync+restart":
      return `synced ${files} (${formatBytes(r.bytes)}) into ${where} and restarted it ${took}`;
    case "sync+exec":
      return `synced ${files} (${formatBytes(r.bytes)}) into ${where} and ran its command ${took}`;
    case "restart":
      return `restarted ${r.container} after ${files} changed under ${r.path} ${took}`;
    default:
      return `rebuilding ${r.container}: ${files} changed under ${r.path}`;
  }
}

/**
 * The `Synced` condition for the newest outcome: True/Synced or False/SyncFailed; Unknown/Watching
 * before the first one. `previous` keeps its transition time while the status stays the same.
 */
export function syncedCondition(
  latest: { record: SyncRecord; message: string } | undefined,
  previous: Condition | undefined,
  now: string,
  generation: number,
): Condition {
  const status = latest === undefined ? "Unknown" : latest.record.error === undefined ? "True" : "False";
  const reason = latest === undefined ? "Watching" : status === "True" ? "Synced" : "SyncFailed";
  const message = latest?.message ?? "watching for changes; nothing synced yet";
  return {
    type: "Synced",
    status,
    reason,
    message,
    lastTransitionTime: previous?.status === status ? previous.lastTransitionTime : now,
    observedGeneration: generation,
  };
}
