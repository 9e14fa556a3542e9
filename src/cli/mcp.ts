import { setMaxListeners } from "node:events";
import { createServer } from "node:net";
import { Command } from "commander";
import { readToken } from "../cache/token-file.js";
import { defaultLockDir, startManager } from "../operator/manager.js";
import { AlreadyRunningError, readDirLock, type LockHolder } from "../operator/lock.js";
import {
  OptionError,
  parseRunOptions,
  RUN_FLAG_DEFAULTS,
  type RunEnv,
  type RunFlags,
  type RunOptions,
} from "../operator/options.js";
import { backendOf } from "../operator/mcp-backend.js";
import { mcpMetrics } from "../mcp/metrics.js";
import { MCP_PATH } from "../mcp/http.js";
import { proxyStdio, serveStdio, type StdioStreams } from "../mcp/stdio.js";
import { DockerUnavailableError } from "../runtime/errors.js";
import { createLogger, type Logger } from "../util/logger.js";
import { CliError, type CliIo } from "./io.js";
import { logOptions, withOperatorToken } from "./operator-flags.js";
import { projectServiceOf, serveManager } from "../operator/serve.js";
import { berthVersion } from "../util/version.js";

/** Flags of `berth mcp`: a subset of `berth run`'s. */
interface McpFlags {
  dir: string;
  http: string;
  token?: string;
  stateDir?: string;
  portRange: string;
  publishAddress: string;
  docker?: string;
  redis?: string;
  nats?: string;
  logLevel: string;
  logFormat: string;
  mcpReadOnly?: boolean;
  mcpToolsets?: string;
}

/**
 * The `berth mcp` command: MCP over stdio. When a daemon already reconciles the directory (its
 * lock names it), every frame is forwarded to that daemon's `/mcp` endpoint, so one directory
 * never has two reconcilers and both clients see the same tools and progress. Otherwise the
 * operator runs in this process (and serves HTTP on `--http`, so that a second `berth mcp` or
 * `berth get` finds it). Logs go to stderr; stdout carries MCP frames only.
 */
export function mcpCommand(result: { code: number }, env: RunEnv, stdio: StdioStreams, io: CliIo): Command {
  const [logLevel, logFormat] = logOptions("warn", "log level (stderr)");
  return new Command("mcp")
    .summary("serve the MCP tools over stdio (for coding agents)")
    .description(
      "Serve Berth's MCP tools on stdin/stdout. Runs the operator on --dir in this process, or, when a\n" +
        "berth run (or another berth mcp) already reconciles that directory, talks to its /mcp endpoint.",
    )
    .option("-d, --dir <dir>", "directory of Project specs", "./projects")
    .option(
      "--http <host:port>",
      "HTTP address of the in-process operator (port 0: any free port)",
      "127.0.0.1:0",
    )
    .option("--token <token>", "bearer token of the daemon's HTTP API (env BERTH_TOKEN)")
    .option("--state-dir <dir>", "port registry and last status (env BERTH_STATE_DIR)")
    .option("--port-range <from-to>", "host ports allocated from this range", RUN_FLAG_DEFAULTS.portRange)
    .option(
      "--publish-address <ip>",
      "host address container ports are published on",
      RUN_FLAG_DEFAULTS.publishAddress,
    )
    .option("--docker <url>", "Docker endpoint (env DOCKER_HOST)")
    .option("--redis <url>", "Redis for the shared port registry (env BERTH_REDIS_URL); optional")
    .option("--nats <url>", "publish logs, metrics and events to NATS")
    .option("--mcp-read-only", "offer the read tools only; writes are refused")
    .option("--mcp-toolsets <list>", "tool groups offered: read, write, exec, import (default all)")
    .addOption(logLevel)
    .addOption(logFormat)
    .addHelpText(
      "after",
      '\nMCP client configuration (stdio):\n  {"command": "berth", "args": ["mcp", "--dir", "/path/to/projects"]}',
    )
    .action(async (flags: McpFlags, cmd: Command) => {
      result.code = await serve(withOperatorToken(flags, cmd), env, stdio, io);
    });
}

