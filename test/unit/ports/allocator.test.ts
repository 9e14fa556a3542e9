import dgram from "node:dgram";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Protocol } from "../../../src/api/types.js";
import { createBindTester, findPortHolder, parseProcNetSockets } from "../../../src/ports/holders.js";
import { formatPortRange } from "../../../src/ports/range.js";
import type {
  ClaimResult,
  ContainerPortRequests,
  OwnerPredicate,
  PortAllocatorOptions,
  PortEntry,
  PortOwner,
  PortRange,
  PortRegistry,
} from "../../../src/ports/allocator.js";
import {
  FilePortRegistry,
  PORT_REGISTRY_FILE,
  PortAllocator,
  PortConflictError,
  PortRangeError,
  PortRangeExhaustedError,
  parsePortRange,
} from "../../../src/ports/allocator.js";

const EPHEMERAL: PortRange = { start: 32768, end: 60999 };
const bindTest = createBindTester();

let stateDir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "berth-ports-"));
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await rm(stateDir, { recursive: true, force: true });
});

async function allocator(options: Partial<PortAllocatorOptions> = {}): Promise<PortAllocator> {
  const registry = options.registry ?? (await FilePortRegistry.open(stateDir));
  return PortAllocator.create({ ephemeralRange: EPHEMERAL, range: "30000-30999", ...options, registry });
}

/** An external TCP listener on `host` (port 0 = let the kernel pick); closed after the test. */
async function listenTcp(port: number, host = "127.0.0.1"): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

async function bindUdp(port: number): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, "127.0.0.1", resolve);
  });
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

/** A free TCP port that nothing listens on (taken from the kernel, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `n` consecutive ports below the ephemeral range that pass the TCP bind test right now. */
async function freeBlock(n: number): Promise<PortRange> {
  for (;;) {
    const start = 30000 + Math.floor(Math.random() * (2700 - n));
    const ports = Array.from({ length: n }, (_, i) => start + i);
    const free = await Promise.all(ports.map((p) => bindTest(p, "TCP")));
    if (free.every(Boolean)) return { start, end: start + n - 1 };
  }
}

function web(hostPort = 0, protocol: Protocol = "TCP"): ContainerPortRequests[] {
  return [{ name: "api", ports: [{ name: "http", containerPort: 8080, hostPort, protocol }] }];
}

const twoContainers: ContainerPortRequests[] = [
  {
    name: "api",
    ports: [
      { name: "http", containerPort: 8080 },
      { containerPort: 9090, hostPort: 0 },
    ],
  },
  { name: "db", ports: [{ name: "pg", containerPort: 5432, protocol: "TCP" }] },
];

