/**
 * bench/dashboard: how fast the dashboard shows what the daemon knows, in headless Chromium
 * against a real `berth run` and Docker, with baselines measured in the same run.
 *
 *   npm run bench -- dashboard
 *   BENCH_DASH_LINES=200 BENCH_DASH_EDITS=10
 *
 * logs:  dockerd's timestamp of a container's log line to the line's insertion into the page's
 *        DOM (a MutationObserver in the page), for BENCH_DASH_LINES lines printed 20 per second;
 *        baseline: the same lines' arrival at a WebSocket client in Node on the same stream.
 * phase: a spec file write (state Running <-> Stopped) to the new phase in the project table;
 *        baseline: the same phase event's arrival at an SSE client of /api/v1/events in Node.
 * The difference page - Node is what the page adds (parsing, rendering, the browser's network stack).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import WebSocket from "ws";
import {
  cleanupDirs,
  eventually,
  removeProjects,
  startDaemon,
  type Daemon,
} from "../test/integration/operator/daemon.js";
import { ensureDashboardBuild, launchBrowser, projectLabel } from "../test/integration/dashboard/harness.js";
import { summarize, type Summary } from "./stats.js";

const LINES = Number(process.env["BENCH_DASH_LINES"] ?? 200);
const EDITS = Number(process.env["BENCH_DASH_EDITS"] ?? 10);
const LOGGER = "default/dash-bench-logs";
const TOGGLE = "default/dash-bench-toggle";

function loggerSpec(): string {
  // waits for /trigger/go (created by the bench once both readers are connected), then prints
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: dash-bench-logs}
spec:
  metrics: {enabled: false, intervalSeconds: 2}
  containers:
    - name: app
      image: berth-test/busybox:1
      volumes: [{hostPath: ./trigger, mountPath: /trigger, readOnly: true}]
      command: ["sh", "-c", "while [ ! -f /trigger/go ]; do usleep 20000; done; i=0; while [ $i -lt ${LINES} ]; do i=$((i+1)); echo \\"bench line $i\\"; usleep 50000; done; exec sleep 3600"]
`;
}

function toggleSpec(state: "Running" | "Stopped"): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: dash-bench-toggle}
spec:
  state: ${state}
  metrics: {enabled: false, intervalSeconds: 2}
  containers:
    - name: app
      image: berth-test/busybox:1
      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait; done"]
`;
}

/** Wall-clock milliseconds with sub-millisecond resolution, as the page records them. */
const wallMs = () => performance.timeOrigin + performance.now();

const fmt = (s: Summary) => `p50 ${s.median.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms (n=${s.n})`;

/**
 * Records, in the page, when each log line or phase badge is added under `target` (wall-clock ms).
 * A string, not a function: tsx would wrap a function's inner functions in a helper the page lacks.
 */
async function observe(page: Page, target: string, what: "logs" | "phases"): Promise<void> {
  await page.evaluate(`(() => {
    const seen = [];
    window.benchSeen = seen;
    const root = document.querySelector(${JSON.stringify(target)});
    if (!root) throw new Error("no ${target}");
    new MutationObserver((records) => {
      const t = performance.timeOrigin + performance.now();
      for (const r of records)
        for (const n of r.addedNodes) {
          if (!(n instanceof HTMLElement)) continue;
          if (${JSON.stringify(what)} === "logs") {
            if (n.classList.contains("log-line")) seen.push({ key: n.querySelector(".log-text")?.textContent ?? "", t });
            continue;
          }
          const row = n.closest("tr[data-key]") ?? n.querySelector("tr[data-key]");
          const phase = n.getAttribute("data-phase") ?? n.querySelector("[data-phase]")?.getAttribute("data-phase");
          if (row && phase) seen.push({ key: row.getAttribute("data-key") + " " + phase, t });
        }
    }).observe(root, { childList: true, subtree: true });
  })()`);
}

const seenIn = (page: Page) => page.evaluate<Array<{ key: string; t: number }>>("window.benchSeen");