async function serve(flags: McpFlags, env: RunEnv, stdio: StdioStreams, io: CliIo): Promise<number> {
  let options: RunOptions;
  try {
    options = parseRunOptions(runFlags(flags), env);
  } catch (err) {
    if (err instanceof OptionError) throw new CliError(err.message, 2);
    throw err;
  }
  const logger = createLogger({ level: options.logLevel, format: options.logFormat });
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every part of the operator listens to it
  const onSignal = () => stop.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const holder = readDirLock(defaultLockDir(), options.dir);
    if (holder) return await proxy(holder, options, stdio, logger, stop.signal);
    if (options.httpPort === 0) options = { ...options, httpPort: await freePort(options.httpHost) };
    let manager;
    try {
      manager = await startManager(options, logger, stop.signal);
    } catch (err) {
      if (err instanceof AlreadyRunningError)
        return await proxy(err.holder, options, stdio, logger, stop.signal);
      if (err instanceof DockerUnavailableError) {
        throw new CliError(`${err.message}\nstart Docker or point --docker / DOCKER_HOST at it`);
      }
      throw err;
    }
    const service = projectServiceOf(manager);
    const server = await serveManager(manager, logger, service);
    io.err(`berth mcp: operator on ${options.dir}, also serving ${server.address.url}${MCP_PATH}\n`);
    const deps = {
      backend: backendOf(manager, service),
      metrics: mcpMetrics(manager.registry),
      logger,
      version: berthVersion(),
      access: options.mcp,
    };
    await serveStdio(deps, stdio, stop.signal);
    stop.abort();
    await server.close();
    await manager.done;
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function proxy(
  holder: LockHolder,
  options: RunOptions,
  stdio: StdioStreams,
  logger: Logger,
  signal: AbortSignal,
): Promise<number> {
  const url = new URL(`http://${connectAddress(holder.http)}${MCP_PATH}`);
  logger.info("a berth daemon already reconciles the directory; forwarding to it", {
    pid: holder.pid,
    url: url.href,
  });
  let token = options.token;
  if (token === undefined && !options.noAuth) {
    const found = await readToken(holder.stateDir ?? options.stateDir);
    if ("token" in found) token = found.token;
    else
      logger.warn("no API token of the daemon found; its /mcp will answer 401", {
        file: found.path,
        reason: found.reason,
      });
  }
  await proxyStdio(url, token, stdio, logger, signal, options.mcp);
  return 0;
}

/** `host:port` of a lock, with a wildcard bind address replaced by loopback and IPv6 bracketed. */
function connectAddress(http: string): string {
  const at = http.lastIndexOf(":");
  let host = http.slice(0, at);
  const port = http.slice(at + 1);
  if (host === "0.0.0.0" || host === "" || host === "::") host = "127.0.0.1";
  if (host.includes(":") && !host.startsWith("[")) host = `[${host}]`;
  return `${host}:${port}`;
}

/** `berth run`'s flags for the in-process operator: this command's, the rest at their defaults. */
function runFlags(flags: McpFlags): RunFlags {
  return {
    ...RUN_FLAG_DEFAULTS,
    dir: flags.dir,
    http: flags.http,
    ...(flags.mcpReadOnly ? { mcpReadOnly: true } : {}),
    ...(flags.mcpToolsets !== undefined ? { mcpToolsets: flags.mcpToolsets } : {}),
    ...(flags.token !== undefined ? { token: flags.token } : {}),
    ...(flags.stateDir !== undefined ? { stateDir: flags.stateDir } : {}),
    portRange: flags.portRange,
    publishAddress: flags.publishAddress,
    ...(flags.docker !== undefined ? { docker: flags.docker } : {}),
    ...(flags.redis !== undefined ? { redis: flags.redis } : {}),
    ...(flags.nats !== undefined ? { nats: flags.nats } : {}),
    logLevel: flags.logLevel,
    logFormat: flags.logFormat,
  };
}

/** A free TCP port on `host`, so that the lock records the address the server will listen on. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}
