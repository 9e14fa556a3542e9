/**
 * bench/compose: Berth against Docker Compose v2 (built by scripts/compose-build.sh) doing the same
 * work in the same run: the same image, command and published ports on both sides.
 *
 *   npm run bench -- compose                      all parts
 *   BENCH_COMPOSE=project,many,ownnet             which parts
 *   BENCH_COMPOSE_REPS=3 BENCH_COMPOSE_MANY_REPS=3 BENCH_COMPOSE_SERVICES=30 BENCH_COMPOSE_PROJECTS=100
 *   BENCH_COMPOSE_PARALLEL=8 BENCH_COMPOSE_GRACE=1 BENCH_COMPOSE_PORT=25000 BENCH_COMPOSE_POLL_MS=20
 *   BENCH_COMPOSE_POLL_FROM=start|begin  poll a port from its container's start event, or at once
 *
 * `project`: one project of SERVICES containers, up (until every port answers 200) and delete
 * (until no container is left) with containers that ignore SIGTERM, so both sides wait the same
 * stop grace. `many` (bench/compose-many.ts): PROJECTS one-container projects, compose on the
 * default bridge, PARALLEL `up -d` at a time, Berth with a network per project. `ownnet`: the same
 * with compose giving each project its own network, once, to show where Docker's default address
 * pools run out.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import {
  BERTH_NAMESPACE,
  COMPOSE_PREFIX,
  berthGone,
  berthRange,
  berthStatus,
  checkPortsFree,
  cleanup,
  compose,
  composeBinary,
  leftOver,
  Poller,
  startBerth,
  type Berth,
} from "./compose-kit.js";
import { many, ownNetworks } from "./compose-many.js";
import { Results, sample } from "./compose-report.js";
import {
  berthContainer,
  berthEvents,
  berthSpec,
  composeContainer,
  composeEvents,
  composeFile,
  range,
} from "./compose-specs.js";
import { ApiUsage, EventLog } from "./docker-trace.js";
import { epochMs } from "./stats.js";

/** The benchmark's options, read once from the environment. */
export interface ComposeBenchOptions {
  parts: Set<string>;
  reps: number;
  manyReps: number;
  services: number;
  projects: number;
  parallel: number;
  graceSeconds: number;
  /** Compose publishes from `port`, Berth from `port + 500` (its port range: the 500 from there). */
  port: number;
  pollMs: number;
  /** Poll each port from dockerd's start event of its container (else from the phase's start). */
  pollFromStart: boolean;
}

export function composeBenchOptions(env: NodeJS.ProcessEnv): ComposeBenchOptions {
  const num = (name: string, fallback: number): number => {
    const v = Number(env[name] ?? fallback);
    if (!Number.isInteger(v) || v < 0) throw new Error(`${name}=${env[name]} is not a whole number`);
    return v;
  };
  const o: ComposeBenchOptions = {
    parts: new Set((env["BENCH_COMPOSE"] ?? "project,many,ownnet").split(",")),
    reps: num("BENCH_COMPOSE_REPS", 3),
    manyReps: num("BENCH_COMPOSE_MANY_REPS", 3),
    services: num("BENCH_COMPOSE_SERVICES", 30),
    projects: num("BENCH_COMPOSE_PROJECTS", 100),
    parallel: num("BENCH_COMPOSE_PARALLEL", 8),
    graceSeconds: num("BENCH_COMPOSE_GRACE", 1),
    port: num("BENCH_COMPOSE_PORT", 25000),
    pollMs: num("BENCH_COMPOSE_POLL_MS", 20),
    pollFromStart: (env["BENCH_COMPOSE_POLL_FROM"] ?? "start") === "start",
  };
  if (!["start", "begin", undefined].includes(env["BENCH_COMPOSE_POLL_FROM"]))
    throw new Error(`BENCH_COMPOSE_POLL_FROM=${env["BENCH_COMPOSE_POLL_FROM"]}: use start or begin`);
  if (Math.max(o.services, o.projects) > 500) throw new Error("at most 500 services or projects");
  return o;
}

/** What every part needs: options, Docker and its event log, the compose binary, the poller. */
export interface Ctx {
  o: ComposeBenchOptions;
  docker: Docker;
  events: EventLog;
  bin: string;
  poller: Poller;
}

