import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPortTiers, type PortTiers } from "../../../src/ports/tiers.js";
import { FilePortRegistry, PortAllocator } from "../../../src/ports/allocator.js";
import { nopLogger } from "../../../src/util/logger.js";
import { readTestEnv } from "../../helpers/env.js";
import { cleanupDirs } from "../operator/daemon.js";

// Database 11 of the shared test Redis belongs to this file.
const DB = 11;
const CLAIMS = 1000;

interface Instance {
  tiers: PortTiers;
  allocator: PortAllocator;
  dirs: string[];
}

async function instance(redisUrl: string, name: string): Promise<Instance> {
  const dir = mkdtempSync(join(tmpdir(), `berth-it-cache-${name}-`));
  const stateDir = mkdtempSync(join(tmpdir(), `berth-it-cache-state-${name}-`));
  const local = await FilePortRegistry.open(stateDir);
  const tiers = await openPortTiers({ redisUrl, dir, local, registry: new Registry(), logger: nopLogger });
  const allocator = await PortAllocator.create({
    registry: tiers.registry,
    range: "27000-28499",
    ...(tiers.instance !== undefined ? { instance: tiers.instance } : {}),
    ephemeralRange: null,
    bindTest: () => Promise.resolve(true),
  });
  return { tiers, allocator, dirs: [dir, stateDir] };
}

describe("two instances on one Redis", () => {
  const url = `${readTestEnv().redisUrl}/${DB}`;
  const admin = new Redis(url);
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    await admin.flushdb();
    a = await instance(url, "a");
    b = await instance(url, "b");
  });

  afterAll(async () => {
    for (const i of [a, b]) {
      i.tiers.close();
      cleanupDirs(...i.dirs);
    }
    await admin.flushdb();
    admin.disconnect();
  });

  it(`claims ${CLAIMS} ports concurrently between them without assigning one twice`, async () => {
    expect(a.tiers.instance).not.toBe(b.tiers.instance);
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: CLAIMS }, (_, i) =>
        (i % 2 === 0 ? a : b).allocator.allocate(`default/p${i}`, [
          { name: "web", ports: [{ name: "http", containerPort: 8080 }] },
        ]),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const ports = results.flatMap((r) => r.assignments.map((x) => x.hostPort));
    expect(results.flatMap((r) => r.conflicts)).toEqual([]);
    expect(ports).toHaveLength(CLAIMS);
    expect(new Set(ports).size).toBe(CLAIMS);

    // Redis holds exactly those claims, each port key pointing at its owner.
    const owners = await admin.hgetall("berth:ports:owners");
    expect(Object.keys(owners)).toHaveLength(CLAIMS);
    const stored = Object.values(owners).map((j) => (JSON.parse(j) as { port: number }).port);
    expect(new Set(stored)).toEqual(new Set(ports));
    // Each instance's state directory mirrors its own half.
    expect(await a.tiers.registry.entries()).toHaveLength(CLAIMS);
    const localA = await FilePortRegistry.open(a.dirs[1] ?? "");
    expect((await localA.entries()).length).toBe(CLAIMS / 2);
    expect(seconds).toBeLessThan(60);
  });

  it("releases idempotently and keeps the other instance's claims", async () => {
    const first = await a.allocator.release("default/p0");
    expect(first).toHaveLength(1);
    expect(await a.allocator.release("default/p0")).toEqual([]);
    // Instance a cannot release b's project (owners are scoped by instance).
    expect(await a.allocator.release("default/p1")).toEqual([]);
    expect(await admin.hlen("berth:ports:owners")).toBe(CLAIMS - 1);
  });
});
