/**
 * The compose loader: reads a project's files as Docker Compose v2 does (project name and
 * directory, `.env`, interpolation, schema validation, `include`, `extends`, several `-f` files
 * merged in order, profiles) into a {@link ComposeProject}. Synchronous file reads; throws
 * ComposeLoadError with file:line:col.
 */
import { existsSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { ComposeLoadError } from "./errors.js";
import type { Lookup } from "./interpolate.js";
import { mergeModels, TOP, type FileModel } from "./file-model.js";
import { resolveService } from "./resolve-service.js";
import { mergeService } from "./merge.js";
import { locateIn, type ComposeProject, type KeySource, type LoadedService } from "./model.js";
import { normalizeService, type Json, type PathContext } from "./normalize.js";
import { projectEnvironment, readDotenv } from "./project-env.js";
import { readComposeFile, type ReadComposeFile, type UnsetVariable } from "./read-file.js";

/** What to load, parsed once by the caller. */
export interface LoadComposeOptions {
  /** The compose files, first to last (`-f`); absolute or relative to the working directory. */
  files: readonly string[];
  /** Default: the first file's directory. */
  projectDirectory?: string | undefined;
  /** `-p`; default COMPOSE_PROJECT_NAME, then `name:`, then the directory's name. */
  projectName?: string | undefined;
  /** `--profile`; default COMPOSE_PROFILES. */
  profiles?: readonly string[] | undefined;
  /** The environment variables (the process environment, passed in). */
  env: Readonly<Record<string, string | undefined>>;
  /** `--env-file`; default `.env` in the project directory when it exists. */
  envFiles?: readonly string[] | undefined;
  /** How a path reads in messages; default as given. */
  display?: ((abs: string) => string) | undefined;
  /** Texts already read, by absolute path (the file watcher's read). */
  texts?: ReadonlyMap<string, string> | undefined;
  /**
   * Read nothing from disk: a file not in `texts` (an include, an extends file) is refused, and
   * `.env` and env files are not read (env files still map to envFrom). For texts from clients.
   */
  offline?: boolean | undefined;
}

class Loader {
  readonly read = new Set<string>();
  readonly unset: UnsetVariable[] = [];
  private readonly cache = new Map<string, ReadComposeFile>();

  constructor(
    private readonly opts: LoadComposeOptions,
    readonly lookup: Lookup,
    readonly home: string | undefined,
  ) {}

  display(p: string): string {
    return this.opts.display?.(p) ?? p;
  }

  file(path: string, lookup: Lookup = this.lookup): ReadComposeFile {
    const hit = this.cache.get(path);
    if (hit) return hit;
    if (this.opts.offline && !this.opts.texts?.has(path)) {
      const where = { file: this.display(path), line: 1, column: 1 };
      throw new ComposeLoadError(
        where,
        "",
        "this file is not readable here: only the compose text sent is read",
        {
          hint: "run `berth import compose` on the host, where the project's files are",
        },
      );
    }
    const f = readComposeFile(path, this.display(path), lookup, this.unset, this.opts.texts);
    this.cache.set(path, f);
    this.read.add(path);
    return f;
  }

  /** A file with its includes, extends and top-level entries. */
  model(path: string, baseDir: string, lookup: Lookup, stack: string[]): FileModel {
    if (stack.includes(path)) {
      throw new ComposeLoadError(
        { file: this.display(path), line: 1, column: 1 },
        "include",
        `include cycle: ${[...stack, path].map((p) => this.display(p)).join(" -> ")}`,
      );
    }
    const f = this.file(path, lookup);
    const model: FileModel = {
      services: new Map(),
      top: { volumes: new Map(), secrets: new Map(), configs: new Map(), networks: new Map() },
      otherKeys: new Map(),
      name: typeof f.data["name"] === "string" ? f.data["name"] : undefined,
    };
    const includes = (f.data["include"] ?? []) as unknown[];
    includes.forEach((entry, i) => this.include(f, entry, i, baseDir, lookup, [...stack, path], model));
    const services = (f.data["services"] ?? {}) as Record<string, Json | null>;
    for (const name of Object.keys(services)) {
      if (model.services.has(name)) {
        const where = f.file.locate(["services", name]);
        throw new ComposeLoadError(
          where,
          `services.${name}`,
          "conflicts with a service of an included file",
          { hint: "rename one of them" },
        );
      }
      model.services.set(name, this.service(f, name, { baseDir, home: this.home }, []));
    }
    for (const key of TOP) {
      for (const [name, value] of Object.entries((f.data[key] ?? {}) as Record<string, Json | null>)) {
        const config = { ...(value ?? {}) };
        if ((key === "secrets" || key === "configs") && typeof config["file"] === "string")
          config["file"] = resolve(baseDir, config["file"]);
        model.top[key].set(name, { config, source: { file: f.file, path: [key, name] } });
      }
    }
    for (const key of Object.keys(f.data)) {
      if (
        key !== "services" &&
        key !== "include" &&
        key !== "name" &&
        !(TOP as readonly string[]).includes(key)
      )
        model.otherKeys.set(key, { config: { value: f.data[key] }, source: { file: f.file, path: [key] } });
    }
    return model;
  }

  private include(
    f: ReadComposeFile,
    entry: unknown,
    i: number,
    baseDir: string,
    lookup: Lookup,
    stack: string[],
    into: FileModel,
  ): void {
    const spec = typeof entry === "string" ? { path: entry } : (entry as Json);
    const paths = (Array.isArray(spec["path"]) ? spec["path"] : [spec["path"]]).map((p) =>
      resolve(baseDir, String(p)),
    );
    const first = paths[0] ?? "";
    const dir =
      typeof spec["project_directory"] === "string"
        ? resolve(baseDir, spec["project_directory"])
        : dirname(first);
    const envFiles =
      spec["env_file"] === undefined
        ? [resolve(dir, ".env")]
        : (Array.isArray(spec["env_file"]) ? spec["env_file"] : [spec["env_file"]]).map((p) =>
            resolve(baseDir, String(p)),
          );
    const values = new Map<string, string>();
    for (const e of envFiles) {
      if (this.opts.offline || (spec["env_file"] === undefined && !this.exists(e))) continue;
      for (const [k, v] of readDotenv(e, this.display(e), lookup)) values.set(k, v);
    }
    const subLookup: Lookup = (n) => lookup(n) ?? values.get(n);
    const merged = paths.map((p) => this.model(p, dir, subLookup, stack)).reduce((a, b) => mergeModels(a, b));
    for (const [name, svc] of merged.services) {
      if (into.services.has(name))
        throw new ComposeLoadError(
          f.file.locate(["include", i]),
          `include[${i}]`,
          `service ${name} is defined by two included files`,
        );
      into.services.set(name, svc);
    }
    for (const key of TOP) for (const [n, e] of merged.top[key]) into.top[key].set(n, e);
  }

  private exists(p: string): boolean {
    return Boolean(this.opts.texts?.has(p)) || existsSync(p);
  }

  /** One service with its `extends` chain resolved. */
  service(f: ReadComposeFile, name: string, ctx: PathContext, chain: string[]): LoadedService {
    const id = `${f.file.path}#${name}`;
    const defined: KeySource = { file: f.file, path: ["services", name] };
    if (chain.includes(id))
      throw new ComposeLoadError(
        locateIn(defined),
        `services.${name}.extends`,
        `extends cycle: ${[...chain, id].join(" -> ")}`,
      );
    const raw = ((f.data["services"] as Record<string, Json | null> | undefined)?.[name] ?? undefined) as
      Json | null | undefined;
    if (raw === undefined)
      throw new ComposeLoadError(
        f.file.locate(["services"]),
        "services",
        `there is no service ${name} in ${f.file.display}`,
      );
    const own = { ...(raw ?? {}) };
    const ext = own["extends"];
    delete own["extends"];
    let config: Json;
    try {
      config = normalizeService(own, ctx);
    } catch (cause) {
      throw new ComposeLoadError(locateIn(defined), `services.${name}`, (cause as Error).message, { cause });
    }
    const sources = new Map<string, KeySource>(
      Object.keys(own).map((k) => [k, { file: f.file, path: ["services", name, k] }]),
    );
    if (ext === undefined) return { name, config, envFileValues: {}, sources, defined };
    const e = typeof ext === "string" ? { service: ext } : (ext as Json);
    const baseFile = typeof e["file"] === "string" ? resolve(dirname(f.file.path), e["file"]) : f.file.path;
    const bf = baseFile === f.file.path ? f : this.file(baseFile);
    const baseCtx = baseFile === f.file.path ? ctx : { baseDir: dirname(baseFile), home: this.home };
    const base = this.service(bf, String(e["service"]), baseCtx, [...chain, id]);
    return {
      name,
      config: mergeService(base.config, config),
      envFileValues: {},
      sources: new Map([...base.sources, ...sources]),
      defined,
    };
  }
}

/** Lower case, only `a-z0-9_-`, as Docker Compose normalises a project name. */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "")
    .replace(/^[^a-z0-9]+/, "");
}

