import { join, resolve } from "node:path";
import type { KubeRunOptions } from "../kube/options.js";
import type { ComposeSourceOptions } from "../compose/index.js";
import { defaultStateDir } from "../cache/state-dir.js";
import { parseDuration } from "../util/duration.js";
import { BerthError } from "../util/errors.js";
import { parseToolsets, ToolsetsInvalidError, type McpAccess } from "../mcp/access.js";

/** Options of `berth run`, parsed once from flags and environment. */
export interface RunOptions {
  dir: string;
  httpHost: string;
  httpPort: number;
  /** `--token` / BERTH_TOKEN; when undefined (and auth is on) the state directory's token is used. */
  token: string | undefined;
  /** `--no-auth`: the HTTP API takes no token (loopback binds only). */
  noAuth: boolean;
  /** `--allowed-host`: more names the HTTP server answers to in the Host header. */
  allowedHosts: string[];
  /** `--shutdown-grace`: after SIGTERM, the process exits by this time even if work remains. */
  shutdownGraceMs: number;
  stateDir: string;
  concurrency: number;
  /** `--docker-concurrency`: Docker calls in flight at once across all projects (stops aside). */
  dockerConcurrency: number;
  portRange: string;
  publishAddress: string;
  /** Subnets of project networks come from this IPv4 block, `networkSize` bits each. */
  networkPool: string;
  networkSize: number;
  dockerHost: string | undefined;
  stopTimeoutSeconds: number;
  resyncMs: number;
  /** `--gc-interval`: collect unused built images this often (`--gc-keep` per project); 0 = never. */
  gcIntervalMs: number;
  /** `--gc-keep`: unused built images a periodic collection keeps per project. */
  gcKeep: number;
  allowHostPaths: string[];
  /**
   * A variable of the operator's own environment, for `valueFrom.secret.env`; undefined when
   * unset. A function, so that printing the options never prints the environment.
   */
  secretEnv: (name: string) => string | undefined;
  hostId: string | undefined;
  /** Redis for the shared port registry and status snapshots (`--redis`, env BERTH_REDIS_URL); optional. */
  redisUrl: string | undefined;
  logLevel: "debug" | "info" | "warn" | "error";
  logFormat: "json" | "logfmt";
  /** `--nats`: publish logs, metrics and events to this NATS URL. */
  natsUrl: string | undefined;
  /** `--nats-max-pending`: stream records kept per stream while NATS is away. */
  natsMaxPending: number;
  /** `--nats-jetstream` (lines kept per log subject, `--nats-jetstream-lines`), or undefined. */
  jetstreamLines: number | undefined;
  /** `--kube`: desired state from Project custom resources instead of `dir`; undefined in file mode. */
  kube: KubeRunOptions | undefined;
  /** Compose files of `dir`: `--allocate-ports`, `--profile`, and the environment they interpolate. */
  compose: ComposeSourceOptions;
  /** `--mcp-read-only` and `--mcp-toolsets`: which MCP tools /mcp and `berth mcp` offer. */
  mcp: McpAccess;
}

/** Raw flags as commander hands them over. */
export interface RunFlags {
  dir?: string;
  http: string;
  token?: string;
  /** commander's `--no-auth` sets this to false. */
  auth?: boolean;
  /** `--mcp-read-only`: the MCP server offers the read tools only. */
  mcpReadOnly?: boolean;
  /** `--mcp-toolsets read,write,exec,import`: the MCP tool groups offered (default all). */
  mcpToolsets?: string;
  allowedHost?: readonly string[];
  shutdownGrace?: string;
  stateDir?: string;
  concurrency: string;
  dockerConcurrency?: string;
  portRange: string;
  publishAddress: string;
  networkPool: string;
  networkSize: string;
  docker?: string;
  stopTimeout: string;
  resync: string;
  gcInterval?: string;
  gcKeep?: string;
  allowHostPath: readonly string[];
  hostId?: string;
  redis?: string;
  logLevel: string;
  logFormat: string;
  nats?: string;
  natsMaxPending?: string;
  natsJetstream?: boolean;
  natsJetstreamLines?: string;
  kube?: boolean;
  namespace?: string;
  kubeconfig?: string;
  leaderElect?: boolean;
  leaseNamespace?: string;
  leaseDuration?: string;
  renewDeadline?: string;
  retryPeriod?: string;
  watchStall?: string;
  buildRoot?: string;
  allocatePorts?: boolean;
  profile?: readonly string[];
}

/**
 * The defaults of `berth run`'s flags, the one table of them: the command's options show and use
 * these, `berth mcp` fills the flags it does not offer from them, and {@link parseRunOptions}
 * falls back to them for optional flags. Frozen; spread it to make flags.
 */
