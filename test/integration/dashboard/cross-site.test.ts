/**
 * A hostile page in the user's own browser, which is logged in to the dashboard, tries to drive
 * Berth: from another site (localhost vs 127.0.0.1) and from the same site on another port (say,
 * another local user's server on 127.0.0.1). Every attempt fails and the daemon's state is
 * unchanged; the dashboard keeps working in the same browser.
 */
import { createServer, type Server } from "node:http";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  cleanupDirs,
  eventually,
  removeProjects,
  startDaemon,
  type Daemon,
} from "../operator/daemon.js";
import { ensureDashboardBuild, launchBrowser } from "./harness.js";

const suffix = Math.random().toString(36).slice(2, 7);
const VICTIM = `xs-victim-${suffix}`;
const EVIL = `xs-evil-${suffix}`;

function spec(name: string): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}}
spec:
  containers:
    - name: app
      image: berth-test/busybox:1
      command: ["sh", "-c", "while true; do echo secret-log-line; sleep 1; done"]
`;
}

/** What the hostile page tries; it reports each outcome in `window.results`. */
function hostilePage(target: string): string {
  const ws = target.replace("http", "ws");
  return `<!doctype html><html><body>
<form id="f" method="POST" action="${target}/api/v1/projects" enctype="text/plain" target="sink">
  <input name="apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${EVIL}}
spec: {containers: [{name: x, image: berth-test/busybox:1}]}
#" value="">
</form>
<iframe name="sink"></iframe>
<script>
window.results = {};
const body = ${JSON.stringify(spec(EVIL))};
async function attempt(name, fn) {
  try { window.results[name] = await fn(); } catch (e) { window.results[name] = "error: " + e.message; }
}
(async () => {
  await attempt("noCorsPost", async () => {
    const r = await fetch("${target}/api/v1/projects", { method: "POST", mode: "no-cors", credentials: "include",
      headers: { "content-type": "text/plain" }, body });
    return "sent (opaque " + r.type + ")";
  });
  await attempt("corsRead", async () => {
    const r = await fetch("${target}/api/v1/projects", { credentials: "include" });
    return "read " + r.status + " " + (await r.text()).slice(0, 100);
  });
  await attempt("corsDelete", async () => {
    const r = await fetch("${target}/api/v1/projects/default/${VICTIM}", { method: "DELETE", credentials: "include" });
    return "deleted " + r.status;
  });
  await attempt("webSocket", () => new Promise((resolve) => {
    const s = new WebSocket("${ws}/api/v1/projects/default/${VICTIM}/logs/stream?tail=5");
    s.onmessage = (m) => resolve("message: " + String(m.data).slice(0, 100));
    s.onerror = () => resolve("refused");
    s.onclose = () => resolve("refused");
    setTimeout(() => resolve("timeout"), 5000);
  }));
  document.getElementById("f").submit();
  await new Promise((r) => setTimeout(r, 1000));
  window.done = true;
})();
</script></body></html>`;
}

describe("a hostile page in a logged-in browser", () => {
  let d: Daemon;
  let browser: Browser;
  let context: BrowserContext;
  let evil: Server;
  let evilPort = 0;

  beforeAll(async () => {
    ensureDashboardBuild();
    browser = await launchBrowser();
    d = await startDaemon({ portRange: "29750-29769" });
    writeFileSync(join(d.dir, `${VICTIM}.yaml`), spec(VICTIM));
    await eventually(async () => {
      const r = await api(d, `/api/v1/projects/default/${VICTIM}`);
      return r.ok && ((await r.json()) as { status: { phase?: string } }).status.phase === "Running";
    }, 60_000);
    evil = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(hostilePage(d.url));
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
    const addr = evil.address();
    evilPort = typeof addr === "object" && addr ? addr.port : 0;
    context = await browser.newContext();
    const login = await context.newPage();
    await login.goto(d.loginUrl ?? "");
    expect(login.url()).toBe(`${d.url}/`);
    await login.close();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => evil?.close(r));
    await d?.stop();
    await removeProjects([`default.${VICTIM}`, `default.${EVIL}`]);
    if (d) cleanupDirs(d.dir, d.stateDir);
  });

  // localhost:P is another site than 127.0.0.1; 127.0.0.1:P is the same site on another port
  for (const origin of ["localhost", "127.0.0.1"]) {
    it(`from http://${origin}:<port> can neither write, read, nor open the log WebSocket`, async () => {
      const files = readdirSync(d.dir).sort();
      const page = await context.newPage();
      await page.goto(`http://${origin}:${evilPort}/`);
      await page.waitForFunction("window.done === true", undefined, { timeout: 30_000 });
      const results = (await page.evaluate("window.results")) as Record<string, string>;
      await page.close();
      expect(results["corsRead"], JSON.stringify(results)).toMatch(/^error: /);
      expect(results["corsDelete"], JSON.stringify(results)).toMatch(/^error: /);
      expect(results["webSocket"], JSON.stringify(results)).toBe("refused");
      expect(JSON.stringify(results)).not.toContain("secret-log-line");
      // nothing changed on the daemon
      await new Promise((r) => setTimeout(r, 500));
      expect(readdirSync(d.dir).sort()).toEqual(files);
      expect((await api(d, `/api/v1/projects/default/${EVIL}`)).status).toBe(404);
      const victim = (await (await api(d, `/api/v1/projects/default/${VICTIM}`)).json()) as {
        status: { phase?: string };
      };
      expect(victim.status.phase).toBe("Running");
    });
  }

  it("leaves the dashboard working in the same browser", async () => {
    const page = await context.newPage();
    await page.goto(`${d.url}/#/p/default/${VICTIM}`);
    await page.waitForSelector(".log-line.stdout", { timeout: 30_000 });
    expect(await page.textContent(".log-line.stdout .log-text")).toContain("secret-log-line");
    await page.close();
  });
});
