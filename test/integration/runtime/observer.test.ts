// DockerObserver against the real dockerd: initial list, events, restarts after `docker kill`,
// health, and the relist after the events connection breaks.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { DockerClient, DockerEventStream, EventsOptions } from "../../../src/runtime/docker.js";
import { DockerUnavailableError } from "../../../src/runtime/errors.js";
import { DockerObserver } from "../../../src/runtime/observer.js";
import { eventually, RuntimeScope } from "./harness.js";

const scope = new RuntimeScope();
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await scope.cleanup();
});
afterAll(() => scope.close());

/**
 * The scope's client with control over `/events`: `cut()` breaks the open stream as a dropped
 * connection would, and while `blocked` new subscriptions fail as if the daemon were down.
 */
function controllableClient() {
  const open: DockerEventStream[] = [];
  const state = { blocked: false };
  const client = new Proxy(scope.client as DockerClient, {
    get(target, prop, receiver) {
      if (prop !== "streamEvents") return Reflect.get(target, prop, receiver) as unknown;
      return async (opts: EventsOptions): Promise<DockerEventStream> => {
        if (state.blocked) {
          throw new DockerUnavailableError("ECONNREFUSED", { op: "events", endpoint: target.endpoint });
        }
        const inner = await target.streamEvents(opts);
        let broken: Error | undefined;
        const stream: DockerEventStream = {
          close: () => inner.close(),
          async *[Symbol.asyncIterator]() {
            for await (const event of inner) yield event;
            if (broken) throw broken;
          },
        };
        open.push(stream);
        (stream as { cut?: () => void }).cut = () => {
          broken = new DockerUnavailableError("ECONNRESET", { op: "events", endpoint: target.endpoint });
          inner.close();
        };
        return stream;
      };
    },
  });
  const cut = (): void => (open.at(-1) as { cut?: () => void } | undefined)?.cut?.();
  return { client, state, cut };
}

function startObserver(client: DockerClient = scope.client) {
  const abort = new AbortController();
  const observer = new DockerObserver({ client, minBackoffMs: 50, maxBackoffMs: 200 });
  const changes: string[] = [];
  observer.onChange((key, id) => {
    if (key === scope.projectKey) changes.push(id);
  });
  observer.start(abort.signal);
  stops.push(async () => {
    abort.abort();
    await observer.stopped();
  });
  return { observer, changes };
}

async function runContainer(opts: { restart?: string; health?: boolean } = {}): Promise<string> {
  const id = await scope.client.createContainer({
    name: scope.name(),
    Image: scope.env.image,
    Cmd: ["sleep", "300"],
    Labels: scope.labels(),
    HostConfig: {
      RestartPolicy: { Name: opts.restart ?? "no" },
      PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
    },
    ExposedPorts: { "8080/tcp": {} },
    ...(opts.health
      ? { Healthcheck: { Test: ["CMD", "true"], Interval: 200_000_000, StartPeriod: 0, Retries: 1 } }
      : {}),
  });
  await scope.client.startContainer(id);
  return id;
}

