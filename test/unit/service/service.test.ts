import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SpecInvalidError } from "../../../src/api/errors.js";
import { parseLabelSelector, matchesSelector } from "../../../src/service/label-selector.js";
import { BadRequestError, ProjectNotFoundError } from "../../../src/api/write-errors.js";
import { describeStatus } from "../../../src/service/view.js";
import { writeConvergence } from "../../../src/service/wait.js";
import { ProjectService } from "../../../src/service/service.js";
import { FileSpecWriter } from "../../../src/files/spec-writer.js";
import { FakeDesired, FakeStatus, projectYaml } from "../../helpers/fake-state.js";
import type { WriteResult } from "../../../src/api/index.js";

describe("ProjectService", () => {
  let dir: string;
  let desired: FakeDesired;
  let status: FakeStatus;
  let service: ProjectService;

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), "berth-service-")));
    desired = new FakeDesired();
    status = new FakeStatus();
    const writer = new FileSpecWriter(dir, desired);
    const info = { dir, version: "0.0.0-test", pid: 1, http: "http://127.0.0.1:0" };
    service = new ProjectService({
      desired,
      status,
      writer,
      ready: () => true,
      info,
      now: () => new Date("2025-01-01T00:00:00Z"),
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** What the file source would do after a write: index every file of the directory again. */
  function sync(): void {
    for (const name of readdirSync(dir)) desired.load(join(dir, name), readFileSync(join(dir, name), "utf8"));
  }

  describe("reads", () => {
    beforeEach(() => {
      writeFileSync(
        join(dir, "all.yaml"),
        [projectYaml("web"), projectYaml("db", { namespace: "prod" })].join("---\n"),
      );
      sync();
      desired.items.get("default/web")!.project.metadata.labels = { team: "docs", tier: "front" };
      status.set("prod/db", { phase: "Running", observedGeneration: 1 });
    });

    it("lists views sorted by namespace and name, with Pending for projects without status", () => {
      const views = service.list();
      expect(views.map((v) => `${v.namespace}/${v.name}:${v.status.phase}`)).toEqual([
        "default/web:Pending",
        "prod/db:Running",
      ]);
      expect(views[0]).toMatchObject({
        generation: 1,
        file: join(dir, "all.yaml"),
        line: 1,
        transitions: [],
        specErrors: [],
      });
      expect(views[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it("filters by namespace, label selector and phase", () => {
      expect(service.list({ namespace: "prod" }).map((v) => v.name)).toEqual(["db"]);
      expect(service.list({ labelSelector: "team=docs,tier in (front,back)" }).map((v) => v.name)).toEqual([
        "web",
      ]);
      expect(service.list({ labelSelector: "!team" }).map((v) => v.name)).toEqual(["db"]);
      expect(service.list({ phase: "running" }).map((v) => v.name)).toEqual(["db"]);
      expect(() => service.list({ phase: "Sleeping" })).toThrow(BadRequestError);
      expect(() => service.list({ labelSelector: "a=b=c" })).toThrow(/invalid label selector/);
    });

    it("gets one project or throws ProjectNotFoundError", () => {
      expect(service.get("prod", "db").status.phase).toBe("Running");
      expect(() => service.get("prod", "web")).toThrow(ProjectNotFoundError);
    });
  });

  describe("apply", () => {
    it("rejects the whole request when any document is invalid, writing nothing", async () => {
      const text = `${projectYaml("good")}---\n${projectYaml("bad").replace("image: berth-test/busybox:1", "image: 7\n      bogus: 1")}`;
      const err = await service.apply(text).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpecInvalidError);
      expect((err as SpecInvalidError).errors.length).toBeGreaterThanOrEqual(2);
      expect((err as SpecInvalidError).errors[0]?.file).toBe("request");
      expect(readdirSync(dir)).toEqual([]);
    });

    it("rejects duplicates, empty requests and expectedHash with several projects", async () => {
      await expect(service.apply(`${projectYaml("a")}---\n${projectYaml("a")}`)).rejects.toThrow(
        /already defined/,
      );
      await expect(service.apply("# nothing\n")).rejects.toThrow(BadRequestError);
      await expect(
        service.apply(`${projectYaml("a")}---\n${projectYaml("b")}`, { expectedHash: "x" }),
      ).rejects.toThrow(/one project/);
    });

    it("writes the user's documents and reports per project", async () => {
      const res = await service.apply(`${projectYaml("a")}---\n${projectYaml("b", { namespace: "prod" })}`);
      expect(res.results.map((r) => [r.key, r.action])).toEqual([
        ["default/a", "created"],
        ["prod/b", "created"],
      ]);
      expect(readFileSync(join(dir, "a.yaml"), "utf8")).toBe(projectYaml("a"));
      sync();
      const again = await service.apply(projectYaml("a", { image: "berth-test/busybox:2" }));
      expect(again.results[0]).toMatchObject({ action: "updated", file: join(dir, "a.yaml") });
      expect(readFileSync(join(dir, "a.yaml"), "utf8")).toBe(
        projectYaml("a", { image: "berth-test/busybox:2" }),
      );
    });

    it("accepts JSON and dry runs without writing", async () => {
      const json = JSON.stringify({
        apiVersion: "berth.dev/v1alpha1",
        kind: "Project",
        metadata: { name: "j" },
        spec: { containers: [{ name: "c", image: "i" }] },
      });
      const res = await service.apply(json, { dryRun: true });
      expect(res).toMatchObject({
        dryRun: true,
        results: [{ key: "default/j", action: "created", dryRun: true }],
      });
      expect(readdirSync(dir)).toEqual([]);
      await service.apply(json);
      expect(readFileSync(join(dir, "j.yaml"), "utf8")).toMatch(
        /^apiVersion: berth.dev\/v1alpha1\nkind: Project\n/,
      );
    });
  });

  describe("waits", () => {
    let result: WriteResult;
    beforeEach(async () => {
      result = (await service.apply(projectYaml("web"))).results[0]!;
    });

    it("converges when the status reaches Running for the written generation", async () => {
      const progress: string[] = [];
      const done = service.waitForWrites([result], { timeoutMs: 5000, onProgress: (m) => progress.push(m) });
      sync();
      status.set("default/web", {
        phase: "Progressing",
        observedGeneration: 1,
        conditions: [
          {
            type: "Progressing",
            status: "True",
            reason: "Pulling",
            message: "pulling berth-test/busybox:1",
            lastTransitionTime: "",
          },
        ],
      });
      status.set("default/web", { phase: "Running", observedGeneration: 1, ready: "1/1" });
      await expect(done).resolves.toEqual({ outcome: "converged", message: "Running (1/1 ready)" });
      expect(progress).toEqual([
        `waiting for the daemon to read ${join(dir, "web.yaml")}`,
        "Progressing: Pulling - pulling berth-test/busybox:1",
      ]);
      expect(status.watchers).toBe(0);
    });

    it("ignores a stale status of an older generation and fails on Failed", async () => {
      sync();
      status.set("default/web", { phase: "Running", observedGeneration: 1 });
      const next = (await service.apply(projectYaml("web", { image: "other:2" }))).results[0]!;
      const done = service.waitForWrites([next], { timeoutMs: 5000 });
      sync();
      status.set("default/web", { phase: "Running", observedGeneration: 1 });
      status.set("default/web", {
        phase: "Failed",
        observedGeneration: 2,
        conditions: [
          {
            type: "ImageAvailable",
            status: "False",
            reason: "ImageNotFound",
            message: "no such image other:2",
            lastTransitionTime: "",
          },
        ],
      });
      await expect(done).resolves.toEqual({
        outcome: "failed",
        message: "Failed: ImageNotFound - no such image other:2",
      });
    });

    it("times out with the last status, and stops on abort", async () => {
      sync();
      status.set("default/web", { phase: "Progressing", observedGeneration: 1 });
      await expect(service.waitForWrites([result], { timeoutMs: 30 })).resolves.toMatchObject({
        outcome: "timeout",
        message: expect.stringContaining("last status: Progressing") as unknown,
      });
      const abort = new AbortController();
      const waiting = service.waitForWrites([result], { timeoutMs: 5000, signal: abort.signal });
      abort.abort();
      await expect(waiting).resolves.toMatchObject({ outcome: "aborted" });
      expect(status.watchers).toBe(0);
    });

    it("waits for Stopped after stop, for restarted containers after restart, for removal after delete", async () => {
      sync();
      status.set("default/web", { phase: "Running", observedGeneration: 1 });
      const stop = (await service.setState("default", "web", "Stopped")).results[0]!;
      const stopped = service.waitForWrites([stop], { timeoutMs: 5000 });
      sync();
      status.set("default/web", { phase: "Stopped", observedGeneration: 2 });
      await expect(stopped).resolves.toMatchObject({ outcome: "converged", message: "Stopped" });

      await service.setState("default", "web", "Running");
      sync();
      const restart = (await service.restart("default", "web")).results[0]!;
      expect(restart.restartedAt).toBe("2025-01-01T00:00:00.000Z");
      const restarted = service.waitForWrites([restart], { timeoutMs: 5000 });
      sync();
      status.set("default/web", {
        phase: "Running",
        observedGeneration: 3,
        containers: [{ name: "app", startedAt: "2024-12-31T23:00:00Z" }],
      });
      status.set("default/web", {
        phase: "Running",
        observedGeneration: 3,
        containers: [{ name: "app", startedAt: "2025-01-01T00:00:01.123456789Z" }],
      });
      await expect(restarted).resolves.toMatchObject({ outcome: "converged" });

      const del = (await service.delete("default", "web")).results[0]!;
      const deleted = service.waitForWrites([del], { timeoutMs: 5000 });
      desired.remove("default/web");
      status.remove("default/web");
      await expect(deleted).resolves.toEqual({ outcome: "converged", message: "deleted" });
    });
  });
});

describe("label selectors", () => {
  it("parses and matches the Kubernetes forms", () => {
    const labels = { app: "web", tier: "front" };
    const m = (s: string) => matchesSelector(parseLabelSelector(s), labels);
    expect(m("")).toBe(true);
    expect(m("app=web")).toBe(true);
    expect(m("app==web,tier!=back")).toBe(true);
    expect(m("app in (db, web)")).toBe(true);
    expect(m("tier notin (front)")).toBe(false);
    expect(m("app,!team")).toBe(true);
    expect(m("team")).toBe(false);
    expect(() => parseLabelSelector("app=we b")).toThrow(BadRequestError);
  });
});

describe("describeStatus and writeConvergence", () => {
  it("summarises a status by phase, ready count and the explaining condition", () => {
    expect(describeStatus({})).toBe("Pending");
    expect(
      describeStatus({
        phase: "Degraded",
        ready: "1/2",
        conditions: [
          {
            type: "Ready",
            status: "False",
            reason: "Unhealthy",
            message: "db failing",
            lastTransitionTime: "",
          },
          {
            type: "PortsAllocated",
            status: "False",
            reason: "PortConflict",
            message: "20001 held by x",
            lastTransitionTime: "",
          },
        ],
      }),
    ).toBe("Degraded (1/2 ready): PortConflict - 20001 held by x");
  });

  it("treats Degraded as a failure once the generation is observed", () => {
    const check = writeConvergence({
      key: "d/x",
      namespace: "d",
      name: "x",
      file: "f",
      action: "updated",
      dryRun: false,
    });
    const desired = {
      project: { spec: { state: "Running" }, metadata: {} },
      generation: 2,
      hash: "h",
    } as never;
    expect(
      check({ desired, status: { status: { phase: "Degraded", observedGeneration: 1 }, transitions: [] } })
        .state,
    ).toBe("pending");
    expect(
      check({ desired, status: { status: { phase: "Degraded", observedGeneration: 2 }, transitions: [] } })
        .state,
    ).toBe("failed");
  });
});
