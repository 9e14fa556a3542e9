/**
 * The executor: carries out a {@link Plan} against Docker as a graph. Spec containers run
 * concurrently, each once the slots it `needs` have succeeded (a dependency started in the same
 * pass, or for stops, its dependents stopped); then the orphans, concurrently, dependents first;
 * then (for a teardown, once every container is gone) the network. Every Docker call goes through the operator's shared
 * {@link DockerGate}. Not pure: it calls Docker and updates the reconciler's memory. It is called by
 * the project reconciler only, never for two plans of one project at once.
 */
import { TerminalError } from "../controller/errors.js";
import type { CallOptions } from "../runtime/docker.js";
import type { ObservedContainer } from "../runtime/observed.js";
import { ContainerOps, PlanNotExecutableError, type ExecutorDeps } from "./container-ops.js";
import type { Plan, RemoveAction, SlotPlan } from "./plan.js";

export { hostPortTaken, PlanNotExecutableError, type ExecutorDeps } from "./container-ops.js";

/** What status shows when a run is about to make its first Docker change (see {@link execute}). */
export interface Progress {
  /** The spec containers about to be created, replaced, started or stopped. */
  changing: ReadonlySet<string>;
  /** What status shows for each spec container at this point. */
  containers: ReadonlyMap<string, ObservedContainer>;
  acted: ReadonlySet<string>;
  failures: readonly string[];
}

/** What a run did, the input of the status. */
export interface Execution {
  /** The container status shows for each spec container (none: a new one is coming). */
  containers: Map<string, ObservedContainer>;
  /** Spec containers that were created, replaced, started, stopped or had a duplicate removed. */
  acted: Set<string>;
  /** Messages of the TerminalErrors of single containers; the others went on. */
  failures: string[];
  /**
   * Spec containers that wait for a dependency, and why: the plan's waits, and the dependents of a
   * container whose start failed in this run.
   */
  waiting: Map<string, string>;
  /** The error each spec container's (or orphan's) steps ended with, by name. */
  errors: Map<string, string>;
  /** The first error worth retrying, if any: the caller writes status, then rethrows it. */
  retry: unknown;
}

/** Options of {@link execute}. */
export interface ExecuteOptions {
  /**
   * Called once before the first Docker change (the reconciler writes a Progressing status there,
   * so that a change shows before Docker did the work); orphan and teardown removals are not
   * announced.
   */
  announce?: (progress: Progress) => void;
  /** The project network being created already (started early by the caller), by name. */
  network?: { name: string; ready: Promise<void> };
}

/**
 * Runs `plan`. One container's failure does not stop the others: a TerminalError is recorded in
 * `failures`, any other error in `retry` (the first) and `errors`, and dependents of a container
 * that did not start are left waiting. A container removed meanwhile counts as removed; a
 * container dockerd refuses to start (HTTP 500) is removed, to be created afresh next time; a host
 * port another publisher took releases the project's port claims so that the next reconcile
 * allocates again. Rejects only with PlanNotExecutableError, before any Docker call, for a plan
 * with an unresolved creation (a dry run's).
 */
export async function execute(
  plan: Plan,
  deps: ExecutorDeps,
  call: CallOptions,
  opts: ExecuteOptions = {},
): Promise<Execution> {
  for (const slot of plan.slots) {
    for (const a of slot.actions) {
      if ((a.kind === "create" || a.kind === "replace") && !a.creation)
        throw new PlanNotExecutableError(plan.key, a.container);
    }
  }
  return new Run(plan.key, deps, call, opts).execute(plan);
}

class Run {
  private readonly networks = new Map<string, Promise<void>>();
  private readonly ops: ContainerOps;

  constructor(
    private readonly key: string,
    private readonly deps: ExecutorDeps,
    private readonly call: CallOptions,
    private readonly opts: ExecuteOptions,
  ) {
    if (opts.network) this.networks.set(opts.network.name, opts.network.ready);
    this.ops = new ContainerOps(key, deps, call, (name) => this.network(name));
  }

