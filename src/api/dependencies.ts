import type { ContainerSpec } from "./types.js";
import { formatPath, nearest, type FieldPath, type RuleViolation } from "./paths.js";

/** Container names an unknown-name message lists before it says how many more there are. */
const NAMES_LISTED = 8;
/**
 * Distinct unknown names that get a "did you mean" guess; the others list the containers. Each
 * guess costs an edit distance against every container name, so this bounds a hostile document.
 */
const GUESSES = 32;

/** One usable `dependsOn` entry: container `from` needs container `to`, as entry `entry`. */
interface Edge {
  to: number;
  entry: number;
}

/**
 * The `dependsOn` rules: every entry names another container of the project, once; a `Healthy`
 * dependency has a health check; a `Completed` one is a job (restartPolicy Never or OnFailure);
 * and the dependencies form no cycle. Each cycle is reported once, at the entry of its first
 * container in spec order, with the path around it. Linear in containers plus entries; never
 * throws, whatever the shape of `dependsOn`.
 */
export function checkDependencies(containers: readonly ContainerSpec[], out: RuleViolation[]): void {
  const index = new Map<string, number>();
  containers.forEach((c, i) => {
    if (typeof c.name === "string" && !index.has(c.name)) index.set(c.name, i);
  });
  const unknown = unknownNames([...index.keys()]);
  const edges: Edge[][] = containers.map((_, i) => checkEntries(containers, i, index, unknown, out));
  for (const cycle of cycles(edges)) out.push(cycleViolation(containers, cycle));
}

/** Checks the entries of container `i` and returns those that point at another container. */
function checkEntries(
  containers: readonly ContainerSpec[],
  i: number,
  index: ReadonlyMap<string, number>,
  unknown: (name: string, self: string) => string,
  out: RuleViolation[],
): Edge[] {
  const c = containers[i];
  const deps: unknown = c?.dependsOn;
  if (!c || !Array.isArray(deps)) return [];
  const edges: Edge[] = [];
  const listed = new Map<string, number>();
  deps.forEach((dep: unknown, j) => {
    if (dep === null || typeof dep !== "object") return;
    const { name, condition } = dep as { name?: unknown; condition?: unknown };
    if (typeof name !== "string") return;
    const path: FieldPath = ["spec", "containers", i, "dependsOn", j];
    const prev = listed.get(name);
    if (prev !== undefined) {
      out.push({
        path: [...path, "name"],
        message: `dependency "${name}" is already listed at ${formatPath([...path.slice(0, -1), prev])}; remove one`,
      });
      return;
    }
    listed.set(name, j);
    const to = index.get(name);
    if (to === undefined) {
      out.push({ path: [...path, "name"], message: unknown(name, c.name) });
      return;
    }
    if (to === i) {
      out.push({
        path: [...path, "name"],
        message: `${c.name} depends on itself; remove this entry`,
      });
      return;
    }
    const problem = conditionProblem(containers[to], condition);
    if (problem) out.push({ path: [...path, "condition"], message: problem });
    edges.push({ to, entry: j });
  });
  return edges;
}

/** The message for a `dependsOn` name that is no container: the likely fix, or the containers. */
function unknownNames(names: readonly string[]): (name: string, self: string) => string {
  const guesses = new Map<string, string | undefined>();
  let budget = GUESSES;
  const guess = (name: string, candidates: readonly string[]): string | undefined => {
    if (budget <= 0) return undefined;
    budget--;
    return nearest(name, candidates);
  };
  return (name, self) => {
    const others = names.filter((n) => n !== self);
    if (!guesses.has(name)) guesses.set(name, guess(name, names));
    let likely = guesses.get(name);
    if (likely === self) likely = guess(name, others);
    if (likely !== undefined)
      return `"${name}" is not a container of this project; did you mean "${likely}"?`;
    if (others.length === 0)
      return `"${name}" is not a container of this project, which has no other container`;
    const shown = others.slice(0, NAMES_LISTED).join(", ");
    const more = others.length > NAMES_LISTED ? ` and ${others.length - NAMES_LISTED} more` : "";
    return `"${name}" is not a container of this project (its other containers are ${shown}${more})`;
  };
}

