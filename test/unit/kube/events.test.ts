import { describe, expect, it } from "vitest";
import type { ProjectStatus } from "../../../src/api/types.js";
import { EventRecorder } from "../../../src/kube/events.js";
import { statusEvents, withKnownIds } from "../../../src/kube/status-events.js";
import { nopLogger } from "../../../src/util/logger.js";
import { FakeEvents, projectObject } from "../../helpers/fake-kube-api.js";

describe("EventRecorder", () => {
  it("creates an event about the Project and counts repeats on the same event", async () => {
    const api = new FakeEvents();
    const rec = new EventRecorder({ api, instance: "host_1", logger: nopLogger, now: () => new Date(0) });
    const obj = projectObject("a", { namespace: "team" });
    rec.record(obj, { type: "Warning", reason: "PortConflict", message: "port 1 held" });
    rec.record(obj, { type: "Warning", reason: "PortConflict", message: "port 1 held" });
    rec.record(obj, { type: "Normal", reason: "Created", message: "container web created" });
    await rec.flush();
    const events = [...api.events.values()];
    expect(events).toHaveLength(2);
    const conflict = events.find((e) => e.reason === "PortConflict");
    expect(conflict).toMatchObject({
      type: "Warning",
      count: 2,
      involvedObject: { kind: "Project", name: "a", namespace: "team", uid: "uid-a" },
      source: { component: "berth" },
      metadata: { namespace: "team" },
    });
    expect(conflict?.metadata.name).toMatch(/^a\.[0-9a-f]{16}$/);
  });

  it("records afresh when the earlier event expired on the server, and never throws", async () => {
    const api = new FakeEvents();
    const rec = new EventRecorder({ api, instance: "i", logger: nopLogger });
    const obj = projectObject("a");
    rec.record(obj, { type: "Normal", reason: "Ready", message: "ok" });
    await rec.flush();
    api.events.clear();
    rec.record(obj, { type: "Normal", reason: "Ready", message: "ok" });
    await rec.flush();
    expect([...api.events.values()].map((e) => e.count)).toEqual([1]);
    api.create = () => Promise.reject(new Error("down"));
    rec.record(obj, { type: "Normal", reason: "Other", message: "x" });
    await expect(rec.flush()).resolves.toBeUndefined();
  });
});

describe("statusEvents", () => {
  const base: ProjectStatus = {
    phase: "Progressing",
    containers: [{ name: "web", state: "missing", health: "none" }],
    conditions: [],
  };

  it("reports created, replaced, ready and unhealthy containers", () => {
    const created: ProjectStatus = {
      phase: "Running",
      ready: "1/1",
      containers: [{ name: "web", containerID: "a".repeat(64), image: "img", health: "none" }],
    };
    expect(statusEvents(base, created).map((e) => e.reason)).toEqual(["Created", "Ready"]);
    const replaced: ProjectStatus = {
      ...created,
      containers: [{ name: "web", containerID: "b".repeat(64), health: "unhealthy" }],
    };
    const notes = statusEvents(created, replaced);
    expect(notes.map((e) => `${e.type} ${e.reason}`)).toEqual(["Normal Replaced", "Warning Unhealthy"]);
    expect(notes[0]?.message).toContain(`${"a".repeat(12)} -> ${"b".repeat(12)}`);
    expect(statusEvents(replaced, replaced)).toEqual([]);
  });

  it("reports conditions that turn False: port conflicts, missing images, invalid specs", () => {
    const cond = (type: string, status: string, message = "") => ({
      type,
      status,
      reason: "r",
      message,
      lastTransitionTime: "t",
    });
    const failed = {
      phase: "Failed",
      conditions: [
        cond("PortsAllocated", "False", "port 80 held by pid 1"),
        cond("ImageAvailable", "False", "no image"),
      ],
    } as ProjectStatus;
    const notes = statusEvents(base, failed);
    expect(notes.map((n) => n.reason)).toEqual(["PortConflict", "ImageMissing"]);
    expect(notes[0]?.message).toBe("port 80 held by pid 1");
    expect(statusEvents(failed, failed)).toEqual([]);
  });

  it("reports a replacement as Replaced even when the container was missing in between", () => {
    const one: ProjectStatus = {
      phase: "Running",
      containers: [{ name: "web", containerID: "a".repeat(64) }],
    };
    const gap: ProjectStatus = { phase: "Progressing", containers: [{ name: "web", state: "missing" }] };
    const two: ProjectStatus = {
      phase: "Progressing",
      containers: [{ name: "web", containerID: "b".repeat(64) }],
    };
    const remembered = withKnownIds(one, gap);
    expect(statusEvents(one, gap)).toEqual([]);
    expect(statusEvents(remembered, two).map((e) => e.reason)).toEqual(["Replaced"]);
  });
});
