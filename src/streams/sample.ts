/**
 * A container resource sample and the pure parsers that build one from cgroup v1/v2 files,
 * `/proc/<pid>/net/dev`, or a Docker stats API document.
 */

/** Cumulative counters and current gauges of one container at one time. */
export interface ContainerSample {
  /** Milliseconds since the epoch. */
  readonly time: number;
  /** CPU time used since the container started, seconds. */
  readonly cpuSeconds: number;
  /** Memory usage minus inactive file cache (what the OOM killer looks at), bytes. */
  readonly memoryWorkingSetBytes: number;
  readonly memoryUsageBytes: number;
  readonly networkReceiveBytes: number;
  readonly networkTransmitBytes: number;
  readonly fsReadBytes: number;
  readonly fsWriteBytes: number;
  /** Where the numbers came from. */
  readonly source: "cgroup" | "api";
}

/** The numbers of a sample without its time and source. */
export type SampleValues = Omit<ContainerSample, "time" | "source">;

/**
 * The value of `key` in a `key value` file (memory.stat, cpu.stat), 0 when absent. Looks for the
 * key at a line start only, so `inactive_file` does not match `total_inactive_file`. Pure.
 */
export function statValue(text: string, key: string): number {
  let at = text.startsWith(`${key} `) ? 0 : text.indexOf(`\n${key} `);
  if (at < 0) return 0;
  if (at > 0) at += 1;
  const start = at + key.length + 1;
  const end = text.indexOf("\n", start);
  const value = Number(text.slice(start, end < 0 ? undefined : end).trim());
  return Number.isFinite(value) ? value : 0;
}

/** Read and write bytes from cgroup v1 `blkio.throttle.io_service_bytes` (`MAJ:MIN Read N` lines). Pure. */
export function parseBlkioV1(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split("\n")) {
    const [dev, op, value] = line.trim().split(/\s+/);
    if (!dev?.includes(":") || value === undefined) continue;
    if (op === "Read") read += Number(value);
    else if (op === "Write") write += Number(value);
  }
  return { read, write };
}

/** Read and write bytes from cgroup v2 `io.stat` (`MAJ:MIN rbytes=N wbytes=N ...` lines). Pure. */
export function parseIoStatV2(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const m of text.matchAll(/\brbytes=(\d+)/g)) read += Number(m[1]);
  for (const m of text.matchAll(/\bwbytes=(\d+)/g)) write += Number(m[1]);
  return { read, write };
}

/** Received and transmitted bytes of all interfaces but `lo` from `/proc/<pid>/net/dev`. Pure. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === "lo" || name.includes("|")) continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    rx += Number(f[0] ?? 0);
    tx += Number(f[8] ?? 0);
  }
  return { rx, tx };
}

/** A sample from a Docker stats API document (`GET /containers/{id}/stats?stream=false`). Pure. */
export function sampleFromStats(doc: unknown, time: number): ContainerSample {
  const stats = field(field(doc, "memory_stats"), "stats");
  const inactive = num(field(stats, "total_inactive_file")) || num(field(stats, "inactive_file"));
  const usage = num(field(field(doc, "memory_stats"), "usage"));
  let rx = 0;
  let tx = 0;
  const networks = field(doc, "networks");
  for (const n of Object.values(typeof networks === "object" && networks !== null ? networks : {})) {
    rx += num(field(n, "rx_bytes"));
    tx += num(field(n, "tx_bytes"));
  }
  let read = 0;
  let write = 0;
  const io = field(field(doc, "blkio_stats"), "io_service_bytes_recursive");
  for (const e of Array.isArray(io) ? (io as unknown[]) : []) {
    const op = String(field(e, "op") ?? "").toLowerCase();
    if (op === "read") read += num(field(e, "value"));
    else if (op === "write") write += num(field(e, "value"));
  }
  return {
    time,
    cpuSeconds: num(field(field(field(doc, "cpu_stats"), "cpu_usage"), "total_usage")) / 1e9,
    memoryUsageBytes: usage,
    memoryWorkingSetBytes: Math.max(0, usage - inactive),
    networkReceiveBytes: rx,
    networkTransmitBytes: tx,
    fsReadBytes: read,
    fsWriteBytes: write,
    source: "api",
  };
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}
