/**
 * The dashboard in headless Chromium against a real `berth run` and real Docker: the examples
 * listed with their phases, a spec edit shown within a second, live log lines, actions that edit
 * the desired state (stop, delete with confirmation), and a daemon that requires a token.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  cleanupDirs,
  docker,
  eventually,
  removeProjects,
  startDaemon,
  type Daemon,
} from "../operator/daemon.js";
import {
  artifactPath,
  copyExamples,
  ensureDashboardBuild,
  launchBrowser,
  projectLabel,
  ROOT,
} from "./harness.js";

const PREFIX = "dash-";
const LOGS = "default/dash-logs";
const WEB = "default/dash-web";
const TOKEN_PROJECT = "default/dash-token";

function loggerSpec(name: string): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}}
spec:
  containers:
    - name: app
      image: berth-test/busybox:1
      command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo \\"out line $i\\"; echo \\"err line $i\\" >&2; usleep 300000; done"]
`;
}

const phaseSelector = (key: string) => `tr[data-key="${key}"] [data-phase]`;

async function shownPhase(page: Page, key: string): Promise<string | null> {
  const el = await page.$(phaseSelector(key));
  return el ? el.getAttribute("data-phase") : null;
}

/** Waits (checking every animation frame) until the row of `key` shows a phase `ok` accepts. */
async function waitForPhase(
  page: Page,
  key: string,
  ok: (phase: string) => boolean,
  timeout: number,
): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const phase = await shownPhase(page, key);
    if (phase !== null && ok(phase)) return phase;
    if (Date.now() > deadline) throw new Error(`the page still shows ${key} as ${phase} after ${timeout} ms`);
    await page.waitForTimeout(10);
  }
}

async function apiPhase(d: Daemon, key: string): Promise<string | undefined> {
  const res = await api(d, `/api/v1/projects/${key}`);
  if (!res.ok) return undefined;
  return ((await res.json()) as { status: { phase?: string } }).status.phase;
}

