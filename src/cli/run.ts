import { Command } from "commander";
import { startManager } from "../operator/manager.js";
import {
  OptionError,
  parseRunOptions,
  RUN_FLAG_DEFAULTS as DEFAULTS,
  type RunEnv,
  type RunFlags,
} from "../operator/options.js";
import { PortRangeError } from "../ports/allocator.js";
import { SubnetPoolError } from "../reconcilers/subnets.js";
import { BerthError } from "../util/errors.js";
import { createLogger } from "../util/logger.js";
import { CliError, type CliIo } from "./io.js";
import { logOptions, withOperatorToken } from "./operator-flags.js";
import { serveManager } from "../operator/serve.js";

/** The `berth run` command: the operator in the foreground until SIGINT or SIGTERM. */
export function runCommand(io: CliIo, result: { code: number }, env: RunEnv): Command {
  const [logLevel, logFormat] = logOptions(DEFAULTS.logLevel);
  return new Command("run")
    .summary("run the operator on a directory of Project specs, or on Project custom resources")
    .description(
      "Watch a directory of Project specs (--dir) or the Project custom resources of a cluster (--kube)\n" +
        "and keep Docker converged to them, serving the REST API, /metrics, /healthz and /readyz over\n" +
        "HTTP. SIGINT or SIGTERM stops the operator and leaves the containers running; the next\n" +
        "`berth run` adopts them without restarting them.",
    )
    .option("-d, --dir <dir>", "directory of *.yaml / *.yml Project specs (watched recursively)")
    .option("--kube", "take the Project custom resources of a Kubernetes cluster as the desired state")
    .option("--namespace <ns>", "kube mode: watch only this namespace (default all)")
    .option("--kubeconfig <file>", "kube mode: kubeconfig (default $KUBECONFIG, ~/.kube/config, in-cluster)")
    .option("--no-leader-elect", "kube mode: reconcile without holding the leader Lease")
    .option(
      "--lease-namespace <ns>",
      "kube mode: namespace of the leader Lease (default the pod's, else default)",
    )
    .option("--lease-duration <duration>", "kube mode: leader Lease duration", DEFAULTS.leaseDuration)
    .option(
      "--renew-deadline <duration>",
      "kube mode: the leader gives up after failing to renew this long",
      DEFAULTS.renewDeadline,
    )
    .option("--retry-period <duration>", "kube mode: leader election retry period", DEFAULTS.retryPeriod)
    .option(
      "--build-root <dir>",
      "kube mode: relative build.context and hostPath of the custom resources resolve here (else they are refused)",
    )
    .option(
      "--watch-stall <duration>",
      "kube mode: relist after this long without a watch event or bookmark",
      DEFAULTS.watchStall,
    )
    .option("--http <host:port>", "HTTP listen address", DEFAULTS.http)
    .option(
      "--token <token>",
      "the HTTP API's bearer token (env BERTH_TOKEN; default: the state directory's token file, made on first start)",
    )
    .option(
      "--no-auth",
      "serve the HTTP API without a token (loopback only; any local user can then drive Berth)",
    )
    .option("--mcp-read-only", "the MCP tools on /mcp are the read tools only; writes are refused")
    .option(
      "--mcp-toolsets <list>",
      "MCP tool groups offered on /mcp, comma-separated: read, write, exec, import (default all)",
    )
    .option(
      "--allowed-host <name>",
      "also answer to this Host name, e.g. berth.internal, or .example.com for its subdomains (repeatable)",
      collect,
      DEFAULTS.allowedHost,
    )
    .option(
      "--shutdown-grace <duration>",
      "after SIGINT/SIGTERM, exit by this time even if work remains",
      DEFAULTS.shutdownGrace,
    )
    .option(
      "--state-dir <dir>",
      "port registry, last status and locks (env BERTH_STATE_DIR; default $XDG_STATE_HOME/berth)",
    )
    .option("--concurrency <n>", "projects reconciled at once", DEFAULTS.concurrency)
    .option(
      "--docker-concurrency <n>",
      "Docker calls (create, start, remove, network) in flight at once across all projects",
      DEFAULTS.dockerConcurrency,
    )
    .option("--port-range <from-to>", "host ports allocated from this range", DEFAULTS.portRange)
    .option(
      "--publish-address <ip>",
      "host address container ports are published on",
      DEFAULTS.publishAddress,
    )
    .option(
      "--network-pool <cidr>",
      "IPv4 block the project networks' subnets come from",
      DEFAULTS.networkPool,
    )
    .option("--network-size <bits>", "prefix length of each project network's subnet", DEFAULTS.networkSize)
    .option("--docker <url>", "Docker endpoint, e.g. unix:///var/run/docker.sock (env DOCKER_HOST)")
    .option(
      "--stop-timeout <duration>",
      "grace period before a stopped container is killed",
      DEFAULTS.stopTimeout,
    )
    .option("--resync <duration>", "re-check every project this often", DEFAULTS.resync)
    .option("--gc-interval <duration>", "remove unused built images this often (default: never)")
    .option("--gc-keep <n>", "unused built images --gc-interval keeps per project (default 2)")
    .option(
      "--allow-host-path <dir>",
      "also allow volume hostPaths under this directory (repeatable)",
      collect,
      DEFAULTS.allowHostPath,
    )
    .option(
      "--allocate-ports",
      "compose files: allocate Berth's stable host ports instead of their fixed ones",
    )
    .option(
      "--profile <name>",
      "compose files: enable this profile (repeatable; env COMPOSE_PROFILES)",
      collect,
      [],
    )
    .option(
      "--nats <url>",
      "publish container logs, metrics and phase events to NATS, e.g. nats://127.0.0.1:4222",
    )
    .option(
      "--nats-max-pending <n>",
      "stream records kept per stream while NATS is away (oldest dropped)",
      DEFAULTS.natsMaxPending,
    )
    .option(
      "--nats-jetstream",
      "also keep recent log lines in the JetStream stream BERTH_LOGS for late subscribers",
    )
    .option(
      "--nats-jetstream-lines <n>",
      "log lines JetStream keeps per container",
      DEFAULTS.natsJetstreamLines,
    )
    .option("--host-id <id>", "this host's id; projects with another spec.host are left alone")
    .option(
      "--redis <url>",
      "Redis for the shared port registry and status snapshots, e.g. redis://127.0.0.1:6379 (env BERTH_REDIS_URL); optional",
    )
    .addOption(logLevel)
    .addOption(logFormat)
    .addHelpText(
      "after",
      "\nExamples:\n  berth run --dir examples\n  berth run --dir ~/projects --http 127.0.0.1:7500 --port-range 21000-21999\n  berth run --kube --namespace team-a --host-id debug-1",
    )
    .action(async (flags: RunFlags, cmd: Command) => {
      result.code = await run(withOperatorToken(flags, cmd), io, env);
    });
}

