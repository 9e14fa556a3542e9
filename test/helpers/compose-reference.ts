import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ComposeProject } from "../../src/compose/index.js";
import { parseDurationMs } from "../../src/compose/units.js";

type Json = Record<string, unknown>;

/** The corpus of compose projects, one directory each, with an optional case.json. */
export const CORPUS_DIR = fileURLToPath(new URL("../fixtures/compose/", import.meta.url));

export interface CorpusCase {
  name: string;
  dir: string;
  files: string[];
  env: Record<string, string>;
  profiles?: string[];
  /** A text Docker Compose's and Berth's error both contain, when the case must fail. */
  error?: string;
}

/** Every case of the corpus, sorted. */
export function corpusCases(): CorpusCase[] {
  return readdirSync(CORPUS_DIR)
    .sort()
    .map((name) => {
      const dir = join(CORPUS_DIR, name);
      const spec = existsSync(join(dir, "case.json"))
        ? (JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) as Partial<CorpusCase>)
        : {};
      return {
        name,
        dir,
        files: (spec.files ?? ["compose.yaml"]).map((f) => join(dir, f)),
        env: spec.env ?? {},
        ...(spec.profiles ? { profiles: spec.profiles } : {}),
        ...(spec.error ? { error: spec.error } : {}),
      };
    });
}

/** The Docker Compose binary scripts/compose-build.sh builds (and caches); its path. */
export function composeBinary(): string {
  const script = fileURLToPath(new URL("../../scripts/compose-build.sh", import.meta.url));
  return execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

/** The environment a case runs with: a minimal one plus the case's variables. */
export function caseEnv(c: CorpusCase): Record<string, string> {
  return { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/home/compose-test", ...c.env };
}

/** `docker compose config --format json` of a case: the parsed output, or the error text. */
export function composeConfig(bin: string, c: CorpusCase): { config?: Json; error?: string } {
  const args = [
    ...c.files.flatMap((f) => ["-f", f]),
    ...(c.profiles ?? []).flatMap((p) => ["--profile", p]),
    "config",
    "--format",
    "json",
  ];
  try {
    const out = execFileSync(bin, args, {
      cwd: c.dir,
      env: caseEnv(c),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { config: JSON.parse(out) as Json };
  } catch (e) {
    return { error: String((e as { stderr?: string }).stderr ?? e) };
  }
}

/** The keys Berth maps, projected out of Docker Compose's output, per service. */
export function projectCompose(config: Json): Record<string, Json> {
  const services = (config["services"] ?? {}) as Record<string, Json>;
  return Object.fromEntries(
    Object.entries(unescapeDollars(services) as Record<string, Json>).map(([n, s]) => [n, projectService(s)]),
  );
}

/** The same projection of Berth's loaded project. */
export function projectBerth(p: ComposeProject): Record<string, Json> {
  return Object.fromEntries(
    p.services.map((s) => [
      s.name,
      projectService({
        ...s.config,
        environment: { ...s.envFileValues, ...((s.config["environment"] as Json | undefined) ?? {}) },
      }),
    ]),
  );
}

function unescapeDollars(v: unknown): unknown {
  if (typeof v === "string") return v.replace(/\$\$/g, "$");
  if (Array.isArray(v)) return v.map(unescapeDollars);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unescapeDollars(x)]));
  return v;
}

function projectService(s: Json): Json {
  const out: Json = {};
  const put = (k: string, v: unknown) => {
    if (v !== undefined && v !== null && !(typeof v === "object" && Object.keys(v).length === 0)) out[k] = v;
  };
  put("image", s["image"]);
  const build = s["build"] as Json | undefined;
  if (build)
    put("build", {
      context: build["context"],
      dockerfile: build["dockerfile"],
      args: build["args"],
      target: build["target"],
    });
  put("command", s["command"]);
  put("entrypoint", s["entrypoint"]);
  put("environment", s["environment"]);
  put(
    "ports",
    ((s["ports"] ?? []) as Json[]).map((p) => ({
      target: Number(p["target"]),
      published: p["published"] ?? null,
      protocol: p["protocol"] ?? "tcp",
      host_ip: p["host_ip"] ?? null,
    })),
  );
  put("expose", ((s["expose"] ?? []) as unknown[]).map(String));
  put(
    "volumes",
    ((s["volumes"] ?? []) as Json[]).map((v) => ({
      type: v["type"],
      source: v["source"] ?? null,
      target: v["target"],
      read_only: v["read_only"] === true,
    })),
  );
  put(
    "depends_on",
    Object.fromEntries(
      Object.entries((s["depends_on"] ?? {}) as Record<string, Json>).map(([n, d]) => [
        n,
        { condition: d["condition"], required: d["required"] },
      ]),
    ),
  );
  const h = s["healthcheck"] as Json | undefined;
  if (h) {
    const test = h["disable"] === true ? ["NONE"] : h["test"];
    put("healthcheck", {
      test,
      interval: ms(h["interval"]),
      timeout: ms(h["timeout"]),
      retries: h["retries"],
      start_period: ms(h["start_period"]),
    });
  }
  put("restart", s["restart"]);
  put("mem_limit", s["mem_limit"] === undefined ? undefined : Number(s["mem_limit"]));
  put("cpus", s["cpus"] === undefined ? undefined : Number(s["cpus"]));
  const limits = ((s["deploy"] as Json | undefined)?.["resources"] as Json | undefined)?.["limits"] as
    Json | undefined;
  if (limits)
    put("limits", {
      memory: limits["memory"] === undefined ? undefined : Number(limits["memory"]),
      cpus: limits["cpus"] === undefined ? undefined : Number(limits["cpus"]),
    });
  put("working_dir", s["working_dir"]);
  put("user", s["user"]);
  const watch = (s["develop"] as Json | undefined)?.["watch"] as Json[] | undefined;
  if (watch)
    put(
      "develop",
      watch.map((r) => ({
        path: r["path"],
        action: r["action"],
        target: r["target"],
        ignore: r["ignore"],
        include: r["include"],
        initial_sync: r["initial_sync"],
        exec: (r["exec"] as Json | undefined)?.["command"] ?? undefined,
        environment: (r["exec"] as Json | undefined)?.["environment"],
      })),
    );
  return JSON.parse(JSON.stringify(out)) as Json;
}

function ms(v: unknown): number | undefined {
  return v === undefined ? undefined : parseDurationMs(v);
}
