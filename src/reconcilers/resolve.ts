/**
 * What the planner needs to know about each spec container before a reconcile plans: its host
 * ports, the real paths of its volumes and build context, its environment from env files and
 * secrets, and its image ID (which may pull or build an image). Not pure: it reads the file
 * system and may call Docker through the image resolver.
 */
import { TerminalError } from "../controller/errors.js";
import type { PortAllocationError, PortAssignment, PublishedPort } from "../ports/allocator.js";
import type { CallOptions } from "../runtime/docker.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { ImageResolver } from "./deps.js";
import { resolveEnv, type EnvSources } from "./env.js";
import { ImageUnavailableError } from "./images.js";
import { PathPolicyError, type PathResolver } from "./mounts.js";
import type { ResolvedContainer } from "./plan.js";
import { blockedReason } from "./reasons.js";
import { syncedPaths } from "./devloop/synced.js";
import type { ContainerSpec, DesiredProject } from "../api/index.js";

/** A problem of one spec container found while resolving; `index` is its place in the spec. */
export type ResolveProblem = { index: number } & (
  | { kind: "image"; message: string }
  | { kind: "path"; error: PathPolicyError }
  | { kind: "failure"; message: string }
);

/** The outcome of {@link resolveContainers}. */
export interface Resolution {
  /** By spec container name: what is known, or why it is blocked. */
  resolved: Map<string, ResolvedContainer>;
  /** In spec order. */
  problems: ResolveProblem[];
}

/**
 * Resolves the spec containers of a Running project one after the other in spec order: first
 * their paths (a refused path skips the image), then their image. A container with a port
 * conflict is not resolved. Image, path and terminal problems block their container and are
 * returned; any other error rejects. A Stopped project resolves nothing.
 */
export async function resolveContainers(
  d: DesiredProject,
  ports: { assignments: readonly PortAssignment[]; conflicts: readonly PortAllocationError[] },
  paths: Pick<PathResolver, "container" | "resolve">,
  images: Pick<ImageResolver, "resolve">,
  call: CallOptions,
  env: EnvSources = { secretEnv: () => undefined },
): Promise<Resolution> {
  const out: Resolution = { resolved: new Map(), problems: [] };
  if (d.project.spec.state !== "Running") return out;
  const conflicts = new Map<string, string>();
  for (const c of ports.conflicts)
    if (!conflicts.has(c.owner.container)) conflicts.set(c.owner.container, c.message);
  const assigned = new Map<string, PortAssignment[]>();
  for (const a of ports.assignments) {
    const list = assigned.get(a.container);
    if (list) list.push(a);
    else assigned.set(a.container, [a]);
  }
  for (const [index, spec] of d.project.spec.containers.entries()) {
    const mine = assigned.get(spec.name) ?? [];
    const unknown = { ports: mine, imageID: undefined, hostPaths: undefined };
    const conflict = conflicts.get(spec.name);
    if (conflict !== undefined) {
      out.resolved.set(spec.name, { ...unknown, blocked: blockedReason("port", conflict) });
      continue;
    }
    try {
      const real = await paths.container(spec, index, d.specDir);
      const where = { namespace: d.project.metadata.namespace, specDir: d.specDir };
      const resolvedEnv = await resolveEnv(spec, index, where, paths, env, call.signal);
      const synced = spec.build ? await syncedPaths(spec, d.specDir, paths) : [];
      const imageID = await images.resolve(spec, real.buildContext, { ...call, project: d.key, synced });
      out.resolved.set(spec.name, {
        ports: mine,
        imageID,
        hostPaths: real.hostPaths,
        ...(resolvedEnv ? { env: resolvedEnv } : {}),
      });
    } catch (err) {
      const problem = problemOf(index, err);
      out.problems.push(problem);
      const reason =
        problem.kind === "path"
          ? blockedReason("path", problem.error.message)
          : problem.kind === "image"
            ? blockedReason("image", problem.message)
            : problem.message;
      out.resolved.set(spec.name, { ...unknown, blocked: reason });
    }
  }
  return out;
}

function problemOf(index: number, err: unknown): ResolveProblem {
  if (err instanceof ImageUnavailableError) return { index, kind: "image", message: err.message };
  if (err instanceof PathPolicyError) return { index, kind: "path", error: err };
  if (err instanceof TerminalError) return { index, kind: "failure", message: err.message };
  throw err;
}

/** Host ports the project's containers publish now, named as the spec names them. Linear. */
export function publishedPorts(
  observed: readonly ObservedContainer[],
  specs: readonly ContainerSpec[],
): PublishedPort[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: PublishedPort[] = [];
  for (const c of observed) {
    const spec = c.containerName === undefined ? undefined : byName.get(c.containerName);
    if (!spec) continue;
    for (const b of c.portBindings) {
      const protocol = b.protocol.toUpperCase() === "UDP" ? "UDP" : "TCP";
      const port = spec.ports?.find((p) => p.containerPort === b.containerPort && p.protocol === protocol);
      if (port && b.hostPort > 0) {
        out.push({
          container: spec.name,
          portName: port.name ?? String(port.containerPort),
          protocol,
          hostPort: b.hostPort,
        });
      }
    }
  }
  return out;
}
