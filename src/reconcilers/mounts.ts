/**
 * Where a spec's host paths really lead. Every path a container spec refers to (volume
 * `hostPath`s, `build.context`) is resolved with realpath, following every symbolic link, and the
 * real path is checked against the allowed roots, which are compared by their own real paths. What
 * passes is the real path, and that is what Docker gets: a link re-pointed after the check cannot
 * redirect a mount.
 */
import { lstat, readlink, realpath } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { ContainerSpec } from "../api/index.js";

/** Where host paths may come from, parsed once from the operator's options. */
export interface MountPolicy {
  /**
   * Directories a spec path must lead into: the watched directory and each `--allow-host-path`.
   * Empty: any existing path.
   */
  allowedRoots: readonly string[];
}

/** Why a path was refused; also the reason of the `SpecValid=False` condition. */
export type PathRefusal = "PathNotAllowed" | "PathMissing" | "SecretUnavailable";

/**
 * A spec path that leads outside the allowed roots or does not exist. Retrying cannot help until
 * the user changes the spec or the file system; the message says which and how.
 */
export class PathPolicyError extends Error {
  override readonly name = "PathPolicyError";
  readonly reason: PathRefusal;
  /** The field, e.g. `spec.containers[0].volumes[1].hostPath`. */
  readonly field: string;
  /** The path as the spec writes it. */
  readonly path: string;
  /** Its real path; undefined when it does not exist or cannot be resolved. */
  readonly target: string | undefined;

  constructor(
    what: { reason: PathRefusal; field: string; path: string; target: string | undefined },
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.reason = what.reason;
    this.field = what.field;
    this.path = what.path;
    this.target = what.target;
  }
}

/** The real paths of one container spec, in the order the spec lists them. */
export interface ContainerPaths {
  /** The real path of each of `spec.volumes`, in order; "" for a named volume. */
  hostPaths: string[];
  /** The real path of `spec.build.context`; undefined without `build`. */
  buildContext: string | undefined;
}

/** One path of a spec: the field it is written in, the text, and what a relative one is relative to. */
export interface PathRef {
  field: string;
  path: string;
  /** What a relative path resolves against (the spec's directory); none: relative paths are refused. */
  baseDir: string | undefined;
}

const FIX = "use a path inside the watched directory, or start berth with --allow-host-path DIR";

/**
 * Resolves spec paths against one {@link MountPolicy}. Asynchronous throughout (fs.promises; nothing
 * blocks the event loop). Each allowed root is realpath'd once and remembered; a root that does not
 * exist yet holds nothing and is looked up again next time. Called by the project reconciler before
 * it builds or creates a container, and by the dry-run plan for the real paths the hash covers.
 */
export class PathResolver {
  private readonly realRoots = new Map<string, Promise<string | undefined>>();

  constructor(private readonly policy: MountPolicy) {}

  /**
   * The real paths of a container spec's volumes and build context (`index` is its place in
   * `spec.containers`, for field names). Throws PathPolicyError for the first refused path in spec
   * order; other errors are not expected.
   */
  async container(spec: ContainerSpec, index: number, specDir: string | undefined): Promise<ContainerPaths> {
    const at = `spec.containers[${index}]`;
    const refs: (PathRef | undefined)[] = (spec.volumes ?? []).map((v, i) =>
      v.hostPath === undefined
        ? undefined // a named volume: nothing on the host to resolve
        : { field: `${at}.volumes[${i}].hostPath`, path: v.hostPath, baseDir: specDir },
    );
    if (spec.build) refs.push({ field: `${at}.build.context`, path: spec.build.context, baseDir: specDir });
    const settled = await Promise.allSettled(refs.map((r) => (r ? this.resolve(r) : Promise.resolve(""))));
    const real: string[] = [];
    for (const s of settled) {
      if (s.status === "rejected") throw s.reason;
      real.push(s.value);
    }
    return {
      hostPaths: real.slice(0, spec.volumes?.length ?? 0),
      buildContext: spec.build ? real[real.length - 1] : undefined,
    };
  }

