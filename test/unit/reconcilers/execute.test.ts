import { describe, expect, it } from "vitest";
import { TerminalError } from "../../../src/controller/errors.js";
import { execute, PlanNotExecutableError, type Progress } from "../../../src/reconcilers/execute.js";
import { containerName, networkName } from "../../../src/reconcilers/names.js";
import { EXPECTATION_MS } from "../../../src/reconcilers/plan.js";
import { DockerError, ImageNotFoundError } from "../../../src/runtime/errors.js";
import { world } from "./executor-world.js";
import { KEY, project, spec } from "./harness.js";

const api = spec("api");
const worker = spec("worker", { ports: [] });
const NAME = containerName(KEY, "api");
const WORKER = containerName(KEY, "worker");
const endpoint = "fake://docker";

const call = { signal: new AbortController().signal };
const portTaken = () =>
  new DockerError("start failed", {
    op: "startContainer",
    endpoint,
    statusCode: 500,
    daemonMessage: "Bind for 127.0.0.1:29000 failed: port is already allocated",
  });

describe("execute", () => {
  it("replaces a container with published ports: stop, remove, then create and start", async () => {
    const w = world();
    await w.seed(api);
    const changed = spec("api", { env: [{ name: "A", value: "1" }] });
    const run = await execute(w.planFor(project([changed])), w.deps, call);
    expect(w.networks.log).toEqual([`ensure ${networkName(KEY)}`]);
    expect(w.engine.log).toEqual([
      `stopContainer ${NAME}`,
      `removeContainer ${NAME}`,
      `createContainer ${NAME}`,
      `startContainer ${NAME}`,
    ]);
    expect(run.acted).toEqual(new Set(["api"]));
    expect(run.containers.has("api")).toBe(false);
    const id = w.engine.idOf(NAME) ?? "";
    expect(w.memory.pending(KEY).get("api")).toMatchObject({ id, at: 5000 });
  });

  it("starts the replacement of a container without ports first, then renames it", async () => {
    const w = world();
    await w.seed(worker);
    const changed = spec("worker", { ports: [], env: [{ name: "A", value: "1" }] });
    const p = w.planFor(project([changed]));
    await execute(p, w.deps, call);
    const temp = p.slots[0]?.actions[0]?.kind === "replace" ? p.slots[0].actions[0].creation?.createAs : "";
    expect(temp).toMatch(new RegExp(`^${WORKER}-[0-9a-f]{8}$`));
    expect(w.engine.log).toEqual([
      `createContainer ${temp}`,
      `startContainer ${temp}`,
      `stopContainer ${WORKER}`,
      `removeContainer ${WORKER}`,
      `renameContainer ${temp} -> ${WORKER}`,
    ]);
    expect([...w.engine.docs.values()].map((d) => d.Name)).toEqual([`/${WORKER}`]);
  });

  it("removes a new container whose host port is taken and releases the project's ports", async () => {
    const w = world();
    w.engine.fail("startContainer", portTaken());
    const run = await execute(w.planFor(project([api])), w.deps, call);
    expect(run.retry).toMatchObject({ message: "start failed" });
    expect(run.errors.get("api")).toBe("start failed");
    expect(w.engine.log).toEqual([
      `createContainer ${NAME}`,
      `startContainer ${NAME}`,
      `stopContainer ${NAME}`,
      `removeContainer ${NAME}`,
    ]);
    expect(w.ports.released).toEqual([KEY]);
    expect(w.memory.pending(KEY).size).toBe(0);
  });

  it("replaces an existing container dockerd cannot start", async () => {
    const w = world();
    await w.seed(api, { start: false });
    w.engine.fail(
      "startContainer",
      new DockerError("task already exists", { op: "startContainer", endpoint, statusCode: 500 }),
    );
    const run = await execute(w.planFor(project([api])), w.deps, call);
    expect(w.engine.log).toEqual([
      `startContainer ${NAME}`,
      `stopContainer ${NAME}`,
      `removeContainer ${NAME}`,
    ]);
    expect(run.acted).toEqual(new Set(["api"]));
    expect(run.containers.has("api")).toBe(false);
    expect(w.ports.released).toEqual([]);
  });

  it("releases the ports when an existing container's host port is taken", async () => {
    const w = world();
    await w.seed(api, { start: false });
    w.engine.fail("startContainer", portTaken());
    await execute(w.planFor(project([api])), w.deps, call);
    expect(w.engine.docs.size).toBe(0);
    expect(w.ports.released).toEqual([KEY]);
  });

  it("hands another start failure back for the retry, keeping the container", async () => {
    const w = world();
    await w.seed(api, { start: false });
    const err = new DockerError("bad request", { op: "startContainer", endpoint, statusCode: 400 });
    w.engine.fail("startContainer", err);
    const run = await execute(w.planFor(project([api])), w.deps, call);
    expect(run.retry).toBe(err);
    expect(w.engine.docs.size).toBe(1);
  });

  it("counts a container removed meanwhile as removed", async () => {
    const w = world();
    const id = await w.seed(spec("gone"));
    const p = w.planFor(project([api]));
    w.engine.docs.delete(id);
    await execute(p, w.deps, call);
    // The spec's containers first, then the orphans.
    expect(w.engine.log).toEqual([
      `createContainer ${NAME}`,
      `startContainer ${NAME}`,
      `stopContainer ${id}`,
    ]);
  });

  it("records a TerminalError of one container and goes on with the others", async () => {
    const w = world();
    w.engine.fail("createContainer", new TerminalError("cannot ever create api"), { name: NAME });
    const run = await execute(w.planFor(project([api, worker])), w.deps, call);
    expect(run.failures).toEqual(["cannot ever create api"]);
    expect(run.acted).toEqual(new Set(["worker"]));
    expect(w.engine.log).toEqual([
      `createContainer ${NAME}`,
      `createContainer ${WORKER}`,
      `startContainer ${WORKER}`,
    ]);
  });

  it("goes on with the others after another error, and hands the first back for the retry", async () => {
    const w = world();
    const err = new DockerError("daemon hiccup", { op: "createContainer", endpoint, statusCode: 503 });
    w.engine.fail("createContainer", err, { name: NAME });
    w.engine.fail("createContainer", new Error("second"), { name: WORKER });
    const db = spec("db", { ports: [] });
    const run = await execute(w.planFor(project([api, worker, db])), w.deps, call);
    expect(run.retry).toBe(err);
    expect(run.errors).toEqual(
      new Map([
        ["api", "daemon hiccup"],
        ["worker", "second"],
      ]),
    );
    expect(run.acted).toEqual(new Set(["db"]));
    expect(w.engine.idOf(containerName(KEY, "db"))).toBeDefined();
  });

  it("forgets an image Docker says is gone", async () => {
    const w = world();
    w.engine.fail(
      "createContainer",
      new ImageNotFoundError("img:1", { op: "createContainer", endpoint, statusCode: 404 }),
    );
    const run = await execute(w.planFor(project([api])), w.deps, call);
    expect(run.retry).toBeInstanceOf(ImageNotFoundError);
    expect(w.images.forgotten).toEqual(["img:1"]);
  });

  it("announces once, before the first Docker change, with what status shows by then", async () => {
    const w = world();
    const apiId = await w.seed(api);
    const seen: Array<Progress & { calls: number }> = [];
    const announce = (p: Progress) =>
      seen.push({ ...p, containers: new Map(p.containers), calls: w.engine.log.length });
    await execute(w.planFor(project([api, worker, spec("db", { ports: [] })])), w.deps, call, { announce });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ changing: new Set(["worker", "db"]), calls: 0 });
    expect([...(seen[0]?.containers.keys() ?? [])]).toEqual(["api"]);
    expect(seen[0]?.containers.get("api")?.id).toBe(apiId);
  });

  it("does not announce keeps, orphan removals or a teardown", async () => {
    const w = world();
    await w.seed(api);
    await w.seed(spec("old"));
    const announced: string[] = [];
    const announce = (p: Progress) => announced.push(...p.changing);
    await execute(w.planFor(project([api])), w.deps, call, { announce });
    await execute(w.planFor(undefined), w.deps, call, { announce });
    expect(announced).toEqual([]);
    expect(w.engine.docs.size).toBe(0);
    expect(w.networks.log).toEqual([`remove ${networkName(KEY)}`]);
  });

  it("remembers what it stopped until it starts or removes it", async () => {
    const w = world();
    const id = await w.seed(api);
    await execute(w.planFor(project([api], { state: "Stopped" })), w.deps, call);
    expect(w.engine.log).toEqual([`stopContainer ${NAME}`]);
    expect(w.memory.stoppedByUs().has(id)).toBe(true);
    await execute(w.planFor(project([api])), w.deps, call);
    expect(w.memory.stoppedByUs().has(id)).toBe(false);
    expect(w.engine.docs.get(id)?.State.Running).toBe(true);
  });

  it("drops the pending creations the plan found settled", async () => {
    const w = world();
    w.memory.expect(KEY, "api", { id: "x", hash: "h", at: w.clock.now() - EXPECTATION_MS - 1 });
    const p = w.planFor(project([api]));
    expect(p.settled).toEqual(["api"]);
    await execute(p, w.deps, call);
    expect(w.memory.pending(KEY).get("api")?.id).toBe(w.engine.idOf(NAME));
  });

  it("refuses a dry-run plan whose creation is unknown", async () => {
    const w = world();
    const p = w.planFor(project([api]), { resolved: new Map() });
    await expect(execute(p, w.deps, call)).rejects.toBeInstanceOf(PlanNotExecutableError);
  });
});
