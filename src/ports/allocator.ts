/**
 * The host port allocator. Ports come from a range outside the kernel's ephemeral range, stay with
 * their (project, container, port) across restarts via the registry, and are checked against other
 * projects and against the OS (a bind test) before they are handed out.
 */
import { createHash } from "node:crypto";
import type { PortHolder } from "./errors.js";
import { PortAllocationError, PortConflictError, PortRangeExhaustedError } from "./errors.js";
import type { BindTester, PortHolderProcess } from "./holders.js";
import { createBindTester, findPortHolder } from "./holders.js";
import type { PortDiagnostic, PortRange } from "./range.js";
import {
  DEFAULT_PORT_RANGE,
  PortRangeError,
  checkPortRange,
  ephemeralRangeDiagnostics,
  parsePortRange,
  readEphemeralPortRange,
} from "./range.js";
import type { ClaimResult, OwnerPredicate, PortEntry, PortOwner, PortRegistry } from "./registry.js";
import { FilePortRegistry, PORT_REGISTRY_FILE, ownerKey, portKey } from "./registry.js";
import type { Protocol } from "../api/index.js";

export type { ClaimResult, OwnerPredicate, PortDiagnostic, PortEntry, PortHolder };
export type { PortOwner, PortRange, PortRegistry };
export { FilePortRegistry, PORT_REGISTRY_FILE };
export { PortAllocationError, PortConflictError, PortRangeExhaustedError };
export { DEFAULT_PORT_RANGE, PortRangeError, parsePortRange };

/** One requested port; `PortSpec` from the API fits. hostPort 0 or omitted = allocate from the range. */
export interface PortRequest {
  name?: string;
  containerPort: number;
  hostPort?: number;
  protocol?: Protocol;
}

/** A container's requested ports; `ContainerSpec` from the API fits. */
export interface ContainerPortRequests {
  name: string;
  ports?: readonly PortRequest[];
}

/** A host port handed out for one container port. `portName` is the port's name or its containerPort. */
export interface PortAssignment {
  container: string;
  portName: string;
  containerPort: number;
  hostPort: number;
  protocol: Protocol;
}

/** Result of `allocate`: the ports granted and, per port that could not be, why. */
export interface AllocationResult {
  assignments: PortAssignment[];
  conflicts: PortAllocationError[];
}

/**
 * A host port that one of the project's own containers publishes right now (from the Docker
 * observer). Such a port skips the bind test for its owner, so a lost registry is rebuilt from the
 * running containers instead of reporting them as conflicts.
 */
export interface PublishedPort {
  container: string;
  portName: string;
  protocol: Protocol;
  hostPort: number;
}

/** Options of `PortAllocator.create`; tests inject the OS-facing parts. */
export interface PortAllocatorOptions {
  registry: PortRegistry;
  /** Range to allocate from, `"20000-29999"` or an object; default 20000-29999. */
  range?: PortRange | string;
  /** Written into every owner (scopes a shared registry to this operator instance). */
  instance?: string;
  /** The kernel's ephemeral range; omitted = read /proc, `null` = unknown. */
  ephemeralRange?: PortRange | null;
  bindTest?: BindTester;
  findHolder?: (port: number, protocol: Protocol) => Promise<PortHolderProcess | undefined>;
}

/** How often a claim lost to a concurrent writer of a shared registry is retried within one call. */
const MAX_CLAIM_ATTEMPTS = 8;

interface Request {
  owner: PortOwner;
  containerPort: number;
  hostPort: number;
  published: number | undefined;
}

type Decision =
  | { kind: "claim"; port: number; untrack?: () => void }
  | { kind: "wait"; until: Promise<void> }
  | { kind: "error"; error: PortAllocationError };

/**
 * Hands out host ports for projects. `allocate` and `release` may be called concurrently for
 * different projects (the workqueue never runs one project twice at once); the claim path is
 * serialized by an internal mutex, so concurrent calls never receive the same port. Registry I/O
 * failures reject (the reconciler retries with backoff); port problems are returned as conflicts.
 */
export class PortAllocator {
  private readonly mutex = new AsyncMutex();
  /** Ports chosen but not yet claimed in the registry, and the owners waiting on those claims. */
  private readonly pending = new Map<string, { owner: PortOwner; port: number }>();
  private readonly inflight = new Map<string, Promise<void>>();
  /** Per project, the owner keys of its last completed allocation. */
  private readonly settled = new Map<string, string>();