function collect(value: string, previous: readonly string[]): readonly string[] {
  return [...previous, value];
}

async function run(flags: RunFlags, io: CliIo, env: RunEnv): Promise<number> {
  let options;
  try {
    options = parseRunOptions(flags, env);
  } catch (err) {
    if (err instanceof OptionError) throw new CliError(err.message, 2);
    throw err;
  }
  const logger = createLogger({ level: options.logLevel, format: options.logFormat });
  const stop = new AbortController();
  const onSignal = (name: string) => () => {
    if (stop.signal.aborted) {
      io.err(`berth: ${name} again; exiting now\n`);
      process.exit(130);
    }
    logger.info("stopping; containers keep running", { signal: name });
    stop.abort();
    // Nothing may keep the process past its grace; the timer does not hold it open either.
    setTimeout(() => {
      io.err(`berth: did not stop within --shutdown-grace ${options.shutdownGraceMs / 1000}s; exiting\n`);
      process.exit(1);
    }, options.shutdownGraceMs).unref();
  };
  const onInt = onSignal("SIGINT");
  const onTerm = onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    const backend = options.kube
      ? (await import("../kube/backend.js")).kubeBackend({ ...options.kube, hostId: options.hostId })
      : undefined;
    const manager = await startManager(options, logger, stop.signal, backend).catch((err: unknown) => {
      // Configuration the flags got wrong exits 2, like a bad flag.
      // (KubeConfigError by name: the Kubernetes client loads only in kube mode)
      const config = err instanceof BerthError && err.name === "KubeConfigError";
      if (config || err instanceof SubnetPoolError || err instanceof PortRangeError)
        throw new CliError(err.message, 2, err.hint);
      throw err;
    });
    const server = await serveManager(manager, logger).catch(async (err: unknown) => {
      stop.abort(); // no HTTP server, no daemon: stop reconciling before reporting why
      await manager.done;
      throw err;
    });
    const watching = options.kube
      ? `Project resources in ${options.kube.namespace ?? "all namespaces"}`
      : options.dir;
    io.err(`berth: watching ${watching}, serving ${server.address.url}\n`);
    // On the terminal only, never in the log: the link logs a browser in once.
    const login = server.loginUrl();
    if (login)
      io.err(
        `berth: dashboard: ${login}\n  (this link logs a browser in once; berth dashboard makes another)\n`,
      );
    else io.err(`berth: dashboard: ${server.address.url}/ (no authentication: --no-auth)\n`);
    await manager.done;
    await server.close();
    return 0;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
