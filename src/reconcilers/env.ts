/**
 * A container's environment from env files (`envFrom`) and secrets (`env[].valueFrom`). Files are
 * resolved like volume `hostPath`s (real path, inside the allowed roots). The values are held in
 * {@link HiddenEnv}, which prints as a count in logs, JSON and `util.inspect`: only the create
 * call to Docker reads them. The spec hash gets {@link ResolvedEnv.digest}, never a value, so
 * editing a file or a secret replaces the containers that use it.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { inspect } from "node:util";
import { DotenvSyntaxError, parseDotenv } from "./dotenv.js";
import { PathPolicyError, type PathResolver } from "./mounts.js";
import type { ContainerSpec, SecretKeyRef } from "../api/index.js";

/** Largest env or secret file read. */
export const MAX_ENV_FILE_BYTES = 1024 * 1024;

/** Reads a key of a Kubernetes Secret (kube mode); undefined when the Secret or key does not exist. */
export interface SecretReader {
  read(namespace: string, ref: SecretKeyRef, signal?: AbortSignal): Promise<string | undefined>;
}

/** Where secrets and env files come from, parsed once at start-up. */
export interface EnvSources {
  /** A variable of the operator's own environment (`valueFrom.secret.env`). */
  secretEnv: (name: string) => string | undefined;
  /** Kubernetes Secrets (`valueFrom.secretKeyRef`); absent outside kube mode. */
  secrets?: SecretReader | undefined;
}

/**
 * `NAME=value` entries whose values must not leave the container's environment. Serialises as a
 * count (JSON, util.inspect, template strings), so that a plan, a log field or an error that
 * carries it shows no value.
 */
export class HiddenEnv {
  readonly #entries: readonly string[];

  constructor(entries: readonly string[]) {
    this.#entries = entries;
  }

  /** The entries, for Docker's create body only. */
  reveal(): readonly string[] {
    return this.#entries;
  }

  get size(): number {
    return this.#entries.length;
  }

  toJSON(): string {
    return this.toString();
  }

  toString(): string {
    return `<${this.#entries.length} environment variables, values hidden>`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** A container's resolved environment: the entries (hidden) and a digest of them for the hash. */
export interface ResolvedEnv {
  values: HiddenEnv;
  /** sha256 of the entries; stable across restarts, changes when a file or secret does. */
  digest: string;
  /** The real paths of the env and secret files read (to watch them for edits). */
  files: readonly string[];
}

/** True when the container's environment needs resolving (env files or secrets). */
export function needsEnvResolution(spec: ContainerSpec): boolean {
  return (spec.envFrom?.length ?? 0) > 0 || (spec.env ?? []).some((e) => e.valueFrom !== undefined);
}

/**
 * Resolves the environment of one container: env files in order (a later one wins), then `env`
 * (which wins over files). Returns undefined when the spec has neither env files nor secrets (its
 * environment is the spec's own values). Throws PathPolicyError (reason `PathMissing`,
 * `PathNotAllowed` or `SecretUnavailable`) naming the field, never a value.
 */
export async function resolveEnv(
  spec: ContainerSpec,
  index: number,
  d: { namespace: string; specDir: string | undefined },
  paths: Pick<PathResolver, "resolve">,
  sources: EnvSources,
  signal?: AbortSignal,
): Promise<ResolvedEnv | undefined> {
  if (!needsEnvResolution(spec)) return undefined;
  const at = `spec.containers[${index}]`;
  const values = new Map<string, string>();
  const files: string[] = [];
  for (const [i, from] of (spec.envFrom ?? []).entries()) {
    const field = `${at}.envFrom[${i}].file`;
    const text = await readChecked(paths, { field, path: from.file, baseDir: d.specDir }, files);
    try {
      for (const [k, v] of parseDotenv(text)) values.set(k, v);
    } catch (err) {
      if (!(err instanceof DotenvSyntaxError)) throw err;
      throw unavailable(
        field,
        from.file,
        `${JSON.stringify(from.file)} is not a valid env file: ${err.message}`,
      );
    }
  }
  for (const [i, e] of (spec.env ?? []).entries()) {
    const field = `${at}.env[${i}].valueFrom`;
    const from = e.valueFrom;
    if (!from) values.set(e.name, e.value ?? "");
    else if (from.secret?.file !== undefined) {
      const text = await readChecked(
        paths,
        { field: `${field}.secret.file`, path: from.secret.file, baseDir: d.specDir },
        files,
      );
      values.set(e.name, text.replace(/\r?\n$/, ""));
    } else if (from.secret?.env !== undefined) {
      const value = sources.secretEnv(from.secret.env);
      if (value === undefined) {
        throw unavailable(
          `${field}.secret.env`,
          from.secret.env,
          `${from.secret.env} is not set in the operator's environment; set it where berth run starts, then restart it`,
        );
      }
      values.set(e.name, value);
    } else if (from.secretKeyRef) {
      values.set(
        e.name,
        await kubeSecret(from.secretKeyRef, `${field}.secretKeyRef`, d.namespace, sources, signal),
      );
    }
  }
  const entries = [...values].map(([k, v]) => `${k}=${v}`);
  const digest = createHash("sha256").update(JSON.stringify(entries)).digest("hex");
  return { values: new HiddenEnv(entries), digest, files };
}

async function kubeSecret(
  ref: SecretKeyRef,
  field: string,
  namespace: string,
  sources: EnvSources,
  signal: AbortSignal | undefined,
): Promise<string> {
  const where = `key ${JSON.stringify(ref.key)} of Secret ${namespace}/${ref.name}`;
  if (!sources.secrets) {
    throw unavailable(
      field,
      ref.name,
      `secretKeyRef needs kube mode (berth run --kube); use valueFrom.secret.file or .env`,
    );
  }
  let value: string | undefined;
  try {
    value = await sources.secrets.read(namespace, ref, signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    // the apiserver's answer names the Secret (403: the chart's rbac.readSecrets), never its data
    const why = err instanceof Error ? err.message : String(err);
    throw unavailable(
      field,
      ref.name,
      `${where} cannot be read (${why}); grant get on secrets (Helm: rbac.readSecrets=true)`,
    );
  }
  if (value === undefined) {
    throw unavailable(field, ref.name, `${where} does not exist; create it, or correct the reference`);
  }
  return value;
}

/** Reads a file the policy allows; its content never goes into an error. */
async function readChecked(
  paths: Pick<PathResolver, "resolve">,
  ref: { field: string; path: string; baseDir: string | undefined },
  read: string[],
): Promise<string> {
  const real = await paths.resolve(ref);
  read.push(real);
  try {
    const buf = await readFile(real);
    if (buf.length > MAX_ENV_FILE_BYTES) {
      throw unavailable(ref.field, ref.path, `${real} is larger than ${MAX_ENV_FILE_BYTES} bytes`);
    }
    return buf.toString("utf8");
  } catch (err) {
    if (err instanceof PathPolicyError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw unavailable(ref.field, ref.path, `${real} cannot be read (${code}); it must be a readable file`);
  }
}

function unavailable(field: string, path: string, what: string): PathPolicyError {
  return new PathPolicyError(
    { reason: "SecretUnavailable", field, path, target: undefined },
    `${field}: ${what}`,
  );
}