export const RUN_FLAG_DEFAULTS = Object.freeze({
  http: "127.0.0.1:7420",
  allowedHost: Object.freeze([] as string[]),
  shutdownGrace: "10s",
  concurrency: "16",
  dockerConcurrency: "16",
  portRange: "20000-29999",
  publishAddress: "127.0.0.1",
  networkPool: "10.213.0.0/16",
  networkSize: "26",
  stopTimeout: "5s",
  resync: "10m",
  allowHostPath: Object.freeze([] as string[]),
  natsMaxPending: "100000",
  natsJetstreamLines: "10000",
  logLevel: "info",
  logFormat: "logfmt",
  leaseDuration: "15s",
  renewDeadline: "10s",
  retryPeriod: "2s",
  watchStall: "2m",
} as const) satisfies Partial<RunFlags>;

/** The environment variables `berth run` reads, once. */
export interface RunEnv {
  readonly BERTH_TOKEN?: string | undefined;
  readonly BERTH_STATE_DIR?: string | undefined;
  readonly BERTH_REDIS_URL?: string | undefined;
  readonly DOCKER_HOST?: string | undefined;
  readonly XDG_STATE_HOME?: string | undefined;
  readonly HOME?: string | undefined;
  /** Any other variable: `valueFrom.secret.env` reads from here. */
  readonly [name: string]: string | undefined;
}

/** A flag with a value Berth cannot use; the message names the flag and what is allowed. */
export class OptionError extends BerthError {
  override readonly name = "OptionError";
}

/** A duration flag in milliseconds; throws OptionError naming the flag. */
function durationFlag(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new OptionError(`${flag} ${JSON.stringify(text)} is not a duration; use e.g. 500ms, 10s, 5m or 1h`);
  }
  return ms;
}

function gcKeepFlag(text: string | undefined): number {
  if (text === undefined) return 2;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 1000) {
    throw new OptionError(`--gc-keep ${JSON.stringify(text)} must be a whole number from 0 to 1000`);
  }
  return n;
}

function toolsetsFlag(text: string | undefined): McpAccess["toolsets"] {
  try {
    return parseToolsets(text);
  } catch (err) {
    if (err instanceof ToolsetsInvalidError) throw new OptionError(err.message);
    throw err;
  }
}

/** Turns flags plus the environment into RunOptions; throws OptionError naming the flag. */
export function parseRunOptions(flags: RunFlags, env: RunEnv): RunOptions {
  const http = /^(.*):(\d+)$/.exec(flags.http);
  if (!http || Number(http[2]) > 65535) {
    throw new OptionError(`--http ${JSON.stringify(flags.http)} is not HOST:PORT, e.g. 127.0.0.1:7420`);
  }
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new OptionError(`--concurrency ${flags.concurrency} must be a whole number from 1 to 256`);
  }
  const dockerConcurrency = Number(flags.dockerConcurrency ?? RUN_FLAG_DEFAULTS.dockerConcurrency);
  if (!Number.isInteger(dockerConcurrency) || dockerConcurrency < 1 || dockerConcurrency > 256) {
    throw new OptionError(
      `--docker-concurrency ${flags.dockerConcurrency ?? ""} must be a whole number from 1 to 256`,
    );
  }
  const logLevel = flags.logLevel;
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new OptionError(`--log-level ${logLevel} must be one of debug, info, warn, error`);
  }
  if (flags.dir === undefined && !flags.kube) {
    throw new OptionError("give --dir DIR (spec files) or --kube (Project custom resources)");
  }
  const stateDir = resolve(flags.stateDir ?? env["BERTH_STATE_DIR"] ?? defaultStateDir(env));
  // Kube mode has no spec directory; relative hostPaths resolve below this one.
  const dir = resolve(flags.dir ?? join(stateDir, "kube-projects"));
  if (flags.buildRoot !== undefined && !flags.kube) {
    throw new OptionError(
      "--build-root is for kube mode (--kube); in file mode paths resolve against each spec file",
    );
  }
  const buildRoot = flags.buildRoot !== undefined ? resolve(flags.buildRoot) : undefined;
  return {
    dir,
    httpHost: (http[1] ?? "127.0.0.1").replace(/^\[(.*)\]$/, "$1"),
    httpPort: Number(http[2]),
    token: flags.token ?? (env["BERTH_TOKEN"] || undefined),
    noAuth: flags.auth === false,
    mcp: { readOnly: flags.mcpReadOnly === true, toolsets: toolsetsFlag(flags.mcpToolsets) },
    allowedHosts: (flags.allowedHost ?? RUN_FLAG_DEFAULTS.allowedHost).map((h) => checkAllowedHost(h)),
    shutdownGraceMs: durationFlag(flags.shutdownGrace ?? RUN_FLAG_DEFAULTS.shutdownGrace, "--shutdown-grace"),
    stateDir,
    concurrency,
    dockerConcurrency,
    portRange: flags.portRange,
    publishAddress: flags.publishAddress,
    networkPool: flags.networkPool,
    networkSize: Number(flags.networkSize.replace(/^\//, "")),
    dockerHost: flags.docker ?? env["DOCKER_HOST"],
    stopTimeoutSeconds: durationFlag(flags.stopTimeout, "--stop-timeout") / 1000,
    resyncMs: durationFlag(flags.resync, "--resync"),
    gcIntervalMs: flags.gcInterval === undefined ? 0 : durationFlag(flags.gcInterval, "--gc-interval"),
    gcKeep: gcKeepFlag(flags.gcKeep),
    allowHostPaths: [buildRoot ?? dir, ...flags.allowHostPath.map((p) => resolve(p))],
    secretEnv: secretEnvOf(env),
    hostId: flags.hostId,
    redisUrl: checkRedisUrl(flags.redis ?? (env["BERTH_REDIS_URL"] || undefined)),
    logLevel: logLevel as RunOptions["logLevel"],
    logFormat: flags.logFormat === "json" ? "json" : "logfmt",
    natsUrl: parseNatsUrl(flags.nats),
    natsMaxPending: parseCount(
      flags.natsMaxPending ?? RUN_FLAG_DEFAULTS.natsMaxPending,
      "--nats-max-pending",
    ),
    jetstreamLines: flags.natsJetstream
      ? parseCount(flags.natsJetstreamLines ?? RUN_FLAG_DEFAULTS.natsJetstreamLines, "--nats-jetstream-lines")
      : undefined,
    kube: flags.kube ? { ...parseKubeOptions(flags), buildRoot } : undefined,
    compose: {
      env: () => env,
      allocatePorts: flags.allocatePorts === true,
      profiles: flags.profile && flags.profile.length > 0 ? [...flags.profile] : undefined,
    },
  };
}

/** The kube-mode flags; throws OptionError naming the flag. */
function parseKubeOptions(flags: RunFlags): Omit<KubeRunOptions, "buildRoot"> {
  const leaseDurationMs = durationFlag(
    flags.leaseDuration ?? RUN_FLAG_DEFAULTS.leaseDuration,
    "--lease-duration",
  );
  const renewDeadlineMs = durationFlag(
    flags.renewDeadline ?? RUN_FLAG_DEFAULTS.renewDeadline,
    "--renew-deadline",
  );
  const retryPeriodMs = durationFlag(flags.retryPeriod ?? RUN_FLAG_DEFAULTS.retryPeriod, "--retry-period");
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs && retryPeriodMs > 0)) {
    throw new OptionError(
      "--lease-duration must be longer than --renew-deadline, which must be longer than --retry-period (e.g. 15s, 10s, 2s)",
    );
  }
  const namespace = flags.namespace || undefined;
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
    throw new OptionError(
      `--namespace ${JSON.stringify(namespace)} is not a namespace name (lowercase letters, digits, '-')`,
    );
  }
  const hostId = flags.hostId;
  if (hostId !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(hostId)) {
    throw new OptionError(
      `--host-id ${JSON.stringify(hostId)} cannot name a Lease in kube mode; use lowercase letters, digits, '-' and '.'`,
    );
  }
  return {
    namespace,
    kubeconfig: flags.kubeconfig ? resolve(flags.kubeconfig) : undefined,
    leaderElect: flags.leaderElect !== false,
    leaseNamespace: flags.leaseNamespace || undefined,
    leaseName: `berth-${hostId ?? "default"}`,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    watchStallMs: durationFlag(flags.watchStall ?? RUN_FLAG_DEFAULTS.watchStall, "--watch-stall"),
  };
}