async function benchLogs(d: Daemon, page: Page): Promise<void> {
  await page.goto(`${d.url}/#/p/default/dash-bench-logs`);
  await page.waitForSelector("#log-lines");
  await observe(page, "#log-lines", "logs");
  const node = new Map<string, { ts: string; t: number }>();
  const ws = new WebSocket(`${d.url.replace("http", "ws")}/api/v1/projects/${LOGGER}/logs/stream?tail=0`);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  ws.on("message", (data: Buffer) => {
    const t = wallMs();
    const m = JSON.parse(data.toString()) as { lines?: Array<{ ts: string; line: string }> };
    for (const l of m.lines ?? []) node.set(l.line, { ts: l.ts, t });
  });
  await page.waitForSelector("#log-state:text('live')");
  writeFileSync(join(d.dir, "trigger", "go"), "");
  await eventually(() => node.size >= LINES, 60_000, `${LINES} lines at the Node client`);
  await eventually(async () => (await seenIn(page)).length >= LINES, 30_000, `${LINES} lines in the page`);
  ws.close();
  const domAt = new Map((await seenIn(page)).map((s) => [s.key, s.t]));
  const toNode: number[] = [];
  const toDom: number[] = [];
  const added: number[] = [];
  for (const [line, { ts, t }] of node) {
    const dom = domAt.get(line);
    if (dom === undefined) continue;
    const origin = Date.parse(ts);
    toNode.push(t - origin);
    toDom.push(dom - origin);
    added.push(dom - t);
  }
  const n = summarize(toNode);
  const p = summarize(toDom);
  console.log(`  log line -> Node WebSocket client (baseline): ${fmt(n)}`);
  console.log(`  log line -> page DOM:                          ${fmt(p)}`);
  console.log(`  page DOM - Node arrival (what the page adds):  ${fmt(summarize(added))}`);
  console.log(
    `  ratio page/Node: p50 ${(p.median / n.median).toFixed(2)}x, p99 ${(p.p99 / n.p99).toFixed(2)}x`,
  );
}

async function benchPhases(d: Daemon, page: Page): Promise<void> {
  await page.goto(`${d.url}/`);
  await page.waitForSelector(`tr[data-key="${TOGGLE}"] [data-phase="Running"]`, { timeout: 60_000 });
  await observe(page, "#projects tbody", "phases");
  const events: Array<{ key: string; t: number }> = [];
  const ac = new AbortController();
  const res = await fetch(`${d.url}/api/v1/events`, { signal: ac.signal });
  const reading = (async () => {
    let buffer = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const t = wallMs();
        buffer += Buffer.from(chunk).toString();
        let i;
        while ((i = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          if (!block.startsWith("event: phase")) continue;
          const e = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "{}") as {
            project: string;
            phase: string;
          };
          events.push({ key: `${e.project} ${e.phase}`, t });
        }
      }
    } catch {
      // aborted at the end
    }
  })();
  const toNode: number[] = [];
  const toDom: number[] = [];
  const added: number[] = [];
  let state: "Running" | "Stopped" = "Running";
  for (let i = 0; i < EDITS; i++) {
    state = state === "Running" ? "Stopped" : "Running";
    const key = `${TOGGLE} ${state}`;
    const since = events.length;
    const written = wallMs();
    writeFileSync(join(d.dir, "toggle.yaml"), toggleSpec(state));
    const nodeAt = await eventually(() => events.slice(since).find((e) => e.key === key)?.t, 30_000, key);
    const domAt = await eventually(
      async () => (await seenIn(page)).filter((s) => s.t >= written).find((s) => s.key === key)?.t,
      30_000,
      `${key} in the page`,
    );
    toNode.push(nodeAt - written);
    toDom.push(domAt - written);
    added.push(domAt - nodeAt);
    await new Promise((r) => setTimeout(r, 300));
  }
  ac.abort();
  await reading;
  const n = summarize(toNode);
  const p = summarize(toDom);
  console.log(`  spec write -> phase event at Node SSE client (baseline): ${fmt(n)}`);
  console.log(`  spec write -> phase in the page's table:                 ${fmt(p)}`);
  console.log(`  page DOM - Node arrival (what the page adds):            ${fmt(summarize(added))}`);
  console.log(
    `  ratio page/Node: p50 ${(p.median / n.median).toFixed(2)}x, p99 ${(p.p99 / n.p99).toFixed(2)}x`,
  );
}

export async function run(): Promise<void> {
  console.log(
    `dashboard: ${LINES} log lines, ${EDITS} spec edits (headless Chromium, real daemon and Docker)`,
  );
  ensureDashboardBuild();
  const browser = await launchBrowser();
  const d = await startDaemon({ portRange: "29800-29899" });
  try {
    mkdirSync(join(d.dir, "trigger"));
    writeFileSync(join(d.dir, "logs.yaml"), loggerSpec());
    writeFileSync(join(d.dir, "toggle.yaml"), toggleSpec("Running"));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await eventually(
      async () =>
        ((await (await fetch(`${d.url}/api/v1/projects/${LOGGER}`)).json()) as { status: { phase?: string } })
          .status.phase === "Running",
      60_000,
      "the logger running",
    );
    console.log("log line latency:");
    await benchLogs(d, page);
    console.log("phase latency:");
    await benchPhases(d, page);
  } finally {
    await browser.close();
    await d.stop();
    await removeProjects([LOGGER, TOGGLE].map(projectLabel));
    cleanupDirs(d.dir, d.stateDir);
  }
}