/** Loads a compose project. Synchronous; throws ComposeLoadError. */
export function loadComposeProject(opts: LoadComposeOptions): ComposeProject {
  const files = opts.files.map((f) => resolve(f));
  const first = files[0];
  if (!first) throw new ComposeLoadError({ file: ".", line: 1, column: 1 }, "", "no compose file given");
  const workingDir = resolve(opts.projectDirectory ?? dirname(first));
  const display = opts.display ?? ((p: string) => p);
  const envFiles = (opts.offline ? [] : (opts.envFiles ?? [resolve(workingDir, ".env")])).map((p) => ({
    path: resolve(p),
    display: display(resolve(p)),
    required: opts.envFiles !== undefined,
  }));
  const { lookup } = projectEnvironment(opts.env, envFiles);
  const loader = new Loader(opts, lookup, opts.env["HOME"]);
  const model = files.map((f) => loader.model(f, workingDir, lookup, [])).reduce((a, b) => mergeModels(a, b));
  const rawName = opts.projectName ?? lookup("COMPOSE_PROJECT_NAME") ?? model.name ?? basename(workingDir);
  const name = normalizeProjectName(rawName);
  if (name === "")
    throw new ComposeLoadError(
      loader.file(first).file.locate(["name"]),
      "name",
      `"${rawName}" is not a valid project name`,
      { hint: "use lower-case letters, digits, dashes and underscores" },
    );
  const profiles = new Set(
    opts.profiles ??
      (lookup("COMPOSE_PROFILES") ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
  );
  const enabled: LoadedService[] = [];
  const disabled: string[] = [];
  for (const svc of model.services.values()) {
    const own = (svc.config["profiles"] ?? []) as string[];
    if (own.length === 0 || profiles.has("*") || own.some((p) => profiles.has(p))) enabled.push(svc);
    else disabled.push(svc.name);
  }
  for (const svc of enabled) resolveService(svc, enabled, lookup, display, opts.offline === true);
  return {
    name,
    workingDir,
    files,
    read: [...loader.read],
    services: enabled,
    disabled,
    volumes: model.top.volumes,
    secrets: model.top.secrets,
    configs: model.top.configs,
    networks: model.top.networks,
    otherKeys: model.otherKeys,
    unset: loader.unset,
  };
}