/** Checks an `--allowed-host` value: a host name or address, or `.domain` for its subdomains. */
function checkAllowedHost(text: string): string {
  const name = text.trim().toLowerCase();
  if (!/^\.?[a-z0-9_]([a-z0-9_.:-]*[a-z0-9_])?$|^\[[0-9a-f:.]+\]$/.test(name) || name.includes("/")) {
    throw new OptionError(
      `--allowed-host ${JSON.stringify(text)} is not a host name; use e.g. --allowed-host berth.internal, or .example.com for its subdomains`,
    );
  }
  return name;
}

/** Checks a `--redis` / BERTH_REDIS_URL value; throws OptionError naming the expected form. */
function checkRedisUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const ok = /^rediss?:\/\/[^\s]+$/.test(url) && URL.canParse(url);
  if (!ok)
    throw new OptionError(
      `--redis ${JSON.stringify(url)} is not a Redis URL; use e.g. redis://127.0.0.1:6379`,
    );
  return url;
}

function parseNatsUrl(text: string | undefined): string | undefined {
  if (text === undefined || text === "") return undefined;
  for (const server of text.split(",")) {
    if (!/^(nats|tls|ws|wss):\/\/[^\s/]+$|^[^\s/:]+:\d+$/.test(server.trim())) {
      throw new OptionError(
        `--nats ${JSON.stringify(text)} is not a NATS URL; use e.g. nats://127.0.0.1:4222`,
      );
    }
  }
  return text;
}

function parseCount(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100_000_000) {
    throw new OptionError(`${flag} ${text} must be a whole number from 1 to 100000000`);
  }
  return n;
}

/** Reads the operator's environment captured at start-up, one variable at a time. */
function secretEnvOf(env: RunEnv): (name: string) => string | undefined {
  const copy = new Map<string, string>();
  for (const [k, v] of Object.entries(env)) if (v !== undefined) copy.set(k, v);
  return (name) => copy.get(name);
}
