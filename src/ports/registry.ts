/**
 * The port registry: which owner (project, container, port) holds which host port. The interface
 * is what the allocator needs and what a shared (Redis) registry can provide with atomic
 * operations; `FilePortRegistry` is the L3 implementation in the state directory.
 */
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { StateFileError, readJsonFile, writeJsonFileAtomic } from "../cache/state-dir.js";
import type { PortDiagnostic } from "./range.js";
import type { Protocol } from "../api/index.js";

/** Who a host port belongs to. `project` is `namespace/name`; `instance` scopes a shared registry. */
export interface PortOwner {
  readonly instance?: string;
  readonly project: string;
  readonly container: string;
  /** The port's `name`, or its containerPort as a string when unnamed. */
  readonly portName: string;
  readonly protocol: Protocol;
}

/** One claimed host port. Entries are immutable snapshots. */
export interface PortEntry {
  readonly owner: PortOwner;
  readonly port: number;
  /** RFC 3339 time of the claim. */
  readonly claimedAt: string;
}

/**
 * Outcome of a claim: granted (`created` false when the owner already held the port; `replaced` is
 * the owner's previous port, now released) or refused with the entry that holds the port.
 */
export type ClaimResult =
  | { readonly ok: true; readonly entry: PortEntry; readonly created: boolean; readonly replaced?: PortEntry }
  | { readonly ok: false; readonly holder: PortEntry };

/** Selects owners, e.g. all of one project: `(o) => o.project === "default/shop-api"`. */
export type OwnerPredicate = (owner: PortOwner) => boolean;

/**
 * Narrow, injectable store of port claims. Each host port (per protocol) has at most one owner and
 * each owner at most one port. Every method may be called concurrently by any caller; mutations
 * resolve only once they are durable, and reject (without retrying) when they cannot be persisted.
 */
export interface PortRegistry {
  /** Atomically claims `port` for `owner`, moving the owner off any other port it held. */
  claim(owner: PortOwner, port: number): Promise<ClaimResult>;
  /** Releases the owner's port, or every port whose owner matches; idempotent. Returns what was released. */
  release(match: PortOwner | OwnerPredicate): Promise<PortEntry[]>;
  /** The owner's current claim, if any. */
  lookup(owner: PortOwner): Promise<PortEntry | undefined>;
  /** The claim on `port`/`protocol`, if any. */
  holderOf(port: number, protocol: Protocol): Promise<PortEntry | undefined>;
  /** All claims, sorted by protocol and port. */
  entries(): Promise<PortEntry[]>;
}

/** A stable string identity for an owner (the map key in registries). Pure. */
export function ownerKey(owner: PortOwner): string {
  return JSON.stringify([
    owner.instance ?? "",
    owner.project,
    owner.container,
    owner.portName,
    owner.protocol,
  ]);
}

/** `"8080/TCP"`: the registry key of a host port. Pure. */
export function portKey(port: number, protocol: Protocol): string {
  return `${port}/${protocol}`;
}

/** The registry file's name inside the state directory. */
export const PORT_REGISTRY_FILE = "ports.json";

interface RegistryFile {
  version: 1;
  entries: PortEntry[];
}

/**
 * The port registry persisted as JSON (`ports.json`) in the state directory. Loaded once by
 * `open`; every change is written atomically (tmp + fsync + rename). Writes are serialized and
 * coalesced: changes made while a write is running go out together in the next one, and a
 * `claim`/`release` resolves only after a write that contains it has completed. Assumes it is the
 * only writer of the file (one operator per state directory).
 */
export class FilePortRegistry implements PortRegistry {
  private readonly byOwner = new Map<string, PortEntry>();
  private readonly byPort = new Map<string, PortEntry>();
  private version = 0;
  private durableVersion = 0;
  private writing: Promise<void> = Promise.resolve();
  private scheduled: Promise<void> | undefined;

  private constructor(
    /** Absolute path of the registry file. */
    readonly path: string,
    /** Problems found while loading (corrupt file moved aside, invalid entries skipped). */
    readonly diagnostics: readonly PortDiagnostic[],
    entries: readonly PortEntry[],
    private readonly now: () => Date,
  ) {
    for (const e of entries) this.insert(e);
  }

  /**
   * Loads the registry from `stateDir` (an absent file is an empty registry). A file that is not
   * valid JSON is renamed to `ports.json.corrupt-<time>` and the registry starts empty, with a
   * diagnostic; invalid or duplicate entries are skipped, with a diagnostic each. Throws only when
   * the file cannot be read or moved aside (e.g. permissions).
   */
  static async open(stateDir: string, options: { now?: () => Date } = {}): Promise<FilePortRegistry> {
    const path = join(stateDir, PORT_REGISTRY_FILE);
    const now = options.now ?? (() => new Date());
    const diagnostics: PortDiagnostic[] = [];
    let raw: unknown;
    try {
      raw = await readJsonFile<unknown>(path, { version: 1, entries: [] });
    } catch (err) {
      if (!(err instanceof StateFileError) || !(err.cause instanceof SyntaxError)) throw err;
      const aside = `${path}.corrupt-${now().toISOString().replace(/[:.]/g, "-")}`;
      await rename(path, aside);
      diagnostics.push({
        level: "warning",
        code: "RegistryFileCorrupt",
        message: `${err.message}; moved it to ${aside} and started with an empty port registry (allocated ports are re-derived from their owners)`,
      });
      raw = { version: 1, entries: [] };
    }
    const entries = parseRegistryFile(raw, path, diagnostics);
    return new FilePortRegistry(path, diagnostics, entries, now);
  }

