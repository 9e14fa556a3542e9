/** A world for executor tests: a FakeDockerWriter with its observer view, fakes around it, and a planner on it. */
import type { ContainerSpec, Project } from "../../../src/api/index.js";
import { containerHash, createSpec, type ContainerInputs } from "../../../src/reconcilers/container-spec.js";
import { DockerGate } from "../../../src/reconcilers/gate.js";
import { ReconcileMemory } from "../../../src/reconcilers/memory.js";
import { containerName, networkName } from "../../../src/reconcilers/names.js";
import { plan, type PlanInput, type ResolvedContainer } from "../../../src/reconcilers/plan.js";
import { nopLogger } from "../../../src/util/logger.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { FakeDockerWriter, FakeObservedContainers } from "../../helpers/fake-docker.js";
import { assignmentsOf, FakeImages, FakeNetworks, FakePorts, KEY, PUBLISH } from "./harness.js";

/** The engine, fakes and executor deps of one test; `concurrency` sizes the DockerGate. */
export function world(opts: { concurrency?: number } = {}) {
  const engine = new FakeDockerWriter();
  const view = new FakeObservedContainers(engine);
  const networks = new FakeNetworks();
  const ports = new FakePorts();
  const images = new FakeImages();
  const memory = new ReconcileMemory();
  const clock = new FakeClock();
  clock.advance(5000);
  const deps = {
    docker: engine,
    networks,
    ports,
    images,
    memory,
    clock,
    logger: nopLogger,
    stopTimeoutSeconds: 1,
    gate: new DockerGate(opts.concurrency ?? 16),
  };
  const inputs = (s: ContainerSpec): ContainerInputs => ({
    key: KEY,
    instance: "test",
    spec: s,
    ports: assignmentsOf(s),
    imageID: `sha256:${s.image}`,
    network: networkName(KEY),
    publishAddress: PUBLISH,
    hostPaths: [],
    restartedAt: undefined,
  });
  return {
    engine,
    networks,
    ports,
    images,
    memory,
    clock,
    deps,
    /** Creates (and starts, unless told not to) a container as the reconciler would have made it. */
    async seed(s: ContainerSpec, opts: { start?: boolean; name?: string } = {}): Promise<string> {
      const i = inputs(s);
      const id = await engine.createContainer(
        createSpec(i, opts.name ?? containerName(KEY, s.name), containerHash(i)),
      );
      if (opts.start !== false) await engine.startContainer(id);
      engine.log.length = 0;
      return id;
    },
    /** Plans `p` against what the engine holds now. */
    planFor(p: Project | undefined, over: Partial<PlanInput> = {}) {
      const resolved = new Map(
        (p?.spec.containers ?? []).map((s): [string, ResolvedContainer] => [
          s.name,
          { ports: assignmentsOf(s), imageID: `sha256:${s.image}`, hostPaths: [] },
        ]),
      );
      view.sync();
      return plan({
        key: KEY,
        project: p,
        observed: view.byProject(KEY),
        resolved,
        instance: "test",
        publishAddress: PUBLISH,
        stoppedByBerth: memory.stoppedByUs(),
        pending: memory.pending(KEY),
        now: clock.now(),
        ...over,
      });
    },
  };
}