describe("DockerObserver (real dockerd)", () => {
  it("lists existing containers, then sees one created after start through events alone", async () => {
    const existing = await runContainer();
    const { observer, changes } = startObserver();
    await observer.waitSynced();
    const seen = observer.get(existing);
    expect(seen).toMatchObject({
      id: existing,
      projectKey: scope.projectKey,
      containerName: "main",
      state: "running",
      running: true,
      image: scope.env.image,
      restartCount: 0,
    });
    expect(seen?.imageID).toMatch(/^sha256:/);
    expect(seen?.portBindings).toEqual([
      { containerPort: 8080, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 0 },
    ]);
    expect(seen?.ports[0]?.hostPort).toBeGreaterThan(0);

    const lists = scope.client.calls.count("listContainers");
    const created = await runContainer();
    await eventually(
      "observer sees the new container running",
      () => observer.get(created)?.running === true,
    );
    expect(
      observer
        .byProject(scope.projectKey)
        .map((c) => c.id)
        .sort(),
    ).toEqual([existing, created].sort());
    expect(changes).toContain(created);
    expect(scope.client.calls.count("listContainers")).toBe(lists); // no relist was needed

    await scope.client.removeContainer(created, { force: true });
    await eventually("observer drops the removed container", () => observer.get(created) === undefined);
  });

  it("reflects `docker kill` of a container with restart policy always", async () => {
    const { observer } = startObserver();
    await observer.waitSynced();
    const id = await runContainer({ restart: "always" });
    await eventually("running", () => observer.get(id)?.running === true);
    const startedAt = observer.get(id)?.startedAt;

    await scope.raw.getContainer(id).kill();
    // dockerd 20.10 treats `docker kill` as a manual stop (exited, no restart); newer daemons
    // restart the container. Either way the observer must show what dockerd shows.
    await eventually("kill observed", () => {
      const c = observer.get(id);
      return c !== undefined && (c.state === "exited" || c.restartCount >= 1);
    });
    const after = observer.get(id);
    const truth = await scope.client.inspectContainer(id);
    if (after?.state === "exited") {
      expect(after.exitCode).toBe(137);
      expect(truth.State.Status).toBe("exited");
    } else {
      expect(after?.startedAt).not.toBe(startedAt);
    }
    expect(after?.restartPolicy).toBe("always");
  });

  it("counts restarts of a crashing container with restart policy always", async () => {
    const { observer } = startObserver();
    await observer.waitSynced();
    const id = await scope.client.createContainer({
      name: scope.name(),
      Image: scope.env.image,
      Cmd: ["sh", "-c", "sleep 0.3; exit 3"],
      Labels: scope.labels(),
      HostConfig: { RestartPolicy: { Name: "always" } },
    });
    await scope.client.startContainer(id);
    await eventually("two restarts counted", () => (observer.get(id)?.restartCount ?? 0) >= 2);
    // Once stopped, the cache converges on exactly what dockerd reports.
    await scope.client.stopContainer(id, { timeoutSeconds: 0 });
    const truth = await scope.client.inspectContainer(id);
    await eventually("cache matches inspect", () => {
      const c = observer.get(id);
      return c?.state === truth.State.Status && c.restartCount === truth.RestartCount;
    });
    expect(observer.get(id)?.state).toBe("exited");
  });

  it("reports the health status of a container with a health check", async () => {
    const { observer } = startObserver();
    await observer.waitSynced();
    const id = await runContainer({ health: true });
    await eventually("healthy", () => observer.get(id)?.health === "healthy");
  });

  it("relists after the events stream breaks and picks up a container created while disconnected", async () => {
    const { client, state, cut } = controllableClient();
    const { observer } = startObserver(client);
    await observer.waitSynced();
    const lists = scope.client.calls.count("listContainers");

    state.blocked = true;
    cut();
    await eventually("observer notices the broken stream", () => !observer.connected);
    const created = await runContainer(); // its events go nowhere: no stream is open
    await new Promise((r) => setTimeout(r, 300));
    expect(observer.get(created)).toBeUndefined();

    state.blocked = false;
    await eventually("relisted and reconnected", () => observer.connected);
    expect(observer.get(created)?.running).toBe(true);
    expect(scope.client.calls.count("listContainers")).toBe(lists + 1);

    // And events flow again on the new connection.
    await scope.client.stopContainer(created, { timeoutSeconds: 0 });
    await eventually("stopped state via events", () => observer.get(created)?.running === false);
  });

  it("relists when the events connection is dropped on purpose", async () => {
    const { observer } = startObserver();
    await observer.waitSynced();
    const id = await runContainer();
    await eventually("seen", () => observer.get(id) !== undefined);
    const lists = scope.client.calls.count("listContainers");
    observer.reconnect("test");
    await eventually(
      "relisted",
      () => scope.client.calls.count("listContainers") === lists + 1 && observer.connected,
    );
    expect(observer.get(id)?.running).toBe(true);
  });
});
