import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DevLoop } from "../../../../src/reconcilers/devloop/dev-loop.js";
import { PathResolver } from "../../../../src/reconcilers/mounts.js";
import { createLogger } from "../../../../src/util/logger.js";
import type { SyncRecord, WatchRule } from "../../../../src/api/types.js";
import { until } from "../../../helpers/fake-docker.js";

/** A Docker that records archive uploads and restarts; fault injection per call. */
function fakeDocker() {
  const calls: { op: string; container: string; bytes?: number }[] = [];
  let fail: string | undefined;
  return {
    calls,
    failNext: (message: string) => (fail = message),
    putArchive: async (container: string, _path: string, tar: Readable) => {
      let bytes = 0;
      for await (const c of tar) bytes += (c as Buffer).length;
      calls.push({ op: "putArchive", container, bytes });
      if (fail !== undefined) {
        const message = fail;
        fail = undefined;
        throw new Error(message);
      }
    },
    restartContainer: (container: string) => {
      calls.push({ op: "restart", container });
      return Promise.resolve();
    },
    createExec: () => Promise.reject(new Error("no exec in this test")),
    startExec: () => Promise.reject(new Error("no exec in this test")),
    inspectExec: () => Promise.reject(new Error("no exec in this test")),
  };
}

describe("DevLoop", () => {
  let root: string;
  let loop: DevLoop;
  let docker: ReturnType<typeof fakeDocker>;
  let outcomes: SyncRecord[];
  let enqueued: string[];
  const abort = new AbortController();

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "berth-devloop-"));
    mkdirSync(join(root, "src"));
    writeFileSync(join(root, "src", "a.txt"), "a");
    docker = fakeDocker();
    outcomes = [];
    enqueued = [];
    loop = new DevLoop({
      docker,
      paths: new PathResolver({ allowedRoots: [root] }),
      stopTimeoutSeconds: 1,
      logger: createLogger({ level: "error", format: "json" }),
      output: () => {},
      onOutcome: (_key, record) => outcomes.push(record),
      timing: { quietMs: 20, maxWaitMs: 500, settleMs: 50, maxPaths: 1000 },
    });
    loop.start(abort.signal, (key) => enqueued.push(key));
  });
  afterEach(() => {
    loop.remove("default/p");
    rmSync(root, { recursive: true, force: true });
  });

  const rules: WatchRule[] = [{ path: "./src", action: "sync", target: "/app" }];
  const live = (containerID: string, r: WatchRule[] = rules) => ({ containerID, rules: r, specDir: root });

  it("syncs changes into the running container and records the outcome", async () => {
    loop.set("default/p", "api", live("c1"));
    await loop.watching("default/p");
    writeFileSync(join(root, "src", "a.txt"), "edited");
    await until(() => outcomes.length === 1, 5000);
    expect(docker.calls[0]).toMatchObject({ op: "putArchive", container: "c1" });
    expect(outcomes[0]).toMatchObject({ container: "api", action: "sync", files: 1, bytes: 6 });
    expect(loop.records("default/p")).toHaveLength(1);
    expect(enqueued).toContain("default/p");
  });

  it("keeps its watchers for an unchanged container and rules, and replaces them otherwise", async () => {
    loop.set("default/p", "api", live("c1"));
    loop.set("default/p", "api", live("c1"));
    expect(loop.watcherCount).toBeLessThanOrEqual(1);
    await loop.watching("default/p");
    expect(loop.watcherCount).toBe(1);
    loop.set("default/p", "api", live("c1", [...rules, { path: "./src", action: "restart" }]));
    await loop.watching("default/p");
    expect(loop.watcherCount).toBe(2);
    loop.set("default/p", "api", live("c2"));
    await loop.watching("default/p");
    expect(loop.watcherCount).toBe(1);
  });

  it("leaks no watcher when the project is deleted or its rules are removed", async () => {
    loop.set("default/p", "api", live("c1"));
    loop.set("default/p", "web", live("c2"));
    await loop.watching("default/p");
    expect(loop.watcherCount).toBe(2);
    loop.set("default/p", "web", live("c2", []));
    expect(loop.watcherCount).toBe(1);
    loop.remove("default/p");
    expect(loop.watcherCount).toBe(0);
    writeFileSync(join(root, "src", "a.txt"), "after delete");
    await new Promise((r) => setTimeout(r, 200));
    expect(docker.calls).toEqual([]);
  });

  it("reports a failed sync as an outcome with the error, and a refused path without watching it", async () => {
    loop.set("default/p", "api", live("c1", [...rules, { path: "/etc", action: "restart" }]));
    await loop.watching("default/p");
    expect(loop.watcherCount).toBe(1);
    expect(outcomes[0]?.error).toMatch(/outside the allowed roots/);
    docker.failNext("no such container");
    writeFileSync(join(root, "src", "a.txt"), "x");
    await until(() => outcomes.length === 2, 5000);
    expect(outcomes[1]?.error).toMatch(/no such container/);
    const cond = loop.condition("default/p", undefined, "now", 1);
    expect(cond).toMatchObject({ status: "False", reason: "SyncFailed" });
    expect(cond.message).toMatch(/no such container/);
  });
});