  async execute(plan: Plan): Promise<Execution> {
    for (const container of plan.settled) this.deps.memory.settle(this.key, container);
    const out: Execution = {
      containers: new Map(),
      acted: new Set(),
      failures: [],
      waiting: new Map(),
      errors: new Map(),
      retry: undefined,
    };
    const changing = new Set<string>();
    for (const slot of plan.slots) {
      if (slot.before) out.containers.set(slot.container, slot.before);
      for (const a of slot.actions) {
        if (a.kind === "wait") out.waiting.set(slot.container, a.message);
        else if (a.kind !== "keep") changing.add(slot.container);
      }
    }
    if (changing.size > 0) this.opts.announce?.({ changing, ...out });
    await runGraph(
      plan.slots,
      (s) => s.container,
      (s) => s.needs,
      (s, failed) => this.slot(s, failed, out),
    );
    await runGraph(
      plan.orphans,
      (o) => o.target.id,
      (o) => o.needs ?? [],
      (o) => this.orphan(o, out),
    );
    const network = plan.teardown?.network;
    const removed = plan.orphans.every((o) => !out.errors.has(o.container));
    if (network !== undefined && removed) {
      try {
        await this.deps.networks.remove(network, this.call);
      } catch (err) {
        this.record(network, err, out);
      }
    }
    return out;
  }

  /** Runs one spec container's actions; true when what it was to start runs (or nothing was to). */
  private async slot(slot: SlotPlan, failedNeed: string | undefined, out: Execution): Promise<boolean> {
    if (slot.actions.some((a) => a.kind === "wait")) return false;
    const starts = slot.actions.some(
      (a) => a.kind === "create" || a.kind === "replace" || a.kind === "start",
    );
    if (starts && (failedNeed !== undefined || this.call.signal?.aborted)) {
      if (failedNeed !== undefined) out.waiting.set(slot.container, `${failedNeed} is not Started yet`);
      return false;
    }
    let after = slot.after;
    let ok = true;
    try {
      for (const action of slot.actions) {
        if (!(await this.ops.action(action))) {
          after = undefined;
          ok = false;
        }
      }
    } catch (err) {
      this.record(slot.container, err, out);
      return false;
    }
    if (slot.actions.some((a) => a.kind !== "keep")) out.acted.add(slot.container);
    if (after) out.containers.set(slot.container, after);
    else out.containers.delete(slot.container);
    return ok;
  }

  private async orphan(o: RemoveAction, out: Execution): Promise<boolean> {
    try {
      await this.ops.remove(o.target.id);
    } catch (err) {
      this.record(o.container, err, out);
    }
    return true; // its dependencies go anyway
  }

  private record(name: string, err: unknown, out: Execution): void {
    if (err instanceof TerminalError) out.failures.push(err.message);
    else out.retry ??= err;
    out.errors.set(name, err instanceof Error ? err.message : String(err));
  }

  /** The network `name`, ensured once per run, or as the caller started it. */
  private network(name: string): Promise<void> {
    let ready = this.networks.get(name);
    if (!ready) {
      ready = this.deps.networks.ensure(name, this.key, this.call);
      ready.catch(() => {}); // awaited by every creation that needs it
      this.networks.set(name, ready);
    }
    return ready;
  }
}

/**
 * Runs `run` for every item once each item it `needs` has settled, concurrently otherwise, and
 * resolves when all have settled. `run` receives the first need that failed (resolved false) and
 * must not reject. Needs that name no item, or close a cycle, count as met. Linear in items + needs.
 */
async function runGraph<T>(
  items: readonly T[],
  idOf: (item: T) => string,
  needsOf: (item: T) => readonly string[],
  run: (item: T, failedNeed: string | undefined) => Promise<boolean>,
): Promise<void> {
  const byId = new Map(items.map((t) => [idOf(t), t]));
  const tasks = new Map<string, Promise<boolean>>();
  const visiting = new Set<string>();
  const task = (id: string): Promise<boolean> => {
    const known = tasks.get(id);
    if (known) return known;
    const item = byId.get(id);
    if (item === undefined || visiting.has(id)) return Promise.resolve(true);
    visiting.add(id);
    const needs = needsOf(item).map((n) => task(n).then((ok) => (ok ? undefined : n)));
    visiting.delete(id);
    const done = Promise.all(needs).then((failed) =>
      run(
        item,
        failed.find((f) => f !== undefined),
      ),
    );
    tasks.set(id, done);
    return done;
  };
  await Promise.all(items.map((t) => task(idOf(t))));
}