/** Compose up and down of the project, one rep. */
async function composeProject(ctx: Ctx, file: string, ports: number[], res: Results): Promise<void> {
  const project = `${COMPOSE_PREFIX}up`;
  const { answered } = await ctx.poller.start(
    ports,
    ports.map((_, i) => composeContainer(project, i)),
  );
  let t0 = epochMs();
  await compose(ctx.bin, ["-p", project, "-f", file, "up", "-d"]);
  const exited = epochMs();
  const end = Math.max(exited, await answered);
  res.add("compose up", await sample(ctx.events, t0, end, composeEvents(project)));
  res.add("compose up exit", { ms: exited - t0, timeline: "" });
  t0 = epochMs();
  await compose(ctx.bin, ["-p", project, "-f", file, "down", "-t", String(ctx.o.graceSeconds)]);
  res.add("compose down", await sample(ctx.events, t0, epochMs(), composeEvents(project)));
  const left = await leftOver(ctx.docker, (l) => l["com.docker.compose.project"] === project);
  if (left > 0) throw new Error(`compose down left ${left} containers`);
}

/** Berth up (spec written) and delete (spec removed) of the project, one rep. */
async function berthProject(
  ctx: Ctx,
  berth: Berth,
  dir: string,
  ports: number[],
  res: Results,
): Promise<void> {
  const file = join(dir, "up.yaml");
  const key = `${BERTH_NAMESPACE}/up`;
  const text = berthSpec("up", ports);
  const { registry } = berth.manager;
  const { answered } = await ctx.poller.start(
    ports,
    ports.map((_, i) => berthContainer("up", i)),
  );
  let before = await ApiUsage.read(registry);
  let t0 = epochMs();
  writeFileSync(file, text);
  const up = await answered.catch((err: Error) => {
    throw new Error(`${err.message}; ${berthStatus(berth, key)}`);
  });
  const upUsage = (await ApiUsage.read(registry)).since(before);
  res.add("berth up", await sample(ctx.events, t0, up, berthEvents("up")), upUsage);
  before = await ApiUsage.read(registry);
  t0 = epochMs();
  unlinkSync(file);
  const gone = await berthGone(berth.manager, key);
  const downUsage = (await ApiUsage.read(registry)).since(before);
  res.add("berth down", await sample(ctx.events, t0, gone, berthEvents("up")), downUsage);
  const left = await leftOver(ctx.docker, (l) => l["berth.dev/project"] === `${BERTH_NAMESPACE}.up`);
  if (left > 0) throw new Error(`berth delete left ${left} containers`);
}

async function project(ctx: Ctx): Promise<void> {
  const { o } = ctx;
  const cports = range(o.services, o.port);
  const bports = range(o.services, o.port + 500);
  await checkPortsFree([...cports, ...bports]);
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-compose-"));
  const state = mkdtempSync(join(tmpdir(), "berth-bench-compose-state-"));
  const file = join(dir, "compose.yaml");
  writeFileSync(file, composeFile(cports, o.graceSeconds, false));
  const specs = join(dir, "specs");
  mkdirSync(specs);
  const res = new Results();
  let berth: Berth | undefined;
  try {
    berth = await startBerth(specs, state, berthRange(o.port), o.graceSeconds);
    for (let rep = 0; rep < o.reps; rep++) {
      // alternate which side goes first, so that drift in the machine's load hits both alike
      if (rep % 2 === 0) await composeProject(ctx, file, cports, res);
      await berthProject(ctx, berth, specs, bports, res);
      if (rep % 2 === 1) await composeProject(ctx, file, cports, res);
    }
  } finally {
    await berth?.stop();
    await cleanup(ctx.docker);
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
  console.log(
    `compose/project: one project of ${o.services} containers ignoring SIGTERM, stop grace ${o.graceSeconds} s ` +
      `(median [every run], ${o.reps} runs)`,
  );
  console.log(res.row("docker compose up -d -> every port 200", "compose up"));
  console.log(res.row("  (of which until `up -d` exited)", "compose up exit"));
  console.log(res.row("berth spec written -> every port 200", "berth up"));
  console.log(res.ratio("berth up", "compose up", 0.8));
  console.log(res.row(`docker compose down -t ${o.graceSeconds}`, "compose down"));
  console.log(res.row("berth spec removed -> no container left", "berth down"));
  console.log(res.ratio("berth down", "compose down", 1.0));
  for (const [name, label] of [
    ["compose up", "compose up"],
    ["berth up", "berth up"],
    ["compose down", "compose down"],
    ["berth down", "berth delete"],
  ] as const)
    for (const line of res.trace(name, label)) console.log(line);
}

export async function run(): Promise<void> {
  const o = composeBenchOptions(process.env);
  const docker = new Docker({ socketPath: "/var/run/docker.sock" });
  const bin = composeBinary();
  const poller = new Poller(o.pollMs, o.pollFromStart);
  const events = await EventLog.open(docker);
  const ctx: Ctx = { o, docker, events, bin, poller };
  const onSignal = () => void cleanup(docker).finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await cleanup(docker);
    if (o.parts.has("project")) await project(ctx);
    if (o.parts.has("many")) await many(ctx);
    if (o.parts.has("ownnet")) await ownNetworks(ctx);
  } finally {
    poller.close();
    events.close();
    await cleanup(docker);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
