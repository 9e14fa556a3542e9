/**
 * Reads a container's resource use straight from its cgroup files (v1 or v2, cgroupfs or systemd
 * layout) and its network counters from `/proc/<pid>/net/dev`: no Docker API call, so dockerd
 * stays idle. Works only where the Docker engine is local (the files exist); the sampler falls
 * back to the stats API elsewhere. The files live in kernel memory and are a few bytes each, so
 * they are read synchronously: a whole sample costs microseconds, far less than the thread-pool
 * round trips of asynchronous reads (measured in bench/streams).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBlkioV1, parseIoStatV2, parseKeyValues, parseNetDev, type SampleValues } from "./sample.js";

/** Where a container's cgroup files are. */
export type CgroupPaths =
  { version: 1; cpuacct: string; memory: string; blkio: string } | { version: 2; dir: string };

/** Reads cgroup files under `root` (default `/sys/fs/cgroup`) and `/proc`. Stateless; any caller. */
export class CgroupReader {
  constructor(
    private readonly root = "/sys/fs/cgroup",
    private readonly proc = "/proc",
  ) {}

  /** The container's cgroup directories, or undefined when none is found here (remote engine). */
  async locate(containerId: string): Promise<CgroupPaths | undefined> {
    if (await exists(join(this.root, "cgroup.controllers"))) {
      for (const rel of [`system.slice/docker-${containerId}.scope`, `docker/${containerId}`]) {
        const dir = join(this.root, rel);
        if (await exists(join(dir, "cpu.stat"))) return { version: 2, dir };
      }
      return undefined;
    }
    for (const rel of [`docker/${containerId}`, `system.slice/docker-${containerId}.scope`]) {
      const cpuacct = join(this.root, "cpuacct", rel);
      if (await exists(join(cpuacct, "cpuacct.usage"))) {
        return {
          version: 1,
          cpuacct,
          memory: join(this.root, "memory", rel),
          blkio: join(this.root, "blkio", rel),
        };
      }
    }
    return undefined;
  }

  /** Reads one sample's values. Throws (ENOENT) when the container has gone. */
  async read(paths: CgroupPaths): Promise<SampleValues> {
    return paths.version === 1 ? this.readV1(paths) : this.readV2(paths.dir);
  }

  private async readV1(p: Extract<CgroupPaths, { version: 1 }>): Promise<SampleValues> {
    const [usage, memUsage, memStat, blkio, procs] = [
      read(join(p.cpuacct, "cpuacct.usage"), "utf8"),
      read(join(p.memory, "memory.usage_in_bytes"), "utf8"),
      read(join(p.memory, "memory.stat"), "utf8"),
      readOptional(join(p.blkio, "blkio.throttle.io_service_bytes")),
      read(join(p.cpuacct, "cgroup.procs"), "utf8"),
    ];
    const memoryUsageBytes = Number(memUsage.trim());
    const inactive = parseKeyValues(memStat).get("total_inactive_file") ?? 0;
    const io = parseBlkioV1(blkio);
    const net = this.net(procs);
    return {
      cpuSeconds: Number(usage.trim()) / 1e9,
      memoryUsageBytes,
      memoryWorkingSetBytes: Math.max(0, memoryUsageBytes - inactive),
      networkReceiveBytes: net.rx,
      networkTransmitBytes: net.tx,
      fsReadBytes: io.read,
      fsWriteBytes: io.write,
    };
  }

  private async readV2(dir: string): Promise<SampleValues> {
    const [cpuStat, memCurrent, memStat, ioStat, procs] = [
      read(join(dir, "cpu.stat"), "utf8"),
      read(join(dir, "memory.current"), "utf8"),
      read(join(dir, "memory.stat"), "utf8"),
      readOptional(join(dir, "io.stat")),
      read(join(dir, "cgroup.procs"), "utf8"),
    ];
    const memoryUsageBytes = Number(memCurrent.trim());
    const inactive = parseKeyValues(memStat).get("inactive_file") ?? 0;
    const io = parseIoStatV2(ioStat);
    const net = this.net(procs);
    return {
      cpuSeconds: (parseKeyValues(cpuStat).get("usage_usec") ?? 0) / 1e6,
      memoryUsageBytes,
      memoryWorkingSetBytes: Math.max(0, memoryUsageBytes - inactive),
      networkReceiveBytes: net.rx,
      networkTransmitBytes: net.tx,
      fsReadBytes: io.read,
      fsWriteBytes: io.write,
    };
  }

  /** Network counters of the container's network namespace, through any of its processes. */
  private net(procs: string): { rx: number; tx: number } {
    const pid = procs.split("\n").find((l) => l.trim() !== "");
    if (pid === undefined) return { rx: 0, tx: 0 };
    const text = readOptional(join(this.proc, pid.trim(), "net", "dev"));
    return parseNetDev(text);
  }
}

async function exists(path: string): Promise<boolean> {
  return existsSync(path);
}

function read(path: string, encoding: "utf8"): string {
  return readFileSync(path, encoding);
}

function readOptional(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
