/**
 * bench/mcp: MCP tools over Streamable HTTP, against baselines measured in the same run.
 *  1. BENCH_MCP_CLIENTS (50) concurrent SDK v2 clients on the 2026-07-28 protocol (stateless: one
 *     HTTP request per call), for BENCH_MCP_SECONDS (30):
 *     p50/p95/p99 of get_project, list_projects and patch_project (each client patches its own
 *     project's labels, so writes are persisted without container churn). Baseline: a server with
 *     one trivial echo tool on the same SDK version and entry (createMcpHandler) behind the same
 *     node:http bridge, under the same load: the transport's own floor. Ratios are to the echo p50/p99.
 *     Second baseline for patch_project: the same number of writers doing only the durable atomic
 *     write of a spec-sized file (fsync, rename, directory fsync), the file system's own floor;
 *     and the spec writer's patch called directly, without MCP.
 *  2. The time to build the Berth McpServer that each request gets.
 *  3. apply_project to Ready (wait: true) for a new one-container project, median of
 *     BENCH_MCP_APPLIES (20).
 * Servers (Berth's in-process operator, the echo servers) run in this process; the clients of 1
 * and 2 run in a child process (bench/mcp-load.ts) so that their CPU does not share the servers'
 * event loop. Load model: closed loop, each client sends one call, waits for the answer, then
 * thinks BENCH_MCP_THINK_MS (20) before the next, like an agent that reads each answer; latency is
 * the client's, from the call to the parsed result. Needs Docker (bash scripts/test-env.sh up).
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { Registry } from "prom-client";
import { z } from "zod";
import { projectServiceOf, serveManager } from "../src/operator/serve.js";
import { startManager } from "../src/operator/manager.js";
import { backendOf } from "../src/operator/mcp-backend.js";
import { mcpMetrics } from "../src/mcp/metrics.js";
import { CACHE_HINTS, createMcpServer } from "../src/mcp/server.js";
import { sendWebResponse, webRequest } from "../src/mcp/web.js";
import { DirSync, writeTextAtomic } from "../src/util/atomic-file.js";
import { nopLogger } from "../src/util/logger.js";
import type { LoadReply, LoadRequest, Op } from "./mcp-load.js";
import { benchRunOptions } from "./options.js";
import { ms, summarize } from "./stats.js";
import type { SpecWriter } from "../src/api/index.js";

const SECONDS = Number(process.env["BENCH_MCP_SECONDS"] ?? 30);
const CLIENTS = Number(process.env["BENCH_MCP_CLIENTS"] ?? 50);
const THINK_MS = Number(process.env["BENCH_MCP_THINK_MS"] ?? 20);
const APPLIES = Number(process.env["BENCH_MCP_APPLIES"] ?? 20);
const BERTH_PORT = 29470;
const ECHO_PORT = 29471;
const IMAGE = "berth-test/busybox:1";
const NAMESPACE = "benchmcp";

function project(name: string, state: "Running" | "Stopped"): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata:
  name: ${name}
  namespace: ${NAMESPACE}
  labels: {round: "0"}
spec:
  state: ${state}
  containers:
    - name: web
      image: ${IMAGE}
      command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
      ports: [{name: http, containerPort: 8080}]
`;
}

async function connect(url: string): Promise<Client> {
  const client = new Client(
    { name: "bench", version: "1" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** A setup call; waits (wait: true) may take long on a busy machine, past the SDK's 60 s default. */
async function call(client: Client, name: string, args: Record<string, unknown>): Promise<void> {
  const r = await client.callTool({ name, arguments: args }, { timeout: 300_000 });
  if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
}

/** The load generator process; runs one {@link LoadRequest} at a time. */
class LoadProcess {
  private readonly child: ChildProcess = fork(fileURLToPath(new URL("./mcp-load.ts", import.meta.url)), {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });

  /** Runs `req` in the child and returns its latencies per op. */
  run(req: Omit<LoadRequest, "thinkMs" | "namespace">): Promise<Map<Op, number[]>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load generator exited (${code})`));
      this.child.once("exit", onExit);
      this.child.once("message", (reply: LoadReply) => {
        this.child.off("exit", onExit);
        if (!reply.ok) return reject(new Error(`load generator: ${reply.error}`));
        resolve(new Map(Object.entries(reply.samples) as Array<[Op, number[]]>));
      });
      this.child.send({ ...req, thinkMs: THINK_MS, namespace: NAMESPACE } satisfies LoadRequest);
    });
  }

  close(): void {
    this.child.disconnect();
  }
}

function echoServer(): McpServer {
  const server = new McpServer({ name: "echo", version: "1" }, { cacheHints: CACHE_HINTS });
  server.registerTool(
    "echo",
    {
      description: "echo",
      inputSchema: z.object({ text: z.string() }),
      outputSchema: z.object({ text: z.string() }),
    },
    ({ text }) => ({ content: [{ type: "text", text }], structuredContent: { text } }),
  );
  return server;
}

async function readText(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return chunks.length ? Buffer.concat(chunks).toString("utf8") : undefined;
}

/**
 * The echo floor: the same SDK entry as Berth's /mcp (createMcpHandler, a fresh server per
 * 2026-07-28 request) behind the same node:http bridge, with one trivial tool.
 */
async function startEcho(port: number): Promise<() => Promise<void>> {
  const handler = createMcpHandler(() => echoServer(), { legacy: "reject" });
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const text = req.method === "POST" ? await readText(req) : undefined;
      const request = webRequest(req, res, text);
      await sendWebResponse(
        res,
        await handler.fetch(request, { parsedBody: text ? JSON.parse(text) : undefined }),
      );
    })();
  });
  await new Promise<void>((r) => http.listen(port, "127.0.0.1", r));
  return async () => {
    await handler.close();
    await new Promise<void>((r) => {
      http.closeAllConnections();
      http.close(() => r());
    });
  };
}

/**
 * The file system's own floor for a patch: CLIENTS concurrent durable atomic writes (temporary
 * file, fsync, rename, directory fsync shared as Berth shares it) of a spec-sized file, each
 * client rewriting its own file with the same think time, for `seconds`.
 */
async function durableWriteFloor(seconds: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-fsync-"));
  const dirSync = new DirSync();
  const text = project("p0", "Stopped");
  const latencies: number[] = [];
  const end = Date.now() + seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const path = join(dir, `p${i}.yaml`);
        for (let round = 0; Date.now() < end; round++) {
          const t = performance.now();
          await writeTextAtomic(path, `${text}# ${round}\n`, { dirSync });
          latencies.push(performance.now() - t);
          await new Promise((r) => setTimeout(r, THINK_MS));
        }
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return latencies;
}

/** The spec writer alone (no MCP): CLIENTS concurrent label patches of their own projects. */
async function writerAlone(writer: SpecWriter, names: readonly string[], seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    names.map(async (name) => {
      for (let round = 0; Date.now() < end; round++) {
        const t = performance.now();
        await writer.patch(`${NAMESPACE}/${name}`, { metadata: { labels: { writer: String(round) } } });
        latencies.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, THINK_MS));
      }
    }),
  );
  return latencies;
}