/** Why `target` can never reach `condition`, or undefined when it can. */
function conditionProblem(target: ContainerSpec | undefined, condition: unknown): string | undefined {
  if (!target) return undefined;
  if (condition === "Healthy" && target.healthCheck === undefined) {
    return `${target.name} has no healthCheck, so it can never be Healthy; add one to ${target.name} or use condition: Started`;
  }
  if (condition === "Completed" && (target.restartPolicy ?? "Always") === "Always") {
    return (
      `${target.name} has restartPolicy Always (the default) and so never completes; ` +
      `give it restartPolicy Never or OnFailure to make it a job, or use condition: Started`
    );
  }
  return undefined;
}

/**
 * One cycle per strongly connected component of two or more containers (Tarjan's algorithm,
 * iterative): the shortest way from the component's first container in spec order back to
 * itself, as the entries taken. Components are returned in spec order of their first container.
 */
function cycles(edges: readonly Edge[][]): { from: number; edge: Edge }[][] {
  const found: { from: number; edge: Edge }[][] = [];
  for (const component of components(edges)) {
    if (component.length < 2) continue;
    const start = Math.min(...component);
    found.push(shortestCycle(edges, start, new Set(component)));
  }
  return found.sort((a, b) => (a[0]?.from ?? 0) - (b[0]?.from ?? 0));
}

function components(edges: readonly Edge[][]): number[][] {
  const n = edges.length;
  const order = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const result: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    const frames: { node: number; next: number }[] = [{ node: root, next: 0 }];
    order[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as { node: number; next: number };
      const { node } = frame;
      const out = edges[node] ?? [];
      if (frame.next < out.length) {
        const to = (out[frame.next++] as Edge).to;
        if (order[to] === -1) {
          order[to] = low[to] = counter++;
          stack.push(to);
          onStack[to] = true;
          frames.push({ node: to, next: 0 });
        } else if (onStack[to]) low[node] = Math.min(low[node] ?? 0, order[to] ?? 0);
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low[parent.node] = Math.min(low[parent.node] ?? 0, low[node] ?? 0);
      if (low[node] === order[node]) {
        const component: number[] = [];
        let member: number | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack[member] = false;
          component.push(member);
        } while (member !== node);
        result.push(component);
      }
    }
  }
  return result;
}

/** Breadth-first from `start` within `members` until an entry leads back to `start`. */
function shortestCycle(
  edges: readonly Edge[][],
  start: number,
  members: ReadonlySet<number>,
): { from: number; edge: Edge }[] {
  const via = new Map<number, { from: number; edge: Edge }>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] as number;
    for (const edge of edges[node] ?? []) {
      if (!members.has(edge.to)) continue;
      if (edge.to === start) {
        const steps = [{ from: node, edge }];
        for (let at = node; at !== start;) {
          const step = via.get(at);
          if (!step) break;
          steps.unshift(step);
          at = step.from;
        }
        return steps;
      }
      if (via.has(edge.to)) continue;
      via.set(edge.to, { from: node, edge });
      queue.push(edge.to);
    }
  }
  return [];
}

function cycleViolation(
  containers: readonly ContainerSpec[],
  cycle: { from: number; edge: Edge }[],
): RuleViolation {
  const first = cycle[0];
  const name = (i: number) => containers[i]?.name ?? `spec.containers[${i}]`;
  const route = [...cycle.map((s) => name(s.from)), first ? name(first.from) : ""].join(" → ");
  return {
    path: ["spec", "containers", first?.from ?? 0, "dependsOn", first?.edge.entry ?? 0, "name"],
    message: `dependency cycle: ${route}; remove one of these dependsOn entries`,
  };
}