  async claim(owner: PortOwner, port: number): Promise<ClaimResult> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`cannot claim host port ${port}: not a port number (1-65535)`);
    }
    const key = ownerKey(owner);
    const current = this.byPort.get(portKey(port, owner.protocol));
    if (current && ownerKey(current.owner) !== key) return { ok: false, holder: current };
    if (current) {
      await this.durable(this.version);
      return { ok: true, entry: current, created: false };
    }
    const replaced = this.byOwner.get(key);
    if (replaced) this.byPort.delete(portKey(replaced.port, replaced.owner.protocol));
    const entry = freezeEntry({ owner, port, claimedAt: this.now().toISOString() });
    this.insert(entry);
    await this.durable(++this.version);
    return replaced ? { ok: true, entry, created: true, replaced } : { ok: true, entry, created: true };
  }

  async release(match: PortOwner | OwnerPredicate): Promise<PortEntry[]> {
    const pred: OwnerPredicate = typeof match === "function" ? match : (o) => ownerKey(o) === ownerKey(match);
    const released: PortEntry[] = [];
    for (const [key, entry] of this.byOwner) {
      if (!pred(entry.owner)) continue;
      this.byOwner.delete(key);
      this.byPort.delete(portKey(entry.port, entry.owner.protocol));
      released.push(entry);
    }
    await this.durable(released.length > 0 ? ++this.version : this.version);
    return released;
  }

  lookup(owner: PortOwner): Promise<PortEntry | undefined> {
    return Promise.resolve(this.byOwner.get(ownerKey(owner)));
  }

  holderOf(port: number, protocol: Protocol): Promise<PortEntry | undefined> {
    return Promise.resolve(this.byPort.get(portKey(port, protocol)));
  }

  entries(): Promise<PortEntry[]> {
    return Promise.resolve(this.sorted());
  }

  /** Resolves once every change made so far is on disk; rejects if the write fails. For shutdown. */
  flush(): Promise<void> {
    return this.durable(this.version);
  }

  private insert(entry: PortEntry): void {
    this.byOwner.set(ownerKey(entry.owner), entry);
    this.byPort.set(portKey(entry.port, entry.owner.protocol), entry);
  }

  private sorted(): PortEntry[] {
    return [...this.byOwner.values()].sort(
      (a, b) => a.owner.protocol.localeCompare(b.owner.protocol) || a.port - b.port,
    );
  }

  /** Waits until a write containing change `target` has completed, scheduling one if needed. */
  private async durable(target: number): Promise<void> {
    while (this.durableVersion < target) await this.scheduleWrite();
  }

  /** Joins the next write that has not started yet, or schedules one after the current write. */
  private scheduleWrite(): Promise<void> {
    if (this.scheduled) return this.scheduled;
    const next = this.writing
      .catch(() => undefined)
      .then(async () => {
        this.scheduled = undefined;
        const version = this.version;
        const file: RegistryFile = { version: 1, entries: this.sorted() };
        await writeJsonFileAtomic(this.path, file);
        this.durableVersion = Math.max(this.durableVersion, version);
      });
    this.scheduled = next;
    this.writing = next;
    return next;
  }
}

function parseRegistryFile(raw: unknown, path: string, diagnostics: PortDiagnostic[]): PortEntry[] {
  const list = isRecord(raw) && Array.isArray(raw.entries) ? (raw.entries as unknown[]) : undefined;
  if (!list) {
    diagnostics.push({
      level: "warning",
      code: "RegistryEntryInvalid",
      message: `${path} has no "entries" list; starting with an empty port registry`,
    });
    return [];
  }
  const seenOwners = new Set<string>();
  const seenPorts = new Set<string>();
  const out: PortEntry[] = [];
  list.forEach((item, i) => {
    const entry = toEntry(item);
    const problem = !entry
      ? "is not a valid port entry"
      : seenPorts.has(portKey(entry.port, entry.owner.protocol))
        ? `claims host port ${entry.port}/${entry.owner.protocol} again`
        : seenOwners.has(ownerKey(entry.owner))
          ? "repeats an owner listed before"
          : undefined;
    if (problem || !entry) {
      diagnostics.push({
        level: "warning",
        code: "RegistryEntryInvalid",
        message: `${path} entries[${i}] ${problem}; skipped`,
      });
      return;
    }
    seenPorts.add(portKey(entry.port, entry.owner.protocol));
    seenOwners.add(ownerKey(entry.owner));
    out.push(entry);
  });
  return out;
}

/** Parses one stored entry (file or Redis); undefined when it is not a valid, complete entry. Pure. */
export function toEntry(item: unknown): PortEntry | undefined {
  if (!isRecord(item) || !isRecord(item.owner)) return undefined;
  const { owner, port, claimedAt } = item;
  const { instance, project, container, portName, protocol } = owner;
  const strings = [project, container, portName].every((s) => typeof s === "string" && s !== "");
  if (!strings || (instance !== undefined && typeof instance !== "string")) return undefined;
  if (protocol !== "TCP" && protocol !== "UDP") return undefined;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return freezeEntry({
    owner: { instance, project, container, portName, protocol } as PortOwner,
    port,
    claimedAt: typeof claimedAt === "string" ? claimedAt : new Date(0).toISOString(),
  });
}

function freezeEntry(e: PortEntry): PortEntry {
  const o = e.owner;
  const owner: PortOwner = Object.freeze({
    ...(o.instance !== undefined ? { instance: o.instance } : {}),
    project: o.project,
    container: o.container,
    portName: o.portName,
    protocol: o.protocol,
  });
  return Object.freeze({ owner, port: e.port, claimedAt: e.claimedAt });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
