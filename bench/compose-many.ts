/**
 * The many-projects parts of bench/compose. `many`: PROJECTS one-container projects from cold to
 * every port answering; compose runs PARALLEL `up -d` at a time on Docker's default bridge, Berth
 * gets every spec file at once and gives each project its own network from its own subnet pool.
 * `ownnet`: compose with a network per project as well, once: Docker's default address pools hold
 * about 30 such networks, and the rest fail.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import {
  COMPOSE_PREFIX,
  berthRange,
  bounded,
  checkPortsFree,
  cleanup,
  compose,
  startBerth,
  type Berth,
} from "./compose-kit.js";
import { Results, sample, secs } from "./compose-report.js";
import {
  berthContainer,
  berthEvents,
  berthSpec,
  composeContainer,
  composeEvents,
  composeFile,
  range,
} from "./compose-specs.js";
import type { Ctx } from "./compose.js";
import { ApiUsage } from "./docker-trace.js";
import { epochMs } from "./stats.js";

/** Writes one compose file per project, publishing `port + i`; returns their paths. */
function composeFiles(dir: string, ctx: Ctx, bridge: boolean): string[] {
  return range(ctx.o.projects, 0).map((i) => {
    const file = join(dir, `c${i}.yaml`);
    writeFileSync(file, composeFile([ctx.o.port + i], ctx.o.graceSeconds, bridge));
    return file;
  });
}

/** `up -d` of every file, PARALLEL at a time; failures are collected (index -> message), not thrown. */
async function upAll(ctx: Ctx, files: string[], prefix: string): Promise<Map<number, string>> {
  const failed = new Map<number, string>();
  await bounded(range(files.length, 0), ctx.o.parallel, async (i) => {
    try {
      await compose(ctx.bin, ["-p", `${prefix}${i}`, "-f", files[i] as string, "up", "-d"]);
    } catch (err) {
      failed.set(i, (err as Error).message);
    }
  });
  return failed;
}

async function manyCompose(ctx: Ctx, files: string[], res: Results): Promise<void> {
  const prefix = `${COMPOSE_PREFIX}m`;
  const { answered } = await ctx.poller.start(
    range(ctx.o.projects, ctx.o.port),
    range(ctx.o.projects, 0).map((i) => composeContainer(`${prefix}${i}`, 0)),
  );
  const t0 = epochMs();
  const failed = await upAll(ctx, files, prefix);
  if (failed.size > 0) throw new Error(`compose on the default bridge: ${[...failed.values()][0]}`);
  const exited = epochMs();
  const end = Math.max(exited, await answered);
  res.add("compose many", await sample(ctx.events, t0, end, composeEvents(prefix)));
  res.add("compose many exit", { ms: exited - t0, timeline: "" });
  await cleanup(ctx.docker);
}

async function manyBerth(ctx: Ctx, res: Results): Promise<void> {
  const { o } = ctx;
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-compose-"));
  const state = mkdtempSync(join(tmpdir(), "berth-bench-compose-state-"));
  let berth: Berth | undefined;
  try {
    berth = await startBerth(dir, state, berthRange(o.port), o.graceSeconds);
    const ports = range(o.projects, o.port + 500);
    const texts = ports.map((p, i) => berthSpec(`m${i}`, [p]));
    const { answered } = await ctx.poller.start(
      ports,
      ports.map((_, i) => berthContainer(`m${i}`, 0)),
    );
    const before = await ApiUsage.read(berth.manager.registry);
    const t0 = epochMs();
    for (const [i, text] of texts.entries()) writeFileSync(join(dir, `m${i}.yaml`), text);
    const end = await answered;
    const usage = (await ApiUsage.read(berth.manager.registry)).since(before);
    res.add("berth many", await sample(ctx.events, t0, end, berthEvents("m")), usage);
  } finally {
    await berth?.stop();
    await cleanup(ctx.docker);
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
}

export async function many(ctx: Ctx): Promise<void> {
  const { o } = ctx;
  await checkPortsFree([...range(o.projects, o.port), ...range(o.projects, o.port + 500)]);
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-compose-"));
  const res = new Results();
  try {
    const files = composeFiles(dir, ctx, true);
    for (let rep = 0; rep < o.manyReps; rep++) {
      if (rep % 2 === 0) await manyCompose(ctx, files, res);
      await manyBerth(ctx, res);
      if (rep % 2 === 1) await manyCompose(ctx, files, res);
    }
  } finally {
    await cleanup(ctx.docker);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `compose/many: ${o.projects} one-container projects from cold to every port 200 ` +
      `(median [every run], ${o.manyReps} runs)`,
  );
  console.log(res.row(`compose, default bridge, ${o.parallel} \`up -d\` at a time`, "compose many"));
  console.log(res.row("  (of which until the last `up -d` exited)", "compose many exit"));
  console.log(res.row("berth, every spec file at once, a network each", "berth many"));
  console.log(res.ratio("berth many", "compose many", 1.0));
  for (const line of [...res.trace("compose many", "compose"), ...res.trace("berth many", "berth")])
    console.log(line);
}

/** Networks that hold a subnet of Docker's default address pools (172.17-31/16, 192.168/16). */
async function defaultPoolNetworks(docker: Docker): Promise<number> {
  const nets = await docker.listNetworks();
  return nets.filter((n) =>
    (n.IPAM?.Config ?? []).some((c) => /^(172\.(1[6-9]|2\d|3[01])|192\.168)\./.test(c.Subnet ?? "")),
  ).length;
}

/** Compose with a network per project, as Berth does; reports where the default pools ran out. */
export async function ownNetworks(ctx: Ctx): Promise<void> {
  const { o } = ctx;
  await checkPortsFree(range(o.projects, o.port));
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-compose-"));
  try {
    const files = composeFiles(dir, ctx, false);
    const taken = await defaultPoolNetworks(ctx.docker);
    const t0 = epochMs();
    const failed = await upAll(ctx, files, `${COMPOSE_PREFIX}n`);
    const took = epochMs() - t0;
    console.log(
      `compose/ownnet: ${o.projects} compose projects, a network each, ${o.parallel} \`up -d\` at a time`,
    );
    console.log(
      `  ${o.projects - failed.size} up, ${failed.size} failed, in ${secs(took)} ` +
        `(${taken} networks held default-pool subnets before)`,
    );
    const first = Math.min(...failed.keys());
    if (failed.size > 0) console.log(`  failure of project ${first}: ${failed.get(first)}`);
  } finally {
    await cleanup(ctx.docker);
    rmSync(dir, { recursive: true, force: true });
  }
}
