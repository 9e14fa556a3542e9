/**
 * The load generator of bench/mcp, run in a child process of its own (bench/mcp.ts forks it) so
 * that the clients' CPU (the SDK client, its zod parsing of every answer) does not share an event
 * loop with the servers it measures. It takes {@link LoadRequest}s over the IPC channel, one at a
 * time, and answers each with a {@link LoadReply}.
 *
 * Load model: closed loop. Each of `clients` clients (SDK v2, protocol 2026-07-28: stateless,
 * one HTTP request per call) repeats: send one tool call, wait for its answer, pause `thinkMs`, next call. So at most
 * `clients` calls are in flight, and a slower server gets fewer calls, not a growing backlog.
 * Clients start at random offsets within one think time. The latency recorded is the client's:
 * from `callTool` to the parsed result.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

/** The calls the clients make: Berth's read and write mix, or the echo floor. */
export type Workload = "berth" | "reads" | "echo";

export type Op = "get_project" | "list_projects" | "patch_project" | "echo";

/** One load run: `clients` sessions against `url` for `seconds`. */
export interface LoadRequest {
  url: string;
  clients: number;
  seconds: number;
  thinkMs: number;
  workload: Workload;
  /** Berth workload: client i reads and patches project `p<i>` in this namespace. */
  namespace: string;
}

/** Latencies in milliseconds per op, or why the run failed. */
export type LoadReply = { ok: true; samples: Partial<Record<Op, number[]>> } | { ok: false; error: string };

const BERTH_OPS: readonly Op[] = ["get_project", "list_projects", "patch_project"];
/** The reads alone (bench/gate's read p99 against the echo floor, with no writes queued). */
const READ_OPS: readonly Op[] = ["get_project", "list_projects"];

/** A v2 client on the 2026-07-28 protocol (stateless); the tool list is read once, as agents do. */
async function connect(url: string): Promise<Client> {
  const client = new Client(
    { name: "bench", version: "1" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  await client.listTools();
  return client;
}

/** The op and arguments of client `i`'s call number `round`. */
function nextCall(req: LoadRequest, i: number, round: number): { op: Op; args: Record<string, unknown> } {
  if (req.workload === "echo") return { op: "echo", args: { text: "hello" } };
  const ops = req.workload === "reads" ? READ_OPS : BERTH_OPS;
  const op = ops[round % ops.length] as Op;
  const name = `p${i}`;
  const ns = req.namespace;
  if (op === "get_project") return { op, args: { name, namespace: ns } };
  if (op === "list_projects") return { op, args: { namespace: ns } };
  return { op, args: { name, namespace: ns, patch: { metadata: { labels: { round: String(round) } } } } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runLoad(req: LoadRequest): Promise<Partial<Record<Op, number[]>>> {
  const clients = await Promise.all(Array.from({ length: req.clients }, () => connect(req.url)));
  const out: Partial<Record<Op, number[]>> = {};
  const end = performance.now() + req.seconds * 1000;
  try {
    await Promise.all(
      clients.map(async (client, i) => {
        await sleep(Math.random() * req.thinkMs);
        for (let round = 0; performance.now() < end; round++) {
          const { op, args } = nextCall(req, i, round);
          const t = performance.now();
          const r = await client.callTool({ name: op, arguments: args });
          const elapsed = performance.now() - t;
          if (r.isError) throw new Error(`${op} failed: ${JSON.stringify(r.content)}`);
          (out[op] ??= []).push(elapsed);
          if (req.thinkMs > 0) await sleep(req.thinkMs);
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
  return out;
}

process.on("message", (msg: LoadRequest) => {
  runLoad(msg).then(
    (samples) => process.send?.({ ok: true, samples } satisfies LoadReply),
    (err: unknown) => process.send?.({ ok: false, error: String(err) } satisfies LoadReply),
  );
});
process.on("disconnect", () => process.exit(0));