  private constructor(
    private readonly registry: PortRegistry,
    /** The range ports are allocated from. */
    readonly range: PortRange,
    /** Warnings about the configuration, e.g. a range overlapping the ephemeral range. */
    readonly diagnostics: readonly PortDiagnostic[],
    private readonly instance: string | undefined,
    private readonly bindTest: BindTester,
    private readonly findHolder: (port: number, protocol: Protocol) => Promise<PortHolderProcess | undefined>,
  ) {}

  /**
   * Validates the range (throws `PortRangeError`) and checks it against the kernel's ephemeral
   * range (a warning in `diagnostics` when they overlap). Reads /proc once; call at start-up.
   */
  static async create(options: PortAllocatorOptions): Promise<PortAllocator> {
    const range =
      typeof options.range === "string"
        ? parsePortRange(options.range)
        : checkPortRange(options.range ?? DEFAULT_PORT_RANGE);
    const ephemeral =
      options.ephemeralRange === undefined
        ? await readEphemeralPortRange()
        : (options.ephemeralRange ?? undefined);
    return new PortAllocator(
      options.registry,
      range,
      ephemeralRangeDiagnostics(range, ephemeral),
      options.instance,
      options.bindTest ?? createBindTester(),
      options.findHolder ?? ((port, protocol) => findPortHolder(port, protocol)),
    );
  }

  /**
   * Resolves host ports for all ports of a project (`namespace/name`). `containers` is the complete
   * set: the project's claims for ports no longer listed are released first. A port keeps the host
   * port its owner already holds; a fixed hostPort is granted when no other project claims it and
   * the bind test passes; hostPort 0 gets a port from the range, probing from a start point derived
   * from the owner. Ports that cannot be granted are listed in `conflicts`; the others are claimed.
   */
  async allocate(
    project: string,
    containers: readonly ContainerPortRequests[],
    options: { published?: readonly PublishedPort[] } = {},
  ): Promise<AllocationResult> {
    const requests = this.requests(project, containers, options.published ?? []);
    const wanted = new Set(requests.map((r) => ownerKey(r.owner)));
    // Scanning the registry for stale claims costs O(all ports); do it only when this project's
    // set of ports changed since this allocator last settled it.
    const signature = [...wanted].sort().join("\n");
    if (this.settled.get(project) !== signature) {
      await this.registry.release((o) => this.ownsProject(o, project) && !wanted.has(ownerKey(o)));
    }
    const assignments: PortAssignment[] = [];
    const conflicts: PortAllocationError[] = [];
    for (const req of requests) {
      const result = await this.allocateOne(req);
      if ("hostPort" in result) assignments.push(result);
      else conflicts.push(result);
    }
    this.settled.set(project, signature);
    return { assignments, conflicts };
  }

  /** Releases every port of a deleted project; idempotent. Stopped projects keep their ports. */
  release(project: string): Promise<PortEntry[]> {
    this.settled.delete(project);
    return this.registry.release((o) => this.ownsProject(o, project));
  }

  private ownsProject(owner: PortOwner, project: string): boolean {
    return owner.project === project && owner.instance === this.instance;
  }

  private requests(
    project: string,
    containers: readonly ContainerPortRequests[],
    published: readonly PublishedPort[],
  ): Request[] {
    return containers.flatMap((c) =>
      (c.ports ?? []).map((p): Request => {
        const portName = p.name ?? String(p.containerPort);
        const protocol = p.protocol ?? "TCP";
        const owner: PortOwner = {
          ...(this.instance !== undefined ? { instance: this.instance } : {}),
          project,
          container: c.name,
          portName,
          protocol,
        };
        const pub = published.find(
          (q) => q.container === c.name && q.portName === portName && q.protocol === protocol,
        );
        return { owner, containerPort: p.containerPort, hostPort: p.hostPort ?? 0, published: pub?.hostPort };
      }),
    );
  }

