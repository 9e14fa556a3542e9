import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { registerSpecWatchMetrics } from "../../../src/files/metrics.js";
import { WatchProblems } from "../../../src/files/watch-problems.js";
import { nopLogger, type Logger } from "../../../src/util/logger.js";
import { metricValue } from "../../helpers/metric-value.js";

const errno = (code: string, path: string) =>
  Object.assign(new Error(`${code}: failed, watch '${path}'`), { code, path });

describe("WatchProblems", () => {
  const at = new Date("2026-01-02T03:04:05Z");

  it("starts empty, and reports an exhausted watch limit as TreeTooLarge with the fix", () => {
    const p = new WatchProblems("/specs", nopLogger, () => at);
    expect(p.list()).toEqual([]);
    p.watchError(errno("ENOSPC", "/specs/deep/dir"));
    expect(p.list()).toEqual([
      {
        type: "SpecsWatched",
        status: "False",
        reason: "TreeTooLarge",
        message: expect.stringContaining("raise fs.inotify.max_user_watches") as string,
        lastTransitionTime: "2026-01-02T03:04:05.000Z",
      },
    ]);
    expect(p.list()[0]?.message).toContain("deep/dir in /specs");
  });

  it("keeps the first TreeTooLarge and logs every finding", () => {
    const warned: string[] = [];
    const logger: Logger = { ...nopLogger, warn: (msg) => void warned.push(msg) };
    const p = new WatchProblems("/specs", logger);
    p.treeTooLarge(10, "/specs/a");
    p.treeTooLarge(10, "/specs/b");
    p.watchError(errno("EACCES", "/specs/locked"));
    expect(p.list().map((c) => c.reason)).toEqual(["TreeTooLarge", "Unreadable"]);
    expect(p.list()[0]?.message).toContain("such as a)");
    expect(warned).toEqual(["spec directory too large to watch", "watching spec files failed"]);
  });

  it("lists three unreadable paths and counts the rest, and forgets removed ones", () => {
    const p = new WatchProblems("/specs", nopLogger);
    for (const d of ["a", "b", "c", "d", "e/f"]) p.watchError(errno("EACCES", `/specs/${d}`));
    const [c] = p.list();
    expect(c?.reason).toBe("Unreadable");
    expect(c?.message).toMatch(/^cannot watch a \(EACCES.*\), b \(.*\), c \(.*\) and 2 more in \/specs;/);
    p.forget("/specs/e");
    p.forget("/specs/a");
    p.forget("/specs/b");
    p.forget("/specs/c");
    expect(p.list()[0]?.message).toMatch(/^cannot watch d \(EACCES/);
    p.forget("/specs/d");
    expect(p.list()).toEqual([]);
  });

  it("feeds berth_spec_watch_problems{reason}, 0 for the reasons not present", async () => {
    const registry = new Registry();
    const p = new WatchProblems("/specs", nopLogger);
    registerSpecWatchMetrics(registry, () => p.list());
    expect(await metricValue(registry, "berth_spec_watch_problems", { reason: "Unreadable" })).toBe(0);
    p.watchError(errno("EACCES", "/specs/x"));
    expect(await metricValue(registry, "berth_spec_watch_problems", { reason: "Unreadable" })).toBe(1);
    expect(await metricValue(registry, "berth_spec_watch_problems", { reason: "TreeTooLarge" })).toBe(0);
  });
});
