import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CgroupReader } from "../../../src/streams/cgroup.js";
import {
  parseBlkioV1,
  parseIoStatV2,
  parseNetDev,
  sampleFromStats,
  statValue,
} from "../../../src/streams/sample.js";

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     500       5    0    0    0     0          0         0      500       5    0    0    0     0       0          0
  eth0:     200       2    0    0    0     0          0         0       70       1    0    0    0     0       0          0
  eth1:      10       1    0    0    0     0          0         0        5       1    0    0    0     0       0          0
`;

describe("parsers", () => {
  it("read net/dev, blkio and io.stat", () => {
    expect(parseNetDev(NET_DEV)).toEqual({ rx: 210, tx: 75 });
    expect(parseBlkioV1("8:0 Read 100\n8:0 Write 40\n8:0 Sync 1\n8:16 Read 1\nTotal 141\n")).toEqual({
      read: 101,
      write: 40,
    });
    expect(parseIoStatV2("8:0 rbytes=10 wbytes=20 rios=1\n8:16 rbytes=1 wbytes=2\n")).toEqual({
      read: 11,
      write: 22,
    });
  });

  it("finds a key of memory.stat or cpu.stat at a line start only", () => {
    const stat = "cache 10\ninactive_file 7\ntotal_inactive_file 1024\n";
    expect(statValue(stat, "total_inactive_file")).toBe(1024);
    expect(statValue(stat, "inactive_file")).toBe(7);
    expect(statValue(stat, "cache")).toBe(10);
    expect(statValue("usage_usec 1500000\nuser_usec 1", "usage_usec")).toBe(1_500_000);
    expect(statValue("total_inactive_file 5", "inactive_file")).toBe(0);
    expect(statValue("", "usage_usec")).toBe(0);
  });

  it("reads a stats API document", () => {
    const s = sampleFromStats(
      {
        cpu_stats: { cpu_usage: { total_usage: 2_500_000_000 } },
        memory_stats: { usage: 1000, stats: { total_inactive_file: 300 } },
        networks: { eth0: { rx_bytes: 5, tx_bytes: 6 }, eth1: { rx_bytes: 1, tx_bytes: 1 } },
        blkio_stats: {
          io_service_bytes_recursive: [
            { op: "Read", value: 7 },
            { op: "write", value: 8 },
          ],
        },
      },
      42,
    );
    expect(s).toEqual({
      time: 42,
      cpuSeconds: 2.5,
      memoryUsageBytes: 1000,
      memoryWorkingSetBytes: 700,
      networkReceiveBytes: 6,
      networkTransmitBytes: 7,
      fsReadBytes: 7,
      fsWriteBytes: 8,
      source: "api",
    });
  });
});

describe("CgroupReader", () => {
  const root = mkdtempSync(join(tmpdir(), "berth-cgroup-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("locates and reads a cgroup v1 cgroupfs container", async () => {
    const id = "abc";
    const dir = (ctrl: string) => join(root, "sys", ctrl, "docker", id);
    for (const ctrl of ["cpuacct", "memory", "blkio"]) mkdirSync(dir(ctrl), { recursive: true });
    writeFileSync(join(dir("cpuacct"), "cpuacct.usage"), "1500000000\n");
    writeFileSync(join(dir("cpuacct"), "cgroup.procs"), "77\n78\n");
    writeFileSync(join(dir("memory"), "memory.usage_in_bytes"), "4096\n");
    writeFileSync(join(dir("memory"), "memory.stat"), "cache 10\ntotal_inactive_file 1024\n");
    writeFileSync(
      join(dir("blkio"), "blkio.throttle.io_service_bytes"),
      "8:0 Read 3\n8:0 Write 4\nTotal 7\n",
    );
    mkdirSync(join(root, "proc", "77", "net"), { recursive: true });
    writeFileSync(join(root, "proc", "77", "net", "dev"), NET_DEV);
    const reader = new CgroupReader(join(root, "sys"), join(root, "proc"));
    expect(await reader.locate("missing")).toBeUndefined();
    const paths = await reader.locate(id);
    expect(paths?.version).toBe(1);
    expect(await reader.read(paths!)).toEqual({
      cpuSeconds: 1.5,
      memoryUsageBytes: 4096,
      memoryWorkingSetBytes: 3072,
      networkReceiveBytes: 210,
      networkTransmitBytes: 75,
      fsReadBytes: 3,
      fsWriteBytes: 4,
    });
  });

  it("locates and reads a cgroup v2 container, and finds its process again once the first is gone", async () => {
    const id = "def";
    const v2 = join(root, "v2");
    const dir = join(v2, "system.slice", `docker-${id}.scope`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(v2, "cgroup.controllers"), "cpu memory io\n");
    writeFileSync(join(dir, "cpu.stat"), "usage_usec 2500000\nuser_usec 2000000\n");
    writeFileSync(join(dir, "memory.current"), "8192\n");
    writeFileSync(join(dir, "memory.stat"), "anon 1\nactive_file 5\ninactive_file 2048\n");
    writeFileSync(join(dir, "io.stat"), "8:0 rbytes=10 wbytes=20 rios=1\n");
    writeFileSync(join(dir, "cgroup.procs"), "90\n");
    const proc = join(root, "proc2");
    mkdirSync(join(proc, "90", "net"), { recursive: true });
    writeFileSync(join(proc, "90", "net", "dev"), NET_DEV);
    const reader = new CgroupReader(v2, proc);
    const paths = await reader.locate(id);
    expect(paths?.version).toBe(2);
    expect(reader.readNow(paths!)).toEqual({
      cpuSeconds: 2.5,
      memoryUsageBytes: 8192,
      memoryWorkingSetBytes: 6144,
      networkReceiveBytes: 210,
      networkTransmitBytes: 75,
      fsReadBytes: 10,
      fsWriteBytes: 20,
    });
    // the container restarted: its first process is another one
    rmSync(join(proc, "90"), { recursive: true });
    writeFileSync(join(dir, "cgroup.procs"), "91\n");
    mkdirSync(join(proc, "91", "net"), { recursive: true });
    writeFileSync(join(proc, "91", "net", "dev"), "  eth0: 5 1 0 0 0 0 0 0 6 1 0 0 0 0 0 0\n");
    expect(reader.readNow(paths!)).toMatchObject({ networkReceiveBytes: 5, networkTransmitBytes: 6 });
    rmSync(dir, { recursive: true });
    expect(() => reader.readNow(paths!)).toThrow(/ENOENT/);
  });
});