  private async allocateOne(req: Request): Promise<PortAssignment | PortAllocationError> {
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS;) {
      const decision = await this.mutex.run(() => this.choose(req));
      if (decision.kind === "error") return decision.error;
      if (decision.kind === "wait") {
        await decision.until;
        continue;
      }
      attempt++;
      let result: ClaimResult;
      try {
        result = await this.registry.claim(req.owner, decision.port);
      } finally {
        decision.untrack?.();
      }
      if (result.ok) {
        const { container, portName, protocol } = req.owner;
        return {
          container,
          portName,
          containerPort: req.containerPort,
          hostPort: result.entry.port,
          protocol,
        };
      }
      if (req.hostPort > 0) return conflict(req, req.hostPort, projectHolder(result.holder.owner));
    }
    throw new Error(
      `could not claim a host port for ${req.owner.project} (container ${req.owner.container}, port ` +
        `${req.owner.portName}) after ${MAX_CLAIM_ATTEMPTS} attempts: another writer keeps taking them; retry`,
    );
  }

  /** Picks the port to claim for `req`. Runs under the mutex. */
  private async choose(req: Request): Promise<Decision> {
    const until = this.inflight.get(ownerKey(req.owner));
    if (until) return { kind: "wait", until };
    const existing = await this.registry.lookup(req.owner);
    if (req.hostPort > 0) return this.chooseFixed(req, req.hostPort, existing);
    if (existing && this.inRange(existing.port)) return { kind: "claim", port: existing.port };
    if (req.published !== undefined && this.inRange(req.published)) {
      const decision = await this.chooseFixed(req, req.published, existing);
      if (decision.kind === "claim") return decision;
    }
    return this.probe(req);
  }

  /** A specific port: free unless another project claims it or (for new claims) the bind test fails. */
  private async chooseFixed(req: Request, port: number, existing: PortEntry | undefined): Promise<Decision> {
    const { protocol } = req.owner;
    if (existing?.port === port) return { kind: "claim", port };
    const holder =
      (await this.registry.holderOf(port, protocol))?.owner ??
      this.pending.get(portKey(port, protocol))?.owner;
    if (holder && ownerKey(holder) !== ownerKey(req.owner)) {
      return { kind: "error", error: conflict(req, port, projectHolder(holder)) };
    }
    if (req.published !== port && !(await this.bindTest(port, protocol))) {
      return { kind: "error", error: conflict(req, port, await this.externalHolder(port, protocol)) };
    }
    return { kind: "claim", port, untrack: this.track(req.owner, port) };
  }

  /** Probes the range linearly from the owner's hash, skipping claimed ports and failed bind tests. */
  private async probe(req: Request): Promise<Decision> {
    const { protocol } = req.owner;
    const taken = new Set<number>();
    for (const e of await this.registry.entries()) {
      if (e.owner.protocol === protocol && this.inRange(e.port)) taken.add(e.port);
    }
    for (const { owner, port } of this.pending.values()) {
      if (owner.protocol === protocol && this.inRange(port)) taken.add(port);
    }
    const size = this.range.end - this.range.start + 1;
    const offset = hashOffset(req.owner, size);
    let inUse = 0;
    for (let i = 0; i < size; i++) {
      const port = this.range.start + ((offset + i) % size);
      if (taken.has(port)) continue;
      if (!(await this.bindTest(port, protocol))) {
        inUse++;
        continue;
      }
      return { kind: "claim", port, untrack: this.track(req.owner, port) };
    }
    return { kind: "error", error: new PortRangeExhaustedError(req.owner, this.range, taken.size, inUse) };
  }

  /** Marks `port` as chosen by `owner` until its claim settles; returns the function that unmarks it. */
  private track(owner: PortOwner, port: number): () => void {
    const pk = portKey(port, owner.protocol);
    const ok = ownerKey(owner);
    let done: () => void = () => undefined;
    this.pending.set(pk, { owner, port });
    this.inflight.set(
      ok,
      new Promise<void>((resolve) => {
        done = resolve;
      }),
    );
    return () => {
      this.pending.delete(pk);
      this.inflight.delete(ok);
      done();
    };
  }

  private async externalHolder(port: number, protocol: Protocol): Promise<PortHolder> {
    const proc = await this.findHolder(port, protocol).catch(() => undefined);
    return proc ? { kind: "external", pid: proc.pid, command: proc.command } : { kind: "external" };
  }

  private inRange(port: number): boolean {
    return port >= this.range.start && port <= this.range.end;
  }
}

function conflict(req: Request, port: number, holder: PortHolder): PortConflictError {
  return new PortConflictError(req.owner, port, req.owner.protocol, holder);
}

function projectHolder(owner: PortOwner): PortHolder {
  return { kind: "project", project: owner.project, container: owner.container, portName: owner.portName };
}

/** Deterministic start offset for an owner (instance excluded, so it survives a registry loss). */
function hashOffset(owner: PortOwner, size: number): number {
  const key = [owner.project, owner.container, owner.portName, owner.protocol].join("\0");
  return createHash("sha256").update(key).digest().readUIntBE(0, 6) % size;
}

/** A FIFO async mutex: `run` waits for earlier callers, then runs `fn` alone. */
class AsyncMutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
