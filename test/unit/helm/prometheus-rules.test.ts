import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { dashboardPanels, dashboardQueries } from "../../helpers/dashboard-queries.js";

/*
 * The alert rules and the dashboard, checked offline: the plain rules file and the chart's are one,
 * promtool accepts the rules and passes their unit tests (test/prometheus/berth-rules.test.yaml,
 * with the real `for:` durations), every alert has a test that fires it and a README runbook, and
 * every dashboard query parses as PromQL. test/integration/operator/prometheus.test.ts runs them
 * against a real Prometheus scraping a real daemon. promtool comes from Debian's prometheus
 * package (bash scripts/prometheus.sh installs it).
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const RULES = "helm/berth/rules/berth-rules.yaml";
const TESTS = "test/prometheus/berth-rules.test.yaml";

interface RuleFile {
  groups: { name: string; rules: { alert?: string; annotations?: Record<string, string> }[] }[];
}
interface RuleTests {
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

function promtool(args: string[]): { code: number; out: string } {
  const r = spawnSync("promtool", args, { cwd: ROOT, encoding: "utf8" });
  if (r.error) throw new Error(`promtool is not installed (${r.error.message}); run: bash scripts/prometheus.sh`);
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

const alerts = (parse(read(RULES)) as RuleFile).groups.flatMap((g) => g.rules);

describe("alert rules", () => {
  it("ship the same file in the chart and for plain Prometheus", () => {
    expect(read("deploy/prometheus/berth-rules.yaml"), `run: cp ${RULES} deploy/prometheus/`).toBe(read(RULES));
  });

  it("pass promtool check rules", () => {
    const r = promtool(["check", "rules", RULES]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  it("pass their promtool unit tests", () => {
    const r = promtool(["test", "rules", TESTS]);
    expect(r.code, r.out).toBe(0);
  });

  it("each have a unit test that fires them and one time where they do not", () => {
    const cases = (parse(read(TESTS)) as RuleTests).tests.flatMap((t) => t.alert_rule_test ?? []);
    expect(alerts.length).toBe(9);
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      expect(mine.some((c) => c.exp_alerts.length > 0), `${a.alert} is never shown firing`).toBe(true);
      expect(mine.some((c) => c.exp_alerts.length === 0), `${a.alert} is never shown quiet`).toBe(true);
    }
  });

  it("each point their runbook at a README section that exists", () => {
    const anchors = new Set(
      read("README.md")
        .split("\n")
        .filter((l) => /^#{2,4} /.test(l))
        .map((l) =>
          l
            .replace(/^#+ /, "")
            .toLowerCase()
            .replace(/[^\w\- ]/g, "")
            .replace(/ /g, "-"),
        ),
    );
    for (const a of alerts) {
      const url = a.annotations?.["runbook_url"] ?? "";
      expect(url, `${a.alert}'s runbook_url`).toMatch(/^README\.md#/);
      expect(anchors.has(url.replace("README.md#", "")), `README has no section for ${url}`).toBe(true);
      expect(a.annotations?.["summary"]).toMatch(/\S/);
    }
  });
});

describe("dashboard", () => {
  it("has a panel, with queries, for each area an operator watches", () => {
    const titles = dashboardPanels().map((p) => p.title.toLowerCase());
    for (const area of [
      "projects by phase",
      "reconcile",
      "reconcile errors",
      "reconcile latency",
      "work queue depth",
      "work queue wait",
      "convergence",
      "docker api latency",
      "mcp tool latency",
      "mcp tool errors",
      "cache hit ratio",
      "stream throughput",
      "stream drops",
      "dependencies",
      "cpu",
      "rss",
      "event-loop lag",
    ])
      expect(titles.some((t) => t.includes(area)), `no panel for ${area}`).toBe(true);
    for (const p of dashboardPanels()) expect(p.targets, `${p.title} has no query`).toBeGreaterThan(0);
  });

  it("has only queries that parse as PromQL (promtool, as recording rules)", () => {
    const queries = dashboardQueries();
    const dir = mkdtempSync(join(tmpdir(), "berth-dashboard-"));
    try {
      const file = join(dir, "queries.yaml");
      const rules = queries.map((q, i) => ({ record: `berth:dashboard_query:${i}`, expr: q.expr }));
      writeFileSync(file, stringify({ groups: [{ name: "dashboard", rules }] }));
      const r = promtool(["check", "rules", file]);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

