/**
 * bench/gate: the performance gate CI runs after the tests (`npm run bench:gate`, .ci/run). It
 * measures five figures against baselines taken in the same run, with the other benchmarks' own
 * measuring functions in a short form, prints each with its threshold (bench/gate-thresholds.ts),
 * and exits 1 when one fails (bench/gate-decide.ts: a ratio over its threshold is re-measured once;
 * a non-zero Docker call count or a benchmark error fails at once). About 2-3 minutes on 2 cores.
 * Needs Docker and the test image (bash scripts/test-env.sh up).
 *
 *   BENCH_GATE=converge,mcp,validate,noop,query   choose checks (default all)
 */
import { measureNoop, measureSingle } from "./converge.js";
import { measureReadsVsEcho } from "./mcp.js";
import { measureQuery } from "./streams.js";
import { measureValidate } from "./validate.js";
import { formatResult, runGate, type GateCheck } from "./gate-decide.js";
import { GATE_THRESHOLDS as T } from "./gate-thresholds.js";
import { ms, summarize } from "./stats.js";

const SINGLE_REPS = 5;
const MCP_CLIENTS = 20;
const MCP_SECONDS = 8;
const VALIDATE_RUNS = 9;
const NOOP_PROJECTS = 200;
const QUERY_RUNS = 300;

const ratio = (num: number, den: number) => (den > 0 ? num / den : NaN);

/** Every check of the gate, in the order they run. */
export function gateChecks(): GateCheck[] {
  return [
    {
      name: "converge/single p50 vs bare dockerode",
      kind: "ratio",
      threshold: T.convergeSingle.max,
      justification: T.convergeSingle.figure,
      measure: async () => {
        const { bare, ours } = await measureSingle(SINGLE_REPS);
        const b = summarize(bare).median;
        const o = summarize(ours).median;
        return { value: ratio(o, b), detail: `berth ${ms(o)} / bare ${ms(b)} (p50 of ${SINGLE_REPS})` };
      },
    },
    {
      name: "mcp get_project p99 vs echo floor",
      kind: "ratio",
      threshold: T.mcpReadP99.max,
      justification: T.mcpReadP99.figure,
      measure: async () => {
        const r = await measureReadsVsEcho({ clients: MCP_CLIENTS, seconds: MCP_SECONDS });
        const g = summarize(r.get_project);
        const e = summarize(r.echo);
        return {
          value: ratio(g.p99, e.p99),
          detail: `get_project p99 ${ms(g.p99)} (n=${g.n}) / echo p99 ${ms(e.p99)} (n=${e.n}), ${MCP_CLIENTS} clients`,
        };
      },
    },
    {
      name: "validate 1000 specs vs bare parse",
      kind: "ratio",
      threshold: T.validate.max,
      justification: T.validate.figure,
      measure: async () => {
        const r = await measureValidate(VALIDATE_RUNS);
        const v = summarize(r.validate).median;
        const b = summarize(r.bare).median;
        return {
          value: ratio(v, b),
          detail: `validate ${ms(v)} / bare yaml ${ms(b)} (p50 of ${VALIDATE_RUNS})`,
        };
      },
    },
    {
      name: `no-op resync of ${NOOP_PROJECTS} projects: Docker calls`,
      kind: "zero",
      threshold: T.noopDockerCalls.max,
      justification: T.noopDockerCalls.figure,
      measure: async () => {
        const r = await measureNoop(NOOP_PROJECTS);
        return { value: r.calls, detail: `7 resyncs, p50 ${ms(summarize(r.samples).median)} each` };
      },
    },
    {
      name: "log query p99 over HTTP vs Docker logs API",
      kind: "ratio",
      threshold: T.logQuery.max,
      justification: T.logQuery.figure,
      measure: async () => {
        const r = await measureQuery(QUERY_RUNS);
        const h = summarize(r.http);
        const d = summarize(r.docker);
        return {
          value: ratio(h.p99, d.p99),
          detail: `berth HTTP p99 ${ms(h.p99)} / docker p99 ${ms(d.p99)}`,
        };
      },
    },
  ];
}

const KEYS = ["converge", "mcp", "validate", "noop", "query"];

export async function run(): Promise<void> {
  const wanted = new Set((process.env["BENCH_GATE"] ?? KEYS.join(",")).split(","));
  const checks = gateChecks().filter((_, i) => wanted.has(KEYS[i] ?? ""));
  const started = performance.now();
  console.log(`bench/gate: ${checks.length} checks, thresholds in bench/gate-thresholds.ts`);
  const gate = await runGate(checks, (r) => {
    console.log(`  ${formatResult(r)}`);
    const c = checks.find((x) => x.name === r.name);
    if (c && !r.passed) console.log(`       threshold from: ${c.justification}`);
  });
  const secs = ((performance.now() - started) / 1000).toFixed(0);
  const failed = gate.results.filter((r) => !r.passed).length;
  console.log(
    `bench/gate: ${failed === 0 ? "passed" : `FAILED (${failed} of ${gate.results.length})`} in ${secs} s`,
  );
  if (failed > 0) process.exitCode = 1;
}