function row(label: string, sample: readonly number[], floor?: { median: number; p99: number }): string {
  const s = summarize(sample);
  const ratio = floor
    ? `  x${(s.median / floor.median).toFixed(2)} p50, x${(s.p99 / floor.p99).toFixed(2)} p99`
    : "";
  return `  ${label.padEnd(16)} n=${String(s.n).padStart(6)}  p50 ${ms(s.median)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}${ratio}`;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-mcp-"));
  const stateDir = mkdtempSync(join(tmpdir(), "berth-bench-mcp-state-"));
  const stop = new AbortController();
  const manager = await startManager(
    // no token: the clients, like the echo baselines', send none (a loopback bind allows that)
    benchRunOptions({
      dir,
      stateDir,
      portRange: "29200-29299",
      http: `127.0.0.1:${BERTH_PORT}`,
      auth: false,
    }),
    nopLogger,
    stop.signal,
  );
  const service = projectServiceOf(manager);
  const server = await serveManager(manager, nopLogger, service);
  const url = `${server.address.url}/mcp`;
  const load = new LoadProcess();
  console.log(
    `mcp: ${CLIENTS} clients in a child process, closed loop, ${THINK_MS} ms think time, ${SECONDS} s per run`,
  );
  try {
    const setup = await connect(url);
    const names = Array.from({ length: CLIENTS }, (_, i) => `p${i}`);
    await Promise.all(
      names.map((n, i) =>
        call(setup, "apply_project", {
          documents: project(n, i < 5 ? "Running" : "Stopped"),
          wait: true,
          timeoutSeconds: 280,
        }),
      ),
    );

    const ops: Op[] = ["get_project", "list_projects", "patch_project"];
    const berth = await load.run({ url, clients: CLIENTS, seconds: SECONDS, workload: "berth" });
    const closeEcho = await startEcho(ECHO_PORT);
    const echo = await load.run({
      url: `http://127.0.0.1:${ECHO_PORT}/mcp`,
      clients: CLIENTS,
      seconds: SECONDS,
      workload: "echo",
    });
    await closeEcho();
    const floor = summarize(echo.get("echo") ?? []);
    console.log("1. tool calls under load (client-side latency)");
    console.log(row("echo (floor)", echo.get("echo") ?? []));
    for (const op of ops) console.log(row(op, berth.get(op) ?? [], floor));
    const writes = await durableWriteFloor(Math.max(3, SECONDS / 3));
    const writeFloor = summarize(writes);
    console.log(row("durable write", writes));
    console.log(`${row("patch_project", berth.get("patch_project") ?? [], writeFloor)} (vs durable write)`);
    const alone = await writerAlone(manager.writer, names, Math.max(3, SECONDS / 3));
    console.log(`${row("spec writer", alone, writeFloor)} (patch without MCP, vs durable write)`);

    // 2. the cost of the server each 2026-07-28 request gets
    const deps = {
      backend: backendOf(manager, service),
      metrics: mcpMetrics(new Registry()),
      logger: nopLogger,
      version: "bench",
    };
    const build: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      createMcpServer(deps, "modern");
      build.push(performance.now() - t);
    }
    console.log("2. a server per request");
    console.log(
      `  building a Berth McpServer (13 tools, resources, prompt): median ${ms(summarize(build).median)}, p99 ${ms(summarize(build).p99)}`,
    );

    // 3. apply to Ready
    const times: number[] = [];
    for (let i = 0; i < APPLIES; i++) {
      const name = `ready-${i}`;
      const t = performance.now();
      await call(setup, "apply_project", {
        documents: project(name, "Running"),
        wait: true,
        timeoutSeconds: 60,
      });
      times.push(performance.now() - t);
      await call(setup, "delete_project", { name, namespace: NAMESPACE, wait: true });
    }
    const ready = summarize(times);
    console.log(`3. apply_project -> Ready: median ${ms(ready.median)}, p95 ${ms(ready.p95)} (n=${ready.n})`);
    for (const n of names) await call(setup, "delete_project", { name: n, namespace: NAMESPACE, wait: true });
    await setup.close();
  } finally {
    load.close();
    await server.close();
    stop.abort();
    await manager.done;
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/**
 * The MCP read measurement on its own, for bench/gate: `clients` clients against Berth's /mcp
 * (part 1's closed-loop load with reads only, for `seconds`), then the same load against the echo floor;
 * client-side milliseconds of get_project, list_projects and echo. Cleans up what it created.
 */
export async function measureReadsVsEcho(o: {
  clients: number;
  seconds: number;
}): Promise<{ get_project: number[]; list_projects: number[]; echo: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-mcp-"));
  const stateDir = mkdtempSync(join(tmpdir(), "berth-bench-mcp-state-"));
  const stop = new AbortController();
  const manager = await startManager(
    benchRunOptions({
      dir,
      stateDir,
      portRange: "29200-29299",
      http: `127.0.0.1:${BERTH_PORT}`,
      auth: false,
    }),
    nopLogger,
    stop.signal,
  );
  const server = await serveManager(manager, nopLogger);
  const url = `${server.address.url}/mcp`;
  const load = new LoadProcess();
  try {
    const setup = await connect(url);
    const names = Array.from({ length: o.clients }, (_, i) => `p${i}`);
    await Promise.all(
      names.map((n) => call(setup, "apply_project", { documents: project(n, "Stopped"), wait: true })),
    );
    const berth = await load.run({ url, clients: o.clients, seconds: o.seconds, workload: "reads" });
    const closeEcho = await startEcho(ECHO_PORT);
    const echo = await load.run({
      url: `http://127.0.0.1:${ECHO_PORT}/mcp`,
      clients: o.clients,
      seconds: o.seconds,
      workload: "echo",
    });
    await closeEcho();
    for (const n of names) await call(setup, "delete_project", { name: n, namespace: NAMESPACE, wait: true });
    await setup.close();
    return {
      get_project: berth.get("get_project") ?? [],
      list_projects: berth.get("list_projects") ?? [],
      echo: echo.get("echo") ?? [],
    };
  } finally {
    load.close();
    await server.close();
    stop.abort();
    await manager.done;
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}
