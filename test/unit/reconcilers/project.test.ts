import { describe, expect, it } from "vitest";
import { TerminalError } from "../../../src/controller/errors.js";
import { EXPECTATION_MS } from "../../../src/reconcilers/plan.js";
import { DockerError } from "../../../src/runtime/errors.js";
import { FakeDockerWriter } from "../../helpers/fake-docker.js";
import { FakeStatus, KEY, project, reconcilerHarness, spec } from "./harness.js";

const api = spec("api");
const worker = spec("worker", { ports: [] });
const API = "berth-default-shop-api";

describe("ProjectReconciler", () => {
  it("creates a project and then makes no Docker call", async () => {
    const h = reconcilerHarness();
    h.setDesired(project([api, worker]));
    expect(await h.reconcile()).toEqual({ requeueAfterMs: 1000 });
    // Independent containers are created at once.
    expect(h.engine.log).toEqual([
      `createContainer ${API}`,
      "createContainer berth-default-shop-worker",
      `startContainer ${API}`,
      "startContainer berth-default-shop-worker",
    ]);
    // Once per reconcile, while ports and images are resolved (the real one remembers it).
    expect(h.networks.log).toEqual(["ensure berth-default-shop"]);
    h.engine.log.length = 0;
    expect(await h.reconcile()).toBeUndefined();
    expect(h.engine.log).toEqual([]);
    expect(h.status.map.get(KEY)).toMatchObject({ phase: "Running", ready: "2/2" });
  });

  it("writes Progressing, with the container updating, before the first Docker change", async () => {
    const h = reconcilerHarness();
    h.setDesired(project([api]));
    await h.settle();
    const seen: Array<{ calls: number; phase: string | undefined; message: string | undefined }> = [];
    const set = h.status.set.bind(h.status);
    h.status.set = (key, status) => {
      const ready = status.conditions?.find((c) => c.type === "Ready");
      seen.push({ calls: h.engine.log.length, phase: status.phase, message: ready?.message });
      return set(key, status);
    };
    h.engine.log.length = 0;
    h.setDesired(project([spec("api", { env: [{ name: "A", value: "1" }] })]));
    await h.reconcile();
    expect(seen[0]).toEqual({ calls: 0, phase: "Progressing", message: "api: running, updating" });
    expect(seen).toHaveLength(2);
  });

  it("does not create a container twice while the observer has not reported it", async () => {
    const h = reconcilerHarness();
    h.view.live = false;
    h.setDesired(project([api]));
    await h.reconcile();
    await h.reconcile();
    expect(h.engine.log.filter((l) => l.startsWith("createContainer"))).toHaveLength(1);
    h.clock.advance(EXPECTATION_MS + 1);
    await expect(h.reconcile()).rejects.toThrow(/already in use/);
    expect(h.engine.log.filter((l) => l.startsWith("createContainer"))).toHaveLength(2);
  });

  it("leaves a container with a port conflict alone and says so", async () => {
    const h = reconcilerHarness();
    h.ports.conflicts.add("api");
    h.setDesired(project([api, worker]));
    expect(await h.reconcile()).toEqual({ requeueAfterMs: 15_000 });
    expect(h.engine.log.every((l) => l.includes("worker"))).toBe(true);
    const status = h.status.map.get(KEY);
    expect(status?.phase).toBe("Failed");
    expect(status?.conditions?.find((c) => c.type === "PortsAllocated")?.status).toBe("False");
  });

  it("reports an unavailable image without touching that container", async () => {
    const h = reconcilerHarness();
    h.images.missing.add("img:2");
    h.setDesired(project([api]));
    await h.settle();
    h.engine.log.length = 0;
    h.setDesired(project([spec("api", { image: "img:2" })]));
    expect(await h.reconcile()).toEqual({ requeueAfterMs: 15_000 });
    expect(h.engine.log).toEqual([]);
    expect(h.status.map.get(KEY)?.conditions?.find((c) => c.type === "ImageAvailable")).toMatchObject({
      status: "False",
      message: "image img:2 is not present",
    });
  });

  it("starts what it stopped after an operator restart, for every container, whatever the policy", async () => {
    const engine = new FakeDockerWriter();
    const status = new FakeStatus();
    const jobs = [
      spec("a", { restartPolicy: "Never", ports: [] }),
      spec("b", { restartPolicy: "OnFailure", ports: [] }),
    ];
    const first = reconcilerHarness({ engine, status });
    first.setDesired(project(jobs));
    await first.settle();
    first.setDesired(project(jobs, { state: "Stopped" }));
    await first.settle();
    expect(status.map.get(KEY)?.phase).toBe("Stopped");
    const second = reconcilerHarness({ engine, status });
    second.setDesired(project(jobs));
    engine.log.length = 0;
    await second.reconcile();
    expect(engine.log).toEqual([
      "startContainer berth-default-shop-a",
      "startContainer berth-default-shop-b",
    ]);
  });

  it("tears a deleted project down: containers, network, ports, status", async () => {
    const h = reconcilerHarness();
    h.setDesired(project([api]));
    await h.settle();
    h.setDesired(undefined);
    expect(await h.reconcile()).toBeUndefined();
    expect(h.engine.docs.size).toBe(0);
    expect(h.networks.log).toContain("remove berth-default-shop");
    expect(h.ports.released).toEqual([KEY]);
    expect(h.status.map.has(KEY)).toBe(false);
  });

  it("leaves a project of another host to that host", async () => {
    const h = reconcilerHarness({ hostId: "here" });
    h.setDesired(project([api]));
    await h.settle();
    h.setDesired(project([api], { host: "there" }));
    await h.reconcile();
    expect(h.engine.docs.size).toBe(0);
  });

  it("shows an error worth retrying in status and rethrows it", async () => {
    const h = reconcilerHarness();
    h.setDesired(project([api]));
    await h.settle();
    const err = new DockerError("daemon hiccup", { op: "stopContainer", endpoint: "x", statusCode: 503 });
    h.engine.fail("stopContainer", err);
    h.setDesired(project([spec("api", { image: "img:2" })]));
    await expect(h.reconcile()).rejects.toBe(err);
    // The change was announced (Progressing) before the error; the status stays so.
    const status = h.status.map.get(KEY);
    expect(status?.phase).toBe("Progressing");
    expect(status?.conditions?.[0]).toMatchObject({
      reason: "ReconcileError",
      message: "daemon hiccup (retrying)",
    });
    await h.settle();
    h.ports.allocate = async () => {
      throw new Error("registry down");
    };
    await expect(h.reconcile()).rejects.toThrow("registry down");
    expect(h.status.map.get(KEY)?.phase).toBe("Degraded");
  });

  it("throws a TerminalError after the other containers were converged", async () => {
    const h = reconcilerHarness();
    h.engine.fail("createContainer", new TerminalError("never"), { name: API });
    h.setDesired(project([api, worker]));
    await expect(h.reconcile()).rejects.toBeInstanceOf(TerminalError);
    expect(h.engine.idOf("berth-default-shop-worker")).toBeDefined();
  });
});
