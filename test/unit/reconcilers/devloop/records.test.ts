import { describe, expect, it } from "vitest";
import type { SyncRecord } from "../../../../src/api/types.js";
import {
  describeRecord,
  formatBytes,
  MAX_SYNC_RECORDS,
  syncedCondition,
  withRecord,
} from "../../../../src/reconcilers/devloop/records.js";

const rec = (over: Partial<SyncRecord> = {}): SyncRecord => ({
  container: "api",
  path: "./src",
  action: "sync",
  time: "2026-01-01T00:00:00Z",
  files: 3,
  bytes: 1229,
  durationMs: 45,
  ...over,
});

describe("dev-loop records", () => {
  it("keeps the newest first, at most 10", () => {
    let list: SyncRecord[] = [];
    for (let i = 0; i < 15; i++) list = withRecord(list, rec({ files: i }));
    expect(list).toHaveLength(MAX_SYNC_RECORDS);
    expect(list.map((r) => r.files)).toEqual([14, 13, 12, 11, 10, 9, 8, 7, 6, 5]);
  });

  it("says what happened, with sizes people read", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1229)).toBe("1.2 KiB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MiB");
    expect(describeRecord(rec(), "/app")).toBe("synced 3 files (1.2 KiB) into api:/app in 45 ms");
    expect(describeRecord(rec({ files: 1, bytes: 3 }), "/app")).toBe(
      "synced 1 file (3 B) into api:/app in 45 ms",
    );
    expect(describeRecord(rec({ error: "no such container" }), "/app")).toBe(
      "sync of ./src into api:/app failed: no such container",
    );
    expect(describeRecord(rec({ action: "restart" }), undefined)).toMatch(
      /^restarted api after 3 files changed/,
    );
  });

  it("makes the Synced condition from the newest outcome, keeping the transition time", () => {
    const ok = syncedCondition({ record: rec(), message: "m" }, undefined, "T1", 2);
    expect(ok).toMatchObject({
      type: "Synced",
      status: "True",
      reason: "Synced",
      message: "m",
      lastTransitionTime: "T1",
    });
    const again = syncedCondition({ record: rec(), message: "m2" }, ok, "T2", 2);
    expect(again.lastTransitionTime).toBe("T1");
    const failed = syncedCondition({ record: rec({ error: "x" }), message: "bad" }, again, "T3", 2);
    expect(failed).toMatchObject({ status: "False", reason: "SyncFailed", lastTransitionTime: "T3" });
    expect(syncedCondition(undefined, undefined, "T4", 1)).toMatchObject({
      status: "Unknown",
      reason: "Watching",
    });
  });
});