describe("dashboard in Chromium", () => {
  let d: Daemon;
  let browser: Browser;
  let page: Page;
  let keys: string[];

  beforeAll(async () => {
    ensureDashboardBuild();
    browser = await launchBrowser();
    const examples = copyExamples(PREFIX);
    keys = examples.keys;
    writeFileSync(join(examples.dir, "dash-logs.yaml"), loggerSpec("dash-logs"));
    d = await startDaemon({ dir: examples.dir, portRange: "29500-29699" });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on("pageerror", (err) => console.error(`page error: ${err.message}`));
    // as a user does: open the login link berth run printed
    await page.goto(d.loginUrl ?? "");
    expect(page.url()).toBe(`${d.url}/`);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await d?.stop();
    await removeProjects([...(keys ?? []), LOGS].map(projectLabel));
    if (d) cleanupDirs(d.dir, d.stateDir);
  });

  it("lists the example projects with their phases", async () => {
    await page.goto(`${d.url}/`);
    for (const key of keys) await page.waitForSelector(phaseSelector(key));
    for (const key of keys) await waitForPhase(page, key, (p) => p === "Running", 90_000);
    for (const key of keys) expect(await shownPhase(page, key)).toBe(await apiPhase(d, key));
    // the published port links point at the URLs the API reports
    const project = (await (await api(d, `/api/v1/projects/${WEB}`)).json()) as {
      status: { ports: Array<{ url: string }> };
    };
    const href = await page.getAttribute(`tr[data-key="${WEB}"] .ports a`, "href");
    expect(href).toBe(project.status.ports[0]?.url);
    // filtering by label and by phase
    await page.fill("#filter", "team=docs");
    expect(
      await page.$$eval("#projects tbody tr", (rows) => rows.map((r) => r.getAttribute("data-key"))),
    ).toEqual([WEB]);
    await page.fill("#filter", "");
    await page.selectOption("#phase-filter", "Stopped");
    expect(await page.$$("#projects tbody tr")).toHaveLength(0);
    await page.selectOption("#phase-filter", "");
    await page.screenshot({ path: artifactPath("dashboard-list.png"), fullPage: true });
  });

  it("shows log lines printed by a container, coloured by stream, with search and pause", async () => {
    await page.goto(`${d.url}/#/p/default/dash-logs`);
    await page.waitForSelector(".log-line.stdout");
    await page.waitForSelector(".log-line.stderr");
    // a line printed after the panel opened arrives live
    const last = async () =>
      Number(
        /out line (\d+)/.exec(
          (await page.locator(".log-line.stdout .log-text").last().textContent()) ?? "",
        )?.[1],
      );
    const before = await last();
    await eventually(async () => (await last()) >= before + 2, 10_000, "new log lines");
    // each shown line is one the container printed, as the REST API has it
    const rest = (await (await api(d, `/api/v1/projects/${LOGS}/logs?tail=50`)).json()) as {
      items: Array<{ line: string; stream: string }>;
    };
    const shownErr = await page.locator(".log-line.stderr .log-text").first().textContent();
    expect(rest.items.some((l) => l.stream === "stderr" && l.line === shownErr)).toBe(true);
    // stderr is coloured differently from stdout
    const colour = (sel: string) =>
      page.evaluate<string>(`getComputedStyle(document.querySelector(${JSON.stringify(sel)})).color`);
    expect(await colour(".log-line.stderr .log-text")).not.toBe(await colour(".log-line.stdout .log-text"));

    await page.fill("#log-search", "err line");
    const visible = await page.$$eval(".log-line", (els) =>
      els.filter((e) => !e.hasAttribute("hidden")).map((e) => e.getAttribute("data-stream")),
    );
    expect(visible.length).toBeGreaterThan(0);
    expect(new Set(visible)).toEqual(new Set(["stderr"]));
    expect(await page.locator(".log-line:not([hidden]) mark").first().textContent()).toBe("err line");
    await page.fill("#log-search", "/line (/");
    expect(await page.textContent("#log-search-error")).toMatch(/invalid regular expression/);
    await page.fill("#log-search", "");

    await page.click("#log-pause");
    const frozen = await page.locator(".log-line").count();
    await eventually(
      async () => /[1-9]\d* new lines? waiting/.test((await page.textContent("#log-state")) ?? ""),
      10_000,
      "held lines",
    );
    expect(await page.locator(".log-line").count()).toBe(frozen);
    await page.click("#log-pause");
    expect(await page.locator(".log-line").count()).toBeGreaterThan(frozen);
    await page.screenshot({ path: artifactPath("dashboard-logs.png"), fullPage: true });
  });

  it("stops a project from the page: the spec says Stopped and Docker's containers stop", async () => {
    await page.goto(`${d.url}/#/p/default/dash-web`);
    await page.waitForSelector("#action-stop");
    await page.click("#action-stop");
    await page.waitForSelector("#project-phase [data-phase='Stopped']", { timeout: 30_000 });
    expect(readFileSync(join(d.dir, "web.yaml"), "utf8")).toMatch(/^\s+state: Stopped$/m);
    const info = await docker().getContainer("berth-default-dash-web-httpd").inspect();
    expect(info.State.Running).toBe(false);
    await page.waitForSelector("#action-start");
  });

  it("shows the phase of an edited spec file within 1 s", async () => {
    await page.goto(`${d.url}/`);
    await waitForPhase(page, WEB, (p) => p === "Stopped", 10_000);
    const file = join(d.dir, "web.yaml");
    const text = readFileSync(file, "utf8").replace(/^\s+state: Stopped\n/m, "");
    const started = Date.now();
    writeFileSync(file, text);
    const phase = await waitForPhase(page, WEB, (p) => p !== "Stopped", 5_000);
    const elapsed = Date.now() - started;
    expect(["Progressing", "Running"]).toContain(phase);
    expect(elapsed).toBeLessThan(1000);
    await waitForPhase(page, WEB, (p) => p === "Running", 30_000);
    expect(await apiPhase(d, WEB)).toBe("Running");
  });

  it("deletes a project only after confirmation", async () => {
    await page.goto(`${d.url}/#/p/default/dash-logs`);
    await page.click("#action-delete");
    await page.waitForSelector("#confirm[open]");
    await page.keyboard.press("Escape");
    await page.waitForSelector("#confirm", { state: "hidden" });
    expect(await apiPhase(d, LOGS)).toBeDefined();
    await page.click("#action-delete");
    await page.click("#confirm-ok");
    await page.goto(`${d.url}/`);
    await eventually(async () => (await page.$(`tr[data-key="${LOGS}"]`)) === null, 20_000, "row removed");
    await eventually(
      async () =>
        (
          await docker().listContainers({
            all: true,
            filters: JSON.stringify({ label: [`berth.dev/project=${projectLabel(LOGS)}`] }),
          })
        ).length === 0,
      30_000,
      "containers removed",
    );
    // the documentation screenshot: an example with its charts and logs
    await page.goto(`${d.url}/#/p/default/dash-guestbook`);
    await page.waitForSelector(".log-line");
    await page.waitForSelector("#chart-memory path.series[d^='M']", { state: "attached", timeout: 30_000 });
    await page.screenshot({ path: artifactPath("dashboard.png"), fullPage: true });
    if (process.env["BERTH_DOCS_SCREENSHOT"] === "1")
      copyFileSync(artifactPath("dashboard.png"), join(ROOT, "docs", "dashboard.png"));
  });
});