describe("PortAllocator", () => {
  it("gives the same ports again after a restart on the same state dir, and after losing it", async () => {
    const first = await (await allocator()).allocate("default/shop", twoContainers);
    expect(first.conflicts).toEqual([]);
    expect(first.assignments.map((a) => [a.container, a.portName])).toEqual([
      ["api", "http"],
      ["api", "9090"],
      ["db", "pg"],
    ]);
    for (const a of first.assignments) expect(a.hostPort).toBeGreaterThanOrEqual(30000);

    const again = await (await allocator()).allocate("default/shop", twoContainers);
    expect(again).toEqual(first);

    await rm(join(stateDir, PORT_REGISTRY_FILE));
    const rebuilt = await (await allocator()).allocate("default/shop", twoContainers);
    expect(rebuilt.assignments).toEqual(first.assignments);
  });

  it("resolves a claim only once it is on disk", async () => {
    const { assignments } = await (await allocator()).allocate("default/shop", web());
    const file = JSON.parse(await readFile(join(stateDir, PORT_REGISTRY_FILE), "utf8")) as {
      entries: { port: number; owner: { project: string } }[];
    };
    expect(file.entries.map((e) => [e.owner.project, e.port])).toEqual([
      ["default/shop", assignments[0]?.hostPort],
    ]);
  });

  it("reports a fixed hostPort held by another project, naming it", async () => {
    const port = await freePort();
    const ports = await allocator();
    expect((await ports.allocate("default/shop-api", web(port))).conflicts).toEqual([]);
    const { assignments, conflicts } = await ports.allocate("team/other", web(port));
    expect(assignments).toEqual([]);
    const err = conflicts[0];
    expect(err).toBeInstanceOf(PortConflictError);
    expect(err).toMatchObject({
      port,
      protocol: "TCP",
      holder: { kind: "project", project: "default/shop-api", container: "api", portName: "http" },
      owner: { project: "team/other" },
    });
    expect(err?.message).toBe(
      `host port ${port}/tcp is already used by project default/shop-api (container api, port http); ` +
        "choose another hostPort or set hostPort: 0 to allocate one",
    );
  });

  it("names the external process that listens on a fixed hostPort", async () => {
    const port = await listenTcp(0);
    const { conflicts } = await (await allocator()).allocate("default/shop", web(port));
    expect(conflicts[0]).toMatchObject({
      port,
      holder: { kind: "external", pid: process.pid, command: "node" },
    });
    expect(conflicts[0]?.message).toContain(`already used by external process "node" (pid ${process.pid})`);
  });

  it("checks UDP ports with a UDP bind", async () => {
    const port = await bindUdp(0);
    const ports = await allocator();
    const udp = await ports.allocate("default/dns", web(port, "UDP"));
    expect(udp.conflicts[0]).toMatchObject({
      protocol: "UDP",
      holder: { kind: "external", pid: process.pid },
    });
    const tcp = await ports.allocate("default/web", web(port, "TCP"));
    expect(tcp.conflicts).toEqual([]);
  });

  it("falls back to 'an external process' when the holder cannot be seen", async () => {
    const port = await listenTcp(0);
    const ports = await allocator({ findHolder: () => Promise.resolve(undefined) });
    const { conflicts } = await ports.allocate("default/shop", web(port));
    expect(conflicts[0]?.message).toContain("already used by an external process;");
  });

  it("skips ports that external listeners hold, on 127.0.0.1 or on all interfaces", async () => {
    const range = await freeBlock(3);
    await listenTcp(range.start, "127.0.0.1");
    await listenTcp(range.start + 1, "0.0.0.0");
    const ports = await allocator({ range: formatPortRange(range) });
    const { assignments } = await ports.allocate("default/a", web());
    expect(assignments[0]?.hostPort).toBe(range.start + 2);

    const { conflicts } = await ports.allocate("default/b", web());
    expect(conflicts[0]).toBeInstanceOf(PortRangeExhaustedError);
    expect(conflicts[0]).toMatchObject({ claimed: 1, inUse: 2 });
  });

  it("keeps a port its own container holds (no bind test), and names the project, not docker-proxy", async () => {
    const ports = await allocator();
    const fixed = await freePort();
    const first = await ports.allocate("default/shop", [
      ...web(),
      { name: "db", ports: [{ containerPort: 1, hostPort: fixed }] },
    ]);
    const auto = first.assignments[0]?.hostPort ?? 0;
    // The project's containers now publish both ports (docker-proxy listens on them).
    await listenTcp(auto, "0.0.0.0");
    await listenTcp(fixed, "0.0.0.0");
    const again = await ports.allocate("default/shop", [
      ...web(),
      { name: "db", ports: [{ containerPort: 1, hostPort: fixed }] },
    ]);
    expect(again).toEqual(first);

    const other = await ports.allocate("default/other", web(auto));
    expect(other.conflicts[0]).toMatchObject({ holder: { kind: "project", project: "default/shop" } });
  });

  it("adopts ports the project's running containers publish when the registry was lost", async () => {
    const port = await listenTcp(0, "0.0.0.0");
    const published = [{ container: "api", portName: "http", protocol: "TCP" as const, hostPort: port }];
    const { assignments, conflicts } = await (
      await allocator()
    ).allocate("default/shop", web(port), { published });
    expect(conflicts).toEqual([]);
    expect(assignments[0]?.hostPort).toBe(port);
  });

  it("releases a deleted project's ports for reuse, and ports dropped from a spec", async () => {
    const port = await freePort();
    const ports = await allocator();
    await ports.allocate("default/a", [...web(port), { name: "extra", ports: [{ containerPort: 1 }] }]);
    expect((await ports.allocate("default/b", web(port))).conflicts).toHaveLength(1);

    await ports.allocate("default/a", web(port)); // "extra" removed from the spec
    const registry = await FilePortRegistry.open(stateDir);
    expect((await registry.entries()).map((e) => e.owner.container)).toEqual(["api"]);

    expect((await ports.release("default/a")).map((e) => e.port)).toEqual([port]);
    expect(await ports.release("default/a")).toEqual([]);
    const b = await ports.allocate("default/b", web(port));
    expect(b.conflicts).toEqual([]);
    expect(b.assignments[0]?.hostPort).toBe(port);
  });

  it("never hands out one port twice under 1000 concurrent allocations across 100 projects", async () => {
    const ports = await allocator({ range: "30000-30999" });
    const projects = Array.from({ length: 100 }, (_, i) => `ns${i % 7}/p${i}`);
    const calls = Array.from({ length: 1000 }, (_, i) => projects[i % 100] ?? "");
    const results = await Promise.all(calls.map((p) => ports.allocate(p, twoContainers)));

    const byProject = new Map<string, string>();
    const owners = new Map<number, string>();
    results.forEach((r, i) => {
      const project = calls[i] ?? "";
      expect(r.conflicts).toEqual([]);
      const key = JSON.stringify(r.assignments);
      expect(byProject.get(project) ?? key).toBe(key); // every call for a project agrees
      byProject.set(project, key);
      for (const a of r.assignments) {
        const owner = `${project} ${a.container} ${a.portName}`;
        expect(owners.get(a.hostPort) ?? owner).toBe(owner);
        owners.set(a.hostPort, owner);
      }
    });
    expect(owners.size).toBe(300);
    const onDisk = await (await FilePortRegistry.open(stateDir)).entries();
    expect(new Set(onDisk.map((e) => e.port)).size).toBe(300);
  });

  it("keeps concurrent allocations apart by itself, even over a registry with slow, racy claims", async () => {
    const ports = await allocator({ registry: new RacyRegistry(), bindTest: () => Promise.resolve(true) });
    const projects = Array.from({ length: 50 }, (_, i) => `default/p${i}`);
    const results = await Promise.all(projects.map((p) => ports.allocate(p, twoContainers)));
    const handedOut = results.flatMap((r) => r.assignments.map((a) => a.hostPort));
    expect(handedOut).toHaveLength(150);
    expect(new Set(handedOut).size).toBe(150);
  });

  it("validates the range and warns when it overlaps the ephemeral range", async () => {
    for (const bad of ["20000-1999", "0-100", "1-70000", "20000", "a-b", ""]) {
      expect(() => parsePortRange(bad)).toThrow(PortRangeError);
    }
    expect(() => parsePortRange("20000-1999")).toThrow(
      'invalid port range "20000-1999": START 20000 is greater than END 1999',
    );
    await expect(allocator({ range: "20000-1999" })).rejects.toThrow(PortRangeError);
    await expect(allocator({ range: { start: 5, end: 70000 } })).rejects.toThrow(/END 70000/);

    expect((await allocator({ range: "20000-29999" })).diagnostics).toEqual([]);
    const overlap = await allocator({ range: "30000-40000" });
    expect(overlap.diagnostics).toEqual([expect.objectContaining({ code: "EphemeralRangeOverlap" })]);
    expect(overlap.diagnostics[0]?.message).toContain(
      "30000-40000 overlaps the kernel's ephemeral port range 32768-60999",
    );
  });

  it("parses every valid range and rejects every reversed one", () => {
    const port = fc.integer({ min: 1, max: 65535 });
    fc.assert(
      fc.property(port, port, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(parsePortRange(`${lo}-${hi}`)).toEqual({ start: lo, end: hi });
        if (lo !== hi) expect(() => parsePortRange(`${hi}-${lo}`)).toThrow(PortRangeError);
      }),
    );
  });
});

