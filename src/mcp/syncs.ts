/**
 * A project's dev-loop history as the tools show it: the watch-rule outcomes its status keeps
 * (`status.syncs`, newest first, at most 10), filtered, and as text lines. Pure.
 */
import type { ProjectView } from "../service/view.js";
import type { SyncRecord } from "../api/index.js";

/** Whether any container of the project has `develop.watch` rules. */
export function hasWatchRules(view: ProjectView): boolean {
  return view.spec.containers.some((c) => (c.develop?.watch?.length ?? 0) > 0);
}

/** The kept outcomes, newest first, optionally of one container only. */
export function syncsOf(view: ProjectView, filter: { container?: string } = {}): SyncRecord[] {
  return (view.status.syncs ?? []).filter(
    (s) => filter.container === undefined || s.container === filter.container,
  );
}

/** The same records with the newest failed one moved first (what a diagnosis leads with). */
export function failedFirst(syncs: readonly SyncRecord[]): SyncRecord[] {
  const i = syncs.findIndex((s) => s.error !== undefined);
  if (i <= 0) return [...syncs];
  return [syncs[i] as SyncRecord, ...syncs.slice(0, i), ...syncs.slice(i + 1)];
}

/** `time container action path: N files, B bytes, D ms[ FAILED: error]`, one line. */
export function syncLine(s: SyncRecord): string {
  const outcome = s.error ? ` FAILED: ${s.error}` : "";
  return `${s.time} ${s.container} ${s.action} ${s.path}: ${s.files} files, ${s.bytes} bytes, ${s.durationMs} ms${outcome}`;
}
