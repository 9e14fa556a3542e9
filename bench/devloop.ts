/**
 * bench/devloop: an edit of a served file to the new response, through Berth's `sync` watch rule,
 * against the same edit by hand in the same run: `docker cp` of the file plus a request (goal
 * <= 1.3x), the archive API that `docker cp` uses (the floor), a full image rebuild and container
 * replace (goal: Berth >= 10x faster), and `docker compose watch` with the same sync rule, from the
 * compose binary scripts/compose-build.sh builds (the ratio is reported).
 *
 *   npm run bench -- devloop
 *   BENCH_DEVLOOP_REPS=15 BENCH_DEVLOOP_REBUILD_REPS=5 BENCH_DEVLOOP_COMPOSE=0 npm run bench -- devloop
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { composeBinary, sleep, startBerth, type Berth } from "./compose-kit.js";
import {
  BERTH_NAMESPACE,
  bareServer,
  cleanup,
  COMPOSE_PROJECT,
  IMAGE,
  LABEL,
  rebuildAndReplace,
  SERVE,
  served,
  sh,
  tarOf,
} from "./devloop-kit.js";
import { summarize } from "./stats.js";

const REPS = Number(process.env["BENCH_DEVLOOP_REPS"] ?? 15);
const REBUILD_REPS = Number(process.env["BENCH_DEVLOOP_REBUILD_REPS"] ?? 5);
const WITH_COMPOSE = process.env["BENCH_DEVLOOP_COMPOSE"] !== "0";
/** Between two edits, so that no side's debounce or quiet period carries one edit into the next. */
const SETTLE_MS = 300;
const PORTS = { cp: 23801, api: 23802, rebuild: 23803, compose: 23804, berth: 23805 };
const docker = new Docker({ socketPath: "/var/run/docker.sock" });

/** One side's measurement: write the file with `token`, make it served, resolve when it is. */
type Edit = (token: string) => Promise<void>;

function page(token: string): string {
  return `<html><body>${token}</body></html>\n`;
}

function berthSpec(): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: devloop, namespace: ${BERTH_NAMESPACE}}
spec:
  containers:
    - name: web
      image: ${IMAGE}
      command: ${JSON.stringify(SERVE)}
      ports: [{name: http, containerPort: 8080, hostPort: ${PORTS.berth}}]
      develop:
        watch:
          - {path: ./site/html, action: sync, target: /www}
`;
}

function composeFile(): string {
  return `name: ${COMPOSE_PROJECT}
services:
  web:
    image: ${IMAGE}
    command: ${JSON.stringify(SERVE)}
    ports: ["127.0.0.1:${PORTS.compose}:8080"]
    develop:
      watch:
        - {path: ./html, action: sync, target: /www}