describe("dashboard login", () => {
  let d: Daemon;
  let browser: Browser;

  beforeAll(async () => {
    ensureDashboardBuild();
    browser = await launchBrowser();
    d = await startDaemon({ portRange: "29700-29749" });
    writeFileSync(join(d.dir, "dash-token.yaml"), loggerSpec("dash-token"));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await d?.stop();
    await removeProjects([projectLabel(TOKEN_PROJECT)]);
    if (d) cleanupDirs(d.dir, d.stateDir);
  });

  it("serves the page without the token but no data without it", async () => {
    expect((await fetch(`${d.url}/`)).status).toBe(200);
    expect((await fetch(`${d.url}/api/v1/projects`)).status).toBe(401);
  });

  it("logs in once through the printed URL, drops the code from the address, and streams logs over the WebSocket", async () => {
    const link = d.loginUrl ?? "";
    expect(link).toMatch(/\/login\?code=/);
    expect(
      d
        .logs()
        .split("\n")
        .filter((l) => l.includes(link)),
    ).toHaveLength(1); // the terminal line, not a log line
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(link);
    expect(page.url()).toBe(`${d.url}/`);
    await page.goto(`${d.url}/#/p/default/dash-token`);
    await page.waitForSelector(".log-line.stdout", { timeout: 60_000 });
    // the session cookie is HttpOnly: page scripts see neither it nor the token
    expect(await page.evaluate<string>("document.cookie")).toBe("");
    expect(await page.evaluate<number>("sessionStorage.length + localStorage.length")).toBe(0);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name.startsWith("berth_session_"))).toMatchObject({
      httpOnly: true,
      sameSite: "Strict",
    });
    expect(JSON.stringify(cookies)).not.toContain(d.token ?? "none");
    await context.close();
    // a second browser cannot use the same link
    const other = await browser.newContext();
    const again = await other.newPage();
    const res = await again.goto(link);
    expect(res?.status()).toBe(401);
    await other.close();
  });

  it("asks for the token when it has no session, and keeps no copy of it", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${d.url}/`);
    await page.waitForSelector("#login[open]");
    await page.fill("#login-token", d.token ?? "");
    await page.press("#login-token", "Enter");
    await page.waitForSelector(phaseSelector(TOKEN_PROJECT), { timeout: 30_000 });
    expect(await page.evaluate<number>("sessionStorage.length + localStorage.length")).toBe(0);
    await context.close();
  });
});
