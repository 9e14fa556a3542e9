import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  cleanupDirs,
  docker,
  eventually,
  removeProjects,
  startDaemon,
  type Daemon,
} from "../operator/daemon.js";
import {
  OwnRedis,
  cli,
  hostPort,
  metric,
  project,
  save,
  spec,
  timed,
  untilRunning,
} from "./redis-helpers.js";

const suffix = Math.random().toString(36).slice(2, 7);
const A = `cache-a-${suffix}`;
const B = `cache-b-${suffix}`;
const C = `cache-c-${suffix}`;
const RANGE = "27500-27599";
const UP = 'berth_cache_backend_up{tier="redis"}';

interface Owner {
  owner: { project: string; instance?: string };
  port: number;
}

async function redisOwners(client: Redis): Promise<Owner[]> {
  const all = await client.hgetall("berth:ports:owners");
  return Object.values(all).map((j) => JSON.parse(j) as Owner);
}

describe("berth run --redis: outage, recovery, restart", () => {
  const redis = new OwnRedis(6398);
  let d: Daemon;
  let client: Redis;
  const ports = new Map<string, number>();

  beforeAll(async () => {
    await redis.start();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    client.on("error", () => undefined);
    d = await startDaemon({ portRange: RANGE, extraArgs: ["--redis", redis.url] });
  });

  afterAll(async () => {
    await d?.stop();
    await removeProjects([A, B, C].map((n) => `default.${n}`));
    client?.disconnect();
    await redis.stop();
    if (d) cleanupDirs(d.dir, d.stateDir);
  });

  it("claims ports in Redis and writes status snapshots through with a TTL", async () => {
    save(d.dir, "a.yaml", spec(A));
    const view = await untilRunning(d, `default/${A}`);
    ports.set(A, hostPort(view));
    const owners = await eventually(async () => {
      const list = await redisOwners(client);
      return list.some((o) => o.owner.project === `default/${A}`) ? list : undefined;
    });
    expect(owners.find((o) => o.owner.project === `default/${A}`)?.port).toBe(ports.get(A));
    expect(owners[0]?.owner.instance).toMatch(/:/);
    const snapshot = await eventually(async () => {
      const text = await client.get(`berth:status:default/${A}`);
      return text && (JSON.parse(text) as { status: { phase?: string } }).status.phase === "Running";
    });
    expect(snapshot).toBe(true);
    expect(await client.ttl(`berth:status:default/${A}`)).toBeGreaterThan(0);
    expect(await metric(d, UP)).toBe(1);
  });

  it("keeps answering in under a second and allocating from L3 while Redis is down", async () => {
    await redis.stop();
    await eventually(async () => (await metric(d, UP)) === 0, 10_000, "backend_up 0");
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["GET /healthz", () => api(d, `/healthz`).then((r) => r.status)],
      ["GET /readyz", () => api(d, `/readyz`).then((r) => r.status)],
      ["GET /metrics", () => api(d, `/metrics`).then((r) => r.status)],
      ["GET /api/v1/projects", () => api(d, `/api/v1/projects`).then((r) => r.status)],
      ["GET project", () => api(d, `/api/v1/projects/default/${A}`).then((r) => r.status)],
      ["berth get", () => cli(d, "get").then((r) => r.code)],
      ["berth describe", () => cli(d, "describe", A).then((r) => r.code)],
    ];
    for (const [what, call] of calls) {
      const { ms, value } = await timed(call);
      expect(value, what).toSatisfy((v: unknown) => v === 200 || v === 0);
      expect(ms, what).toBeLessThan(1000);
    }
    save(d.dir, "b.yaml", spec(B));
    const { ms, value } = await timed(() => untilRunning(d, `default/${B}`));
    ports.set(B, hostPort(value));
    expect(ports.get(B)).not.toBe(ports.get(A));
    expect(ms).toBeLessThan(15_000);
    expect(d.proc.exitCode).toBeNull();
    // Logged once per state change, not per command.
    expect(d.logs().match(/redis is down/g)?.length).toBe(1);
  });

  it("puts the outage's allocations into Redis when it returns, with no port twice", async () => {
    await redis.start();
    await eventually(async () => (await metric(d, UP)) === 1, 15_000, "backend_up 1");
    const owners = await eventually(
      async () => {
        const list = await redisOwners(client);
        const names = new Set(list.map((o) => o.owner.project));
        return names.has(`default/${A}`) && names.has(`default/${B}`) ? list : undefined;
      },
      15_000,
      "claims back in redis",
    );
    const byProject = new Map(owners.map((o) => [o.owner.project, o.port]));
    expect(byProject.get(`default/${A}`)).toBe(ports.get(A));
    expect(byProject.get(`default/${B}`)).toBe(ports.get(B));
    expect(new Set(owners.map((o) => o.port)).size).toBe(owners.length);
    // Status snapshots come back too.
    await eventually(
      () => client.exists(`berth:status:default/${B}`).then((n) => n === 1),
      10_000,
      "snapshot",
    );
    expect(d.logs().match(/redis is up/g)?.length).toBe(2);
  });

  it("keeps every project's ports across an operator restart", async () => {
    const idBefore = (await project(d, `default/${A}`))?.status.containers?.[0]?.containerID;
    await d.stop();
    d = await startDaemon({
      dir: d.dir,
      stateDir: d.stateDir,
      portRange: RANGE,
      extraArgs: ["--redis", redis.url],
    });
    for (const name of [A, B]) {
      const view = await untilRunning(d, `default/${name}`);
      expect(hostPort(view)).toBe(ports.get(name));
    }
    expect((await project(d, `default/${A}`))?.status.containers?.[0]?.containerID).toBe(idBefore);
    const owners = await redisOwners(client);
    expect(new Set(owners.map((o) => o.port)).size).toBe(owners.length);
  });

  it("shows a container killed behind Berth's back on the next status read", async () => {
    save(d.dir, "c.yaml", spec(C, "Never"));
    const view = await untilRunning(d, `default/${C}`);
    const id = view.status.containers?.[0]?.containerID ?? "";
    // Read twice so the status is cached in L1 (TTL 5 s), then kill the container directly.
    await project(d, `default/${C}`);
    const hitsBefore = await metric(d, 'berth_cache_requests_total{tier="l1",result="hit"}');
    expect(hitsBefore).toBeGreaterThan(0);
    await docker().getContainer(id).kill();
    const killedAt = performance.now();
    const seen = await eventually(
      async () => {
        const v = await project(d, `default/${C}`);
        return v?.status.containers?.[0]?.state === "exited" ? v : undefined;
      },
      5_000,
      "exited state",
    );
    const lagMs = performance.now() - killedAt;
    expect(seen.status.containers?.[0]?.containerID).toBe(id);
    expect(lagMs).toBeLessThan(2_000);
  });
});

describe("berth run --redis with Redis unreachable from the start", () => {
  let d: Daemon | undefined;
  const name = `cache-d-${suffix}`;

  afterAll(async () => {
    await d?.stop();
    await removeProjects([`default.${name}`]);
    if (d) cleanupDirs(d.dir, d.stateDir);
  });

  it("starts, allocates from L3 and reports the backend down", async () => {
    const { ms, value } = await timed(() =>
      startDaemon({ portRange: "27700-27709", extraArgs: ["--redis", "redis://127.0.0.1:6395"] }),
    );
    d = value;
    expect(ms).toBeLessThan(10_000);
    save(d.dir, "d.yaml", spec(name));
    expect(hostPort(await untilRunning(d, `default/${name}`))).toBeGreaterThanOrEqual(27700);
    expect(await metric(d, UP)).toBe(0);
    const { ms: getMs } = await timed(() => cli(d as Daemon, "get"));
    expect(getMs).toBeLessThan(1000);
    expect(d.logs()).toMatch(/redis did not answer within 1 s/);
  });
});