`;
}

/** `docker compose watch --no-up` until it says "Watch enabled". */
async function composeWatch(bin: string, dir: string): Promise<ChildProcess> {
  const child = spawn(bin, ["-f", join(dir, "compose.yaml"), "watch", "--no-up"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let seen = "";
    const onData = (b: Buffer) => {
      seen += b.toString();
      if (seen.includes("Watch enabled")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`compose watch exited (${code}): ${seen.trim()}`)));
    setTimeout(
      () => reject(new Error(`compose watch not enabled after 30 s: ${seen.trim()}`)),
      30_000,
    ).unref();
  });
  return child;
}

/** {@link composeWatch}, tried for up to a minute: it fails while the host's inotify instances run out. */
async function composeWatchRetried(bin: string, dir: string): Promise<ChildProcess> {
  const end = performance.now() + 60_000;
  for (;;) {
    try {
      return await composeWatch(bin, dir);
    } catch (err) {
      if (performance.now() > end || !String(err).includes("OS limits")) throw err;
      await sleep(5_000);
    }
  }
}

/** Medians of each side over `reps` interleaved rounds after one warm-up round; ms per edit. */
async function measure(sides: Record<string, Edit>, reps: number): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  for (let i = -1; i < reps; i++) {
    for (const [name, edit] of Object.entries(sides)) {
      const token = `${name}-${i}-${Math.random().toString(36).slice(2, 10)}`;
      const t0 = performance.now();
      await edit(token);
      if (i >= 0) out[name]?.push(performance.now() - t0);
      await sleep(SETTLE_MS);
    }
  }
  return out;
}

const med = (xs: readonly number[]) => summarize(xs).median;
const fmt = (xs: readonly number[]) =>
  `${med(xs).toFixed(1)} ms (p95 ${summarize(xs).p95.toFixed(1)}, n=${xs.length})`;
const verdict = (ok: boolean) => (ok ? "met" : "not met");

/** Waits until Berth serves the page and its sync rule answers one edit, or says why not. */
async function berthReady(berth: Berth, html: string): Promise<string | undefined> {
  try {
    await served(PORTS.berth, "start", 60_000);
  } catch (err) {
    const m = berth.manager;
    const st = m.status.get(`${BERTH_NAMESPACE}/devloop`)?.status;
    const why = [
      `phase ${st?.phase ?? "none"}`,
      ...(st?.conditions ?? [])
        .filter((c) => c.status === "False")
        .map((c) => `${c.type}=${c.reason} ${c.message}`),
      ...m.desired.errors().map((e) => `${e.file}:${e.line} ${e.message}`),
      ...m.watchProblems().map((p) => `${p.reason}: ${p.message}`),
    ];
    return `the project does not serve (${String(err)}; ${why.join("; ")})`;
  }
  writeFileSync(join(html, "index.html"), page("probe"));
  try {
    await served(PORTS.berth, "probe", 10_000);
    return undefined;
  } catch {
    return "an edit under the sync rule's path was not served within 10 s (is the dev loop in this build?)";
  }
}

export async function run(): Promise<void> {
  await cleanup(docker);
  const root = mkdtempSync(join(tmpdir(), "berth-bench-devloop-"));
  const specs = join(root, "specs");
  const html = join(specs, "site", "html");
  const byHand = join(root, "hand");
  const composeDir = join(root, "compose");
  mkdirSync(html, { recursive: true });
  mkdirSync(join(byHand, "html"), { recursive: true });
  mkdirSync(join(composeDir, "html"), { recursive: true });
  writeFileSync(join(html, "index.html"), page("start"));
  writeFileSync(join(byHand, "html", "index.html"), page("start"));
  writeFileSync(join(composeDir, "html", "index.html"), page("start"));
  writeFileSync(
    join(byHand, "Dockerfile"),
    `FROM ${IMAGE}\nLABEL ${LABEL}=true\nCOPY html /www\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
  );
  writeFileSync(join(composeDir, "compose.yaml"), composeFile());
  let berth: Berth | undefined;
  let watch: ChildProcess | undefined;
  let bin = "";
  let composeProblem: string | undefined;
  const stop = async () => {
    watch?.kill("SIGINT");
    if (bin) await sh(bin, ["-f", join(composeDir, "compose.yaml"), "down", "-t", "0"]).catch(() => "");
    await berth?.stop();
    await cleanup(docker);
    rmSync(root, { recursive: true, force: true });
  };
  const onInt = () => void stop().finally(() => process.exit(130));
  process.once("SIGINT", onInt);
  try {
    await bareServer(docker, "berthdl-cp", PORTS.cp);
    await bareServer(docker, "berthdl-api", PORTS.api);
    await served(PORTS.cp, "start");
    await served(PORTS.api, "start");
    berth = await startBerth(specs, join(root, "state"), "23850-23899", 1);
    writeFileSync(join(specs, "devloop.yaml"), berthSpec());
    const berthProblem = await berthReady(berth, html);
    console.error(`devloop: berth ${berthProblem ? `not measured: ${berthProblem}` : "ready"}`);
    if (WITH_COMPOSE) {
      bin = composeBinary();
      await sh(bin, ["-f", join(composeDir, "compose.yaml"), "up", "-d"]);
      await served(PORTS.compose, "start");
      watch = await composeWatchRetried(bin, composeDir).catch((err: unknown) => {
        composeProblem = String(err instanceof Error ? err.message : err).split("\n")[0];
        return undefined;
      });
      console.error(`devloop: compose watch ${composeProblem ? `not measured: ${composeProblem}` : "ready"}`);
    }
    const handFile = join(byHand, "html", "index.html");
    const sides: Record<string, Edit> = {
      "docker cp": async (token) => {
        writeFileSync(handFile, page(token));
        await sh("docker", ["cp", handFile, "berthdl-cp:/www/index.html"]);
        await served(PORTS.cp, token);
      },
      "archive API": async (token) => {
        writeFileSync(handFile, page(token));
        await docker.getContainer("berthdl-api").putArchive(await tarOf(page(token)), { path: "/www" });
        await served(PORTS.api, token);
      },
      ...(berthProblem
        ? {}
        : {
            "berth sync": async (token: string) => {
              writeFileSync(join(html, "index.html"), page(token));
              await served(PORTS.berth, token);
            },
          }),
      ...(watch
        ? {
            "compose watch": async (token: string) => {
              writeFileSync(join(composeDir, "html", "index.html"), page(token));
              await served(PORTS.compose, token);
            },
          }
        : {}),
    };
    console.error(`devloop: ${REPS} rounds of ${Object.keys(sides).join(", ")}`);
    const r = await measure(sides, REPS);
    const rebuild = await measure(
      {
        "rebuild+replace": async (token) => {
          writeFileSync(handFile, page(token));
          await rebuildAndReplace(docker, byHand, "berthdl-rebuild:latest", "berthdl-rebuild", PORTS.rebuild);
          await served(PORTS.rebuild, token);
        },
      },
      REBUILD_REPS,
    );
    report({ ...r, ...rebuild }, berthProblem, composeProblem);
  } finally {
    process.off("SIGINT", onInt);
    await stop();
  }
}

function report(r: Record<string, number[]>, berthProblem?: string, composeProblem?: string): void {
  console.log("devloop: edit of a served file -> the new response, medians (interleaved rounds)");
  for (const [name, xs] of Object.entries(r)) console.log(`  ${name.padEnd(16)} ${fmt(xs)}`);
  const cp = med(r["docker cp"] ?? []);
  const rebuild = med(r["rebuild+replace"] ?? []);
  const berth = r["berth sync"];
  if (!berth) {
    console.log(`  berth sync: not measured: ${berthProblem ?? "unknown"}`);
    return;
  }
  const b = med(berth);
  console.log(`  berth / docker cp       ${(b / cp).toFixed(2)}x   goal <= 1.3x: ${verdict(b / cp <= 1.3)}`);
  console.log(
    `  berth / archive API     ${(b / med(r["archive API"] ?? [])).toFixed(2)}x   (the floor; no goal)`,
  );
  console.log(
    `  rebuild+replace / berth ${(rebuild / b).toFixed(1)}x   goal >= 10x: ${verdict(rebuild / b >= 10)}`,
  );
  const compose = r["compose watch"];
  if (compose) console.log(`  compose watch / berth   ${(med(compose) / b).toFixed(2)}x   (reported)`);
  else if (composeProblem) console.log(`  compose watch: not measured: ${composeProblem}`);
}