/** A registry whose claim checks, waits, then writes: only the allocator keeps owners apart. */
class RacyRegistry implements PortRegistry {
  private readonly map = new Map<string, PortEntry>();

  async claim(owner: PortOwner, port: number): Promise<ClaimResult> {
    const holder = [...this.map.values()].find((e) => e.port === port && e.owner.protocol === owner.protocol);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
    if (holder && JSON.stringify(holder.owner) !== JSON.stringify(owner)) return { ok: false, holder };
    const entry = { owner, port, claimedAt: "" };
    this.map.set(JSON.stringify(owner), entry);
    return { ok: true, entry, created: true };
  }

  release(match: PortOwner | OwnerPredicate): Promise<PortEntry[]> {
    const out = [...this.map.entries()].filter(([k, e]) =>
      typeof match === "function" ? match(e.owner) : k === JSON.stringify(match),
    );
    for (const [k] of out) this.map.delete(k);
    return Promise.resolve(out.map(([, e]) => e));
  }

  lookup(owner: PortOwner): Promise<PortEntry | undefined> {
    return Promise.resolve(this.map.get(JSON.stringify(owner)));
  }

  holderOf(port: number, protocol: Protocol): Promise<PortEntry | undefined> {
    return Promise.resolve(
      [...this.map.values()].find((e) => e.port === port && e.owner.protocol === protocol),
    );
  }

