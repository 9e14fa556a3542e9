import type { FilePortRegistry, PortEntry, PortOwner } from "./registry.js";
import { ownerKey } from "./registry.js";
import type { RedisPortRegistry } from "./redis-registry.js";

/** Inputs of {@link reconcileIntoRedis}. */
export interface PortSyncInput {
  remote: RedisPortRegistry;
  local: FilePortRegistry;
  /** This instance's id: only its own claims are pushed, adopted or released. */
  instance: string;
  /** Owners released while Redis was down (their Redis claims are released now). */
  released: ReadonlyMap<string, PortOwner>;
}

/** What {@link reconcileIntoRedis} did. */
export interface PortSyncResult {
  /** L3 claims written to Redis. */
  pushed: number;
  /** Redis claims of this instance that were missing from L3 and were copied into it. */
  adopted: number;
  /** L3 claims refused by Redis (another instance holds the port); already released from L3. */
  lost: Array<{ entry: PortEntry; holder: PortEntry }>;
}

/**
 * Makes Redis and L3 agree on this instance's claims, Redis first: (1) owners released during an
 * outage are released in Redis; (2) every L3 claim is claimed in Redis with the atomic script — a
 * refusal means another instance took the port meanwhile, so the L3 claim is dropped and reported;
 * (3) this instance's Redis claims missing from L3 (a lost state directory) are copied into L3.
 * Also moves L3 claims made before Redis was configured (no instance) to this instance. Every step
 * is idempotent; a Redis failure rejects and the whole run can simply be repeated.
 */
export async function reconcileIntoRedis(input: PortSyncInput): Promise<PortSyncResult> {
  const { remote, local, instance } = input;
  for (const e of await local.entries()) {
    if (e.owner.instance !== undefined) continue;
    await local.release(e.owner);
    await local.claim({ ...e.owner, instance }, e.port);
  }
  for (const owner of input.released.values()) {
    if (!(await local.lookup(owner))) await remote.release(owner);
  }
  const remoteAll = await remote.entries();
  const remoteByOwner = new Map(remoteAll.map((e) => [ownerKey(e.owner), e]));
  const result: PortSyncResult = { pushed: 0, adopted: 0, lost: [] };
  for (const e of await local.entries()) {
    if (remoteByOwner.get(ownerKey(e.owner))?.port === e.port) continue;
    const claimed = await remote.claimEntry(e);
    if (claimed.ok) {
      result.pushed++;
      continue;
    }
    await local.release(e.owner);
    result.lost.push({ entry: e, holder: claimed.holder });
  }
  for (const e of remoteAll) {
    if (e.owner.instance !== instance || (await local.lookup(e.owner))) continue;
    if (input.released.has(ownerKey(e.owner))) continue;
    const r = await local.claim(e.owner, e.port);
    if (r.ok) result.adopted++;
  }
  return result;
}