  /** The real path of one spec path, checked against the allowed roots. Throws PathPolicyError. */
  async resolve(ref: PathRef): Promise<string> {
    if (ref.baseDir === undefined && !isAbsolute(ref.path)) {
      throw new PathPolicyError(
        { reason: "PathNotAllowed", field: ref.field, path: ref.path, target: undefined },
        `${ref.field} ${JSON.stringify(ref.path)} is relative, and this project's spec has no directory to ` +
          "resolve it against (a Project custom resource): start berth with --build-root DIR, or use an absolute path",
      );
    }
    const abs = resolve(ref.baseDir ?? "/", ref.path);
    let real: string;
    try {
      real = await realpath(abs);
    } catch (err) {
      throw await unresolved(ref, abs, err);
    }
    const roots = await this.roots();
    if (this.policy.allowedRoots.length === 0 || roots.some((root) => contains(root, real))) return real;
    const how = real === abs ? `is ${real}` : `(${abs}) resolves through a symbolic link to ${real}`;
    throw new PathPolicyError(
      { reason: "PathNotAllowed", field: ref.field, path: ref.path, target: real },
      `${ref.field} ${JSON.stringify(ref.path)} ${how}, outside the allowed roots ` +
        `(${this.policy.allowedRoots.join(", ")}); ${FIX}`,
    );
  }

  private async roots(): Promise<string[]> {
    const real = await Promise.all(this.policy.allowedRoots.map((root) => this.realRoot(root)));
    return real.filter((r): r is string => r !== undefined);
  }

  private realRoot(root: string): Promise<string | undefined> {
    const known = this.realRoots.get(root);
    if (known) return known;
    const found = realpath(root).then(
      (r) => r,
      () => {
        this.realRoots.delete(root);
        return undefined;
      },
    );
    this.realRoots.set(root, found);
    return found;
  }
}

/** True when `path` is `root` or lies below it; both are real, absolute paths. */
function contains(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** The error for a path realpath could not resolve: missing, a dangling link, or unreadable. */
async function unresolved(ref: PathRef, abs: string, err: unknown): Promise<PathPolicyError> {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${ref.field} ${JSON.stringify(ref.path)} (${abs})`;
  const what = { field: ref.field, path: ref.path, target: undefined };
  if (code === "ENOENT" || code === "ENOTDIR") {
    const link = await danglingLink(abs);
    const missing =
      link === undefined ? "does not exist" : `is a symbolic link to ${link}, which does not exist`;
    return new PathPolicyError(
      { ...what, reason: "PathMissing" },
      `${where} ${missing}; create it, or correct the path`,
      { cause: err },
    );
  }
  return new PathPolicyError(
    { ...what, reason: "PathNotAllowed" },
    `${where} cannot be resolved (${code ?? (err as Error).message}), so Berth cannot check where it leads; ${FIX}`,
    { cause: err },
  );
}

/** What `abs` links to when it is itself a link whose target is missing; undefined otherwise. */
async function danglingLink(abs: string): Promise<string | undefined> {
  try {
    if (!(await lstat(abs)).isSymbolicLink()) return undefined;
    return await readlink(abs);
  } catch {
    return undefined;
  }
}

/**
 * The real paths of each container's volumes, by container name, for predicting spec hashes (the
 * dry-run plan). No policy check; a container with a path that cannot be resolved is left out.
 * Asynchronous, does not block.
 */
export async function realHostPaths(
  containers: readonly ContainerSpec[],
  specDir: string,
): Promise<Map<string, string[]>> {
  const resolver = new PathResolver({ allowedRoots: [] });
  const out = new Map<string, string[]>();
  await Promise.all(
    containers.map(async (spec, index) => {
      try {
        out.set(spec.name, (await resolver.container(spec, index, specDir)).hostPaths);
      } catch (err) {
        if (!(err instanceof PathPolicyError)) throw err;
      }
    }),
  );
  return out;
}