  entries(): Promise<PortEntry[]> {
    return Promise.resolve([...this.map.values()]);
  }
}

describe("FilePortRegistry", () => {
  const owner = { project: "default/a", container: "api", portName: "http", protocol: "TCP" as const };

  it("keeps the old content when a crash left a half-written temporary file", async () => {
    const registry = await FilePortRegistry.open(stateDir);
    await registry.claim(owner, 30001);
    await writeFile(
      join(stateDir, `.${PORT_REGISTRY_FILE}.deadbeef.tmp`),
      '{"version": 1, "entries": [{"own',
    );
    const reopened = await FilePortRegistry.open(stateDir);
    expect(reopened.diagnostics).toEqual([]);
    expect((await reopened.lookup(owner))?.port).toBe(30001);
  });

  it("moves a corrupt file aside and starts empty, with a diagnostic", async () => {
    await writeFile(join(stateDir, PORT_REGISTRY_FILE), "{not json");
    const registry = await FilePortRegistry.open(stateDir);
    expect(await registry.entries()).toEqual([]);
    expect(registry.diagnostics).toEqual([expect.objectContaining({ code: "RegistryFileCorrupt" })]);
    expect((await readdir(stateDir)).some((f) => f.startsWith(`${PORT_REGISTRY_FILE}.corrupt-`))).toBe(true);
  });

  it("skips invalid and duplicate entries when loading", async () => {
    const entry = (project: string, port: number) => ({ owner: { ...owner, project }, port, claimedAt: "x" });
    const entries = [
      entry("default/a", 30001),
      entry("default/b", 30001),
      { owner: {}, port: 1 },
      entry("default/c", 0),
    ];
    await writeFile(join(stateDir, PORT_REGISTRY_FILE), JSON.stringify({ version: 1, entries }));
    const registry = await FilePortRegistry.open(stateDir);
    expect((await registry.entries()).map((e) => e.owner.project)).toEqual(["default/a"]);
    expect(registry.diagnostics).toHaveLength(3);
  });

  it("claims atomically: one owner per port, one port per owner", async () => {
    const registry = await FilePortRegistry.open(stateDir);
    const other = { ...owner, project: "default/b" };
    const [a, b] = await Promise.all([registry.claim(owner, 30001), registry.claim(other, 30001)]);
    expect(a).toMatchObject({ ok: true, created: true });
    expect(b).toMatchObject({ ok: false, holder: { port: 30001, owner: { project: "default/a" } } });
    expect(await registry.claim(owner, 30001)).toMatchObject({ ok: true, created: false });
    const moved = await registry.claim(owner, 30002);
    expect(moved).toMatchObject({ ok: true, created: true, replaced: { port: 30001 } });
    expect(await registry.holderOf(30001, "TCP")).toBeUndefined();
    expect(await registry.holderOf(30002, "UDP")).toBeUndefined();
    expect(await registry.release(owner)).toHaveLength(1);
    expect(await registry.release(owner)).toEqual([]);
  });
});

describe("port holders", () => {
  it("parses /proc/net/tcp rows", () => {
    const text = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0",
      "   1: 00000000000000000000000000000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 77 2",
      "garbage",
    ].join("\n");
    expect(parseProcNetSockets(text)).toEqual([
      { localAddressHex: "0100007F", localPort: 8080, state: "0A", inode: 4242 },
      { localAddressHex: "00000000000000000000000000000000", localPort: 53, state: "07", inode: 77 },
    ]);
  });

  it("finds this process as the holder of its own listener, and nobody for a free port", async () => {
    const port = await listenTcp(0);
    expect(await findPortHolder(port, "TCP")).toEqual({ pid: process.pid, command: "node" });
    expect(await findPortHolder(await freePort(), "TCP")).toBeUndefined();
  });
});
