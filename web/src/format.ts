/** Pure formatting of what the dashboard shows: ages, sizes, rates, phases, ports. No DOM. */
import type { ContainerStatus, PortStatus, ProjectView } from "./types.js";

/** How long ago `iso` was, kubectl style: `45s`, `12m`, `5h`, `3d`; `-` for no or a bad time. */
export function formatAge(iso: string | undefined, nowMs: number): string {
  const then = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(then)) return "-";
  const s = Math.max(0, Math.floor((nowMs - then) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Bytes in binary units with three significant digits: `0 B`, `512 B`, `1.50 KiB`, `12.3 MiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "-";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

/** A byte rate: `formatBytes(n)/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** CPU use in cores as a percentage of one core: `0.0%`, `12.5%`, `150%`. */
export function formatCpu(cores: number): string {
  if (!Number.isFinite(cores) || cores < 0) return "-";
  const pct = cores * 100;
  return `${pct >= 100 ? Math.round(pct) : pct.toFixed(1)}%`;
}

/** A normalised log timestamp (`2026-01-02T03:04:05.123456789Z`) as local-agnostic `03:04:05.123`. */
export function formatLogTime(ts: string): string {
  const m = /T(\d\d:\d\d:\d\d)(?:\.(\d{1,3}))?/.exec(ts);
  if (!m) return ts;
  return `${m[1]}.${(m[2] ?? "").padEnd(3, "0")}`;
}

/** The tone a phase is shown in. */
export type Tone = "ok" | "warn" | "bad" | "idle";

/** Running is ok; Progressing/Pending/Degraded warn; Failed is bad; Stopped is idle. */
export function phaseTone(phase: string | undefined): Tone {
  switch (phase) {
    case "Running":
      return "ok";
    case "Failed":
      return "bad";
    case "Stopped":
      return "idle";
    default:
      return "warn";
  }
}

/** `ready/total` containers, from the status or, before the first status, from the spec. */
export function readyText(view: ProjectView): string {
  return view.status.ready ?? `0/${view.spec.containers.length}`;
}

/**
 * Why a container is where it is, as the CLI's describe says it: `Waiting: db is not Healthy
 * yet`, `Completed (exit 0)`, `Failed (exit 3)` with the message (the last log lines) as detail
 * lines; undefined when the status gives no reason.
 */
export function containerReason(
  status: ContainerStatus | undefined,
): { text: string; detail: string[] } | undefined {
  if (!status?.reason) return undefined;
  const message = (status.message ?? "").trimEnd();
  if (status.reason === "Waiting") return { text: message ? `Waiting: ${message}` : "Waiting", detail: [] };
  const exit = status.exitCode === undefined ? "" : ` (exit ${status.exitCode})`;
  return { text: `${status.reason}${exit}`, detail: message ? message.split("\n") : [] };
}

/** A published port as a link (when it has an http URL) or a plain `host->container/proto` text. */
export interface PortLink {
  label: string;
  href?: string;
}

/** The project's published ports, in status order. Pure. */
export function portLinks(ports: readonly PortStatus[] | undefined): PortLink[] {
  return (ports ?? [])
    .filter((p) => p.hostPort !== undefined && p.hostPort > 0)
    .map((p) => {
      const label = `${p.hostPort ?? ""}→${p.containerPort ?? "?"}${p.protocol && p.protocol !== "TCP" ? `/${p.protocol.toLowerCase()}` : ""}`;
      return p.url && /^https?:\/\//.test(p.url) ? { label, href: p.url } : { label };
    });
}

/** `namespace/name`. */
export function projectKey(view: Pick<ProjectView, "namespace" | "name">): string {
  return `${view.namespace}/${view.name}`;
}
