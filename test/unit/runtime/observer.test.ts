import { afterEach, describe, expect, it } from "vitest";
import { DockerUnavailableError } from "../../../src/runtime/errors.js";
import { DockerObserver } from "../../../src/runtime/observer.js";
import { FakeDocker, inspectDoc, until } from "../../helpers/fake-docker.js";

const running: { abort: AbortController; observer: DockerObserver }[] = [];

function start(docker: FakeDocker) {
  const abort = new AbortController();
  const observer = new DockerObserver({ client: docker, minBackoffMs: 1, maxBackoffMs: 5 });
  const changes: [string, string][] = [];
  observer.onChange((key, id) => changes.push([key, id]));
  observer.start(abort.signal);
  running.push({ abort, observer });
  return { observer, changes, abort };
}

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.abort.abort();
    await r.observer.stopped();
  }
});

describe("DockerObserver", () => {
  it("lists and inspects managed containers, then indexes them by project key", async () => {
    const docker = new FakeDocker();
    docker.containers.set("a", inspectDoc("a", "default.shop"));
    docker.containers.set("b", inspectDoc("b", "default.shop"));
    docker.containers.set("c", inspectDoc("c", "team.other"));
    const { observer, changes } = start(docker);
    expect(observer.synced).toBe(false);
    await observer.waitSynced();
    expect(observer.synced).toBe(true);
    expect(observer.all()).toHaveLength(3);
    expect(
      observer
        .byProject("default/shop")
        .map((c) => c.id)
        .sort(),
    ).toEqual(["a", "b"]);
    expect(observer.byProject("nope/nope")).toEqual([]);
    const a = observer.get("a");
    expect(a).toMatchObject({
      name: "berth-default-shop-a",
      projectKey: "default/shop",
      containerName: "a",
      state: "running",
      health: "none",
      startedAt: "2024-01-01T00:00:00Z",
      finishedAt: undefined,
      ports: [{ containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 20080 }],
    });
    expect(Object.isFrozen(a)).toBe(true);
    expect(changes).toHaveLength(3);
    expect(docker.calls.snapshot()).toEqual({ events: 1, listContainers: 1, inspectContainer: 3 });
  });

  it("applies events; an event that changes nothing notifies nobody; reads make no calls", async () => {
    const docker = new FakeDocker();
    docker.containers.set("a", inspectDoc("a", "default.shop"));
    const { observer, changes } = start(docker);
    await observer.waitSynced();
    changes.length = 0;

    docker.containers.set(
      "a",
      inspectDoc("a", "default.shop", { Status: "exited", Running: false, ExitCode: 137 }),
    );
    docker.emit("die", "a");
    await until(() => observer.get("a")?.state === "exited");
    expect(observer.get("a")?.exitCode).toBe(137);
    expect(changes).toEqual([["default/shop", "a"]]);

    docker.emit("exec_die", "a"); // ignored action
    docker.emit("stop", "a"); // re-inspected, but nothing changed
    await until(() => docker.calls.count("inspectContainer") === 3);
    await new Promise((r) => setTimeout(r, 10));
    expect(changes).toHaveLength(1);

    const before = docker.calls.count();
    for (let i = 0; i < 100; i++) observer.byProject("default/shop");
    expect(docker.calls.count()).toBe(before);
  });

  it("coalesces inspects: never two at once per container, one follow-up for a burst", async () => {
    const docker = new FakeDocker();
    docker.containers.set("a", inspectDoc("a", "default.shop"));
    const { observer } = start(docker);
    await observer.waitSynced();
    let release!: () => void;
    docker.gate = new Promise((r) => (release = r));
    for (let i = 0; i < 10; i++) docker.emit("health_status: healthy", "a");
    await until(() => docker.calls.count("inspectContainer") === 2);
    docker.containers.set(
      "a",
      inspectDoc("a", "default.shop", { Health: { Status: "healthy", FailingStreak: 0, Log: [] } }),
    );
    docker.gate = undefined;
    release();
    await until(() => observer.get("a")?.health === "healthy");
    await new Promise((r) => setTimeout(r, 10));
    expect(docker.calls.count("inspectContainer")).toBe(3); // initial + in-flight + one follow-up
    expect(docker.maxConcurrentPerId).toBe(1);
  });

  it("removes a container on destroy and tells the listener its project", async () => {
    const docker = new FakeDocker();
    docker.containers.set("a", inspectDoc("a", "default.shop"));
    const { observer, changes } = start(docker);
    await observer.waitSynced();
    changes.length = 0;
    docker.containers.delete("a");
    docker.emit("destroy", "a");
    await until(() => observer.get("a") === undefined);
    expect(observer.byProject("default/shop")).toEqual([]);
    expect(changes).toEqual([["default/shop", "a"]]);
    expect(docker.calls.count("inspectContainer")).toBe(1); // destroy needs no inspect
  });

  it("makes no follow-up inspect for a container destroyed while it is being inspected", async () => {
    const docker = new FakeDocker();
    docker.containers.set("a", inspectDoc("a", "default.shop"));
    const { observer } = start(docker);
    await observer.waitSynced();
    let release!: () => void;
    docker.gate = new Promise((r) => (release = r));
    docker.emit("die", "a"); // inspect in flight, held by the gate
    await until(() => docker.calls.count("inspectContainer") === 2);
    docker.emit("stop", "a"); // would need a follow-up
    docker.emit("destroy", "a"); // the inspect in flight still sees the container: it raced the removal
    await new Promise((r) => setTimeout(r, 10)); // the events are handled
    docker.gate = undefined;
    release();
    await until(() => observer.get("a") === undefined);
    await new Promise((r) => setTimeout(r, 10));
    expect(docker.calls.count("inspectContainer")).toBe(2); // initial + the one in flight
    expect(observer.byProject("default/shop")).toEqual([]);
  });

  it.each([
    ["ends", (d: FakeDocker) => d.stream.end()],
    ["breaks", (d: FakeDocker) => d.stream.end(new Error("connection reset"))],
  ])("relists when the events stream %s, catching up on what changed meanwhile", async (_, cut) => {
    const docker = new FakeDocker();
    docker.containers.set("old", inspectDoc("old", "default.shop"));
    const { observer, changes } = start(docker);
    await observer.waitSynced();
    changes.length = 0;
    docker.failEvents = new DockerUnavailableError("ECONNREFUSED", { op: "events", endpoint: "fake" });
    cut(docker);
    await until(() => docker.calls.count("events") >= 3); // a few failed reconnects
    expect(observer.connected).toBe(false);
    expect(observer.get("old")).toBeDefined(); // the cache is kept while disconnected
    docker.containers.delete("old");
    docker.containers.set("new", inspectDoc("new", "default.shop"));
    docker.failEvents = undefined;
    await until(() => observer.get("new") !== undefined && observer.get("old") === undefined);
    await until(() => observer.connected);
    expect(docker.calls.count("listContainers")).toBe(2);
    expect(changes.map(([, id]) => id).sort()).toEqual(["new", "old"]);
    docker.containers.set("new", inspectDoc("new", "default.shop", { Status: "paused" }));
    docker.emit("pause", "new");
    await until(() => observer.get("new")?.state === "paused");
  });

  it("relists after an inspect fails for another reason than not-found", async () => {
    const docker = new FakeDocker();
    docker.containers.set("a", inspectDoc("a", "default.shop"));
    const { observer } = start(docker);
    await observer.waitSynced();
    docker.failInspect = new DockerUnavailableError("ECONNRESET", {
      op: "inspectContainer",
      endpoint: "fake",
    });
    docker.emit("start", "a");
    await until(() => docker.calls.count("listContainers") >= 2);
    docker.failInspect = undefined;
    docker.containers.set("a", inspectDoc("a", "default.shop", {}, 4));
    await until(() => observer.get("a")?.restartCount === 4);
  });

  it("waitSynced rejects when its signal aborts first; stopped() resolves after abort", async () => {
    const docker = new FakeDocker();
    docker.failEvents = new Error("down");
    const { observer, abort } = start(docker);
    const ac = new AbortController();
    const wait = observer.waitSynced(ac.signal);
    ac.abort(new Error("gave up"));
    await expect(wait).rejects.toThrow("gave up");
    abort.abort();
    await observer.stopped();
    expect(observer.synced).toBe(false);
    expect(() => observer.start(new AbortController().signal)).toThrow(/twice/);
  });
});
