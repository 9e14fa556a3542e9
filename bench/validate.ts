/**
 * bench/validate: parse + validate 1000 spec files, against a bare `yaml` parse of the same
 * texts measured in the same run. Goal: 1000 files in under 100 ms.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CORE_SCHEMA, loadAll } from "js-yaml";
import { parseAllDocuments } from "yaml";
import { loadSpecFiles, parseProjects } from "../src/api/index.js";
import { ms, summarize, timeRuns } from "./stats.js";

const FILES = 1000;
const RUNS = 15;

function corpus(): string[] {
  const dir = new URL("../examples/", import.meta.url);
  const seeds = ["web.yaml", "guestbook.yaml", "health.yaml"].map((f) =>
    readFileSync(new URL(f, dir), "utf8"),
  );
  return Array.from({ length: FILES }, (_, i) => {
    const seed = seeds[i % seeds.length] ?? "";
    return seed.replace(/^ {2}name: (\S+)$/m, (_m, n: string) => `  name: ${n}-${i}`);
  });
}

/**
 * Parse + validate of the 1000-file corpus against a bare `yaml` parse of the same texts, `runs`
 * times each after 3 warm-ups: milliseconds per run. Pure CPU, no files. Used by bench/gate.
 */
export async function measureValidate(runs = RUNS): Promise<{ bare: number[]; validate: number[] }> {
  const texts = corpus();
  const bare = await timeRuns(runs, 3, () => {
    for (const t of texts) for (const d of parseAllDocuments(t)) d.toJS();
  });
  const validate = await timeRuns(runs, 3, () => {
    for (const [i, t] of texts.entries()) parseProjects(t, `p${i}.yaml`);
  });
  return { bare, validate };
}

export async function run(): Promise<void> {
  const texts = corpus();
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-validate-"));
  try {
    const files = texts.map((t, i) => {
      const path = join(dir, `p${i}.yaml`);
      writeFileSync(path, t);
      return path;
    });
    const check = loadSpecFiles(files);
    if (check.errors.length > 0 || check.projects.length !== FILES) {
      throw new Error(
        `corpus is not valid: ${check.errors.length} errors, ${check.projects.length} projects`,
      );
    }
    const bare = summarize(
      await timeRuns(RUNS, 3, () => {
        for (const t of texts) for (const d of parseAllDocuments(t)) d.toJS();
      }),
    );
    const bareFast = summarize(
      await timeRuns(RUNS, 3, () => {
        for (const t of texts) loadAll(t, undefined, { schema: CORE_SCHEMA });
      }),
    );
    const validate = summarize(
      await timeRuns(RUNS, 3, () => {
        for (const [i, t] of texts.entries()) parseProjects(t, `p${i}.yaml`);
      }),
    );
    const withIo = summarize(await timeRuns(RUNS, 1, () => loadSpecFiles(files)));
    console.log(`bench/validate: ${FILES} spec files, ${RUNS} runs each (median / p95)`);
    console.log(`  bare yaml parse          ${ms(bare.median)} / ${ms(bare.p95)}`);
    console.log(
      `  bare js-yaml parse       ${ms(bareFast.median)} / ${ms(bareFast.p95)}   (the parser valid files take)`,
    );
    console.log(
      `  parse + validate         ${ms(validate.median)} / ${ms(validate.p95)}   ratio ${(validate.median / bare.median).toFixed(2)}x bare yaml, ${(validate.median / bareFast.median).toFixed(2)}x bare js-yaml`,
    );
    console.log(
      `  read + parse + validate  ${ms(withIo.median)} / ${ms(withIo.p95)}   (from disk, incl. duplicate check)`,
    );
    console.log(
      `  goal: ${FILES} files < 100 ms: ${validate.median < 100 ? "met" : "NOT met"} (${ms(validate.median)})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
