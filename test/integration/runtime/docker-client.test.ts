// DockerClient against the real dockerd: lifecycle, typed errors, networks, images, keep-alive
// socket reuse, and the per-operation call counter and metrics.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createDockerClient } from "../../../src/runtime/docker.js";
import {
  ConflictError,
  DockerUnavailableError,
  ImageBuildError,
  ImageNotFoundError,
  NotFoundError,
} from "../../../src/runtime/errors.js";
import { RuntimeScope } from "./harness.js";

const scope = new RuntimeScope();
const { client } = scope;

afterEach(() => scope.cleanup());
afterAll(() => scope.close());

/** Creates a `sleep` container with this scope's labels and returns its name and id. */
async function sleeper(extra: { RestartPolicy?: string } = {}) {
  const name = scope.name();
  const id = await client.createContainer({
    name,
    Image: scope.env.image,
    Cmd: ["sleep", "300"],
    Labels: scope.labels(),
    StopSignal: "SIGKILL",
    HostConfig: { RestartPolicy: { Name: extra.RestartPolicy ?? "no" } },
  });
  return { name, id };
}

describe("DockerClient (real dockerd)", () => {
  it("pings the daemon", async () => {
    await expect(client.ping()).resolves.toBeUndefined();
  });

  it("creates, starts, inspects, lists, stops and removes a container", async () => {
    const { name, id } = await sleeper();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    await client.startContainer(id);
    await client.startContainer(id); // already running: still fine
    const info = await client.inspectContainer(name);
    expect(info.Id).toBe(id);
    expect(info.State.Running).toBe(true);
    expect(info.Config.Labels).toMatchObject({ ...scope.labels(), "berth.dev/managed": "true" });

    const listed = await client.listManagedContainers({
      labels: [`berth.dev/project=${scope.projectLabel}`],
    });
    expect(listed.map((c) => c.id)).toEqual([id]);
    expect(listed[0]).toMatchObject({ names: [name], state: "running", image: scope.env.image });

    await client.stopContainer(id, { timeoutSeconds: 1 });
    await client.stopContainer(id, { timeoutSeconds: 1 }); // already stopped: still fine
    expect((await client.inspectContainer(id)).State.Status).toBe("exited");

    await client.renameContainer(id, `${name}-renamed`);
    expect((await client.inspectContainer(id)).Name).toBe(`/${name}-renamed`);

    await client.removeContainer(id, { force: true, volumes: true });
    await expect(client.inspectContainer(id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("always labels what it creates as managed", async () => {
    const name = scope.name();
    const id = await client.createContainer({
      name,
      Image: scope.env.image,
      Cmd: ["true"],
      Labels: { "berth.dev/project": scope.projectLabel },
    });
    expect((await client.inspectContainer(id)).Config.Labels["berth.dev/managed"]).toBe("true");
  });

  it("throws typed errors: not found, name conflict, missing image", async () => {
    const missing = `berthtest-${scope.id}-missing`;
    const notFound = await client.inspectContainer(missing).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect(notFound).toMatchObject({ statusCode: 404, ref: missing, op: "inspectContainer" });
    expect((notFound as Error).message).toContain(client.endpoint);
    await expect(client.removeContainer(missing)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.startContainer(missing)).rejects.toBeInstanceOf(NotFoundError);

    const { name } = await sleeper();
    const conflict = await client
      .createContainer({ name, Image: scope.env.image, Labels: scope.labels() })
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as Error).message).toMatch(/already in use/);

    const noImage = await client
      .createContainer({ name: scope.name(), Image: "berth-test/no-such-image:0", Labels: scope.labels() })
      .catch((e: unknown) => e);
    expect(noImage).toBeInstanceOf(ImageNotFoundError);
    expect((noImage as ImageNotFoundError).image).toBe("berth-test/no-such-image:0");
  });

  it("reports an unreachable daemon as DockerUnavailableError naming the socket", async () => {
    const bad = createDockerClient({ socketPath: join(tmpdir(), `berthtest-${scope.id}-none.sock`) });
    try {
      const err = await bad.ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DockerUnavailableError);
      expect((err as DockerUnavailableError).code).toBe("ENOENT");
      expect((err as Error).message).toContain("berthtest-");
    } finally {
      bad.close();
    }
  });

  it("creates, lists, connects and removes a labelled bridge network", async () => {
    const netName = scope.name();
    const labels = { "berth.dev/project": scope.projectLabel };
    const netId = await client.createNetwork({ name: netName, labels });
    await expect(client.createNetwork({ name: netName, labels })).rejects.toBeInstanceOf(ConflictError);
    const nets = await client.listNetworks([`berth.dev/project=${scope.projectLabel}`]);
    expect(nets).toEqual([
      {
        id: netId,
        name: netName,
        driver: "bridge",
        labels: { ...labels, "berth.dev/managed": "true" },
        subnets: [expect.stringMatching(/^\d+\.\d+\.\d+\.\d+\/\d+$/)],
      },
    ]);

    const { id } = await sleeper();
    await client.connectNetwork(netName, id, { aliases: ["api"] });
    const info = await client.inspectContainer(id);
    expect(info.NetworkSettings.Networks[netName]?.Aliases).toContain("api");
    await client.startContainer(id);
    await expect(client.removeNetwork(netId)).rejects.toBeInstanceOf(ConflictError);
    await client.removeContainer(id, { force: true });
    await client.removeNetwork(netId);
    await expect(client.removeNetwork(netId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("inspects images: the id when present, undefined when missing", async () => {
    expect(await client.inspectImage(scope.env.image)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await client.inspectImage("berth-test/no-such-image:0")).toBeUndefined();
  });

  it("fails a pull without a reachable registry with a typed error", async () => {
    const err = await client.pullImage("berth-test/no-such-image:0").catch((e: unknown) => e);
    expect([ImageNotFoundError.name, "ImagePullError"]).toContain((err as Error).name);
  });

  it("builds an image from a context directory and reports build errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berthtest-ctx-"));
    try {
      writeFileSync(join(dir, "Dockerfile"), `FROM ${scope.env.image}\nCOPY hello.txt /hello.txt\n`);
      writeFileSync(join(dir, "hello.txt"), "hello from the context\n");
      const tag = `berthtest-${scope.id}:ok`;
      const progress: unknown[] = [];
      const labels = { "berth.dev/project": scope.projectLabel };
      const imageId = await client.buildImage({
        contextDir: dir,
        tag,
        labels,
        onProgress: (m) => progress.push(m),
      });
      expect(imageId).toMatch(/^sha256:/);
      expect(await client.inspectImage(tag)).toBe(imageId);
      expect(progress.length).toBeGreaterThan(0);

      writeFileSync(join(dir, "Broken.Dockerfile"), `FROM ${scope.env.image}\nRUN exit 3\n`);
      const err = await client
        .buildImage({
          contextDir: dir,
          dockerfile: "Broken.Dockerfile",
          tag: `berthtest-${scope.id}:bad`,
          labels,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageBuildError);
      expect((err as Error).message).toMatch(/returned a non-zero code: 3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves what .dockerignore excludes out of the built image, keeping its exceptions", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berthtest-ctx-"));
    try {
      const checks = [
        "test -f /ctx/app.txt",
        "test ! -e /ctx/secret.txt",
        "test ! -e /ctx/logs/debug.log",
        "test -f /ctx/logs/keep.txt",
      ];
      writeFileSync(
        join(dir, "Dockerfile"),
        `FROM ${scope.env.image}\nCOPY . /ctx/\nRUN ${checks.join(" && ")}\n`,
      );
      // The Dockerfile is excluded too: it is sent all the same, as docker build does.
      writeFileSync(join(dir, ".dockerignore"), "secret.txt\nlogs\n!logs/keep.txt\nDockerfile\n");
      writeFileSync(join(dir, "app.txt"), "app\n");
      writeFileSync(join(dir, "secret.txt"), "must not reach the daemon\n");
      mkdirSync(join(dir, "logs"));
      writeFileSync(join(dir, "logs", "debug.log"), "noise\n");
      writeFileSync(join(dir, "logs", "keep.txt"), "kept\n");
      const tag = `berthtest-${scope.id}:ignored`;
      const imageId = await client.buildImage({
        contextDir: dir,
        tag,
        labels: { "berth.dev/project": scope.projectLabel },
      });
      expect(await client.inspectImage(tag)).toBe(imageId);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reuses keep-alive sockets: 20 sequential calls open far fewer than 20 connections", async () => {
    const fresh = createDockerClient({ host: scope.env.dockerHost });
    try {
      const spy = vi.spyOn(fresh.agent, "createConnection");
      for (let i = 0; i < 20; i++) await fresh.ping();
      for (let i = 0; i < 10; i++) await fresh.inspectImage(scope.env.image);
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(spy.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      fresh.close();
    }
  });

  it("counts each call per operation and records request metrics on the given registry", async () => {
    scope.client.calls.reset();
    const { id } = await sleeper();
    await client.inspectContainer(id);
    await client.inspectContainer(id);
    await client.inspectContainer(`berthtest-${scope.id}-missing`).catch(() => undefined);
    await client.removeContainer(id, { force: true });
    expect(client.calls.snapshot()).toEqual({ createContainer: 1, inspectContainer: 3, removeContainer: 1 });
    expect(client.calls.count()).toBe(5);

    const text = await scope.registry.metrics();
    expect(text).toMatch(/berth_docker_api_requests_total\{op="inspectContainer",result="not_found"\} [1-9]/);
    expect(text).toMatch(/berth_docker_api_requests_total\{op="createContainer",result="ok"\} [1-9]/);
    expect(text).toMatch(/berth_docker_api_duration_seconds_count\{op="inspectContainer"\} [1-9]/);
  });

  it("streams container events for managed containers", async () => {
    const ac = new AbortController();
    const stream = await client.streamEvents({
      filters: { type: ["container"], label: [`berth.dev/project=${scope.projectLabel}`] },
      signal: ac.signal,
    });
    const { id } = await sleeper();
    await client.startContainer(id);
    const seen: string[] = [];
    for await (const event of stream) {
      expect(event.id).toBe(id);
      expect(event.attributes["berth.dev/project"]).toBe(scope.projectLabel);
      seen.push(event.action);
      if (event.action === "start") ac.abort();
    }
    expect(seen).toEqual(["create", "start"]);
  });
});
