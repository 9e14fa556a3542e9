/**
 * The port registry in Redis (L2), shared by every Berth instance on one host. A claim is one Lua
 * script, so two instances claiming concurrently never both get a port. Layout (prefix `berth:`):
 * `ports:owners` is a hash from owner key to the entry (JSON, with the owner's instance, project,
 * container and port name); `ports:port:<port>/<protocol>` holds the owner key of the port's holder.
 */
import type { Redis } from "ioredis";
import type { ClaimResult, OwnerPredicate, PortEntry, PortOwner, PortRegistry } from "./registry.js";
import { ownerKey, portKey, toEntry } from "./registry.js";
import { KEY_PREFIX } from "../cache/redis.js";
import type { Protocol } from "../api/index.js";

const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  local h = redis.call('HGET', KEYS[2], holder)
  if h then return {0, h} end
end
if holder == ARGV[1] then
  local cur = redis.call('HGET', KEYS[2], ARGV[1])
  if cur then
    local c = cjson.decode(cur)
    if ARGV[3] .. c.port .. '/' .. c.owner.protocol == KEYS[1] then return {2, cur} end
  end
end
local prev = redis.call('HGET', KEYS[2], ARGV[1])
if prev then
  local p = cjson.decode(prev)
  local pk = ARGV[3] .. p.port .. '/' .. p.owner.protocol
  if redis.call('GET', pk) == ARGV[1] then redis.call('DEL', pk) end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {1, prev or ''}
`;

const RELEASE = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if not prev then return '' end
local p = cjson.decode(prev)
local pk = ARGV[2] .. p.port .. '/' .. p.owner.protocol
if redis.call('GET', pk) == ARGV[1] then redis.call('DEL', pk) end
redis.call('HDEL', KEYS[1], ARGV[1])
return prev
`;

interface ScriptedRedis {
  berthPortClaim(
    portK: string,
    owners: string,
    owner: string,
    entry: string,
    prefix: string,
  ): Promise<[number, string]>;
  berthPortRelease(owners: string, owner: string, prefix: string): Promise<string>;
}

/** A stored entry that does not parse: the registry in Redis was written by something else. */
export class RedisRegistryCorruptError extends Error {
  override readonly name = "RedisRegistryCorruptError";
}

/**
 * PortRegistry on Redis. Every method is one or two round trips, fails fast (the connection's
 * command timeout, no offline queue) and is never retried here: callers (the tiered registry) fall
 * back to the state directory. Safe to call concurrently from any number of instances.
 */
export class RedisPortRegistry implements PortRegistry {
  private readonly owners: string;
  private readonly portPrefix: string;
  private readonly scripted: ScriptedRedis;

  constructor(
    private readonly redis: Redis,
    options: { prefix?: string; now?: () => Date } = {},
  ) {
    const prefix = options.prefix ?? KEY_PREFIX;
    this.owners = `${prefix}ports:owners`;
    this.portPrefix = `${prefix}ports:port:`;
    this.now = options.now ?? (() => new Date());
    if (!("berthPortClaim" in redis)) {
      redis.defineCommand("berthPortClaim", { numberOfKeys: 2, lua: CLAIM });
      redis.defineCommand("berthPortRelease", { numberOfKeys: 1, lua: RELEASE });
    }
    this.scripted = redis as unknown as ScriptedRedis;
  }

  private readonly now: () => Date;

  async claim(owner: PortOwner, port: number): Promise<ClaimResult> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`cannot claim host port ${port}: not a port number (1-65535)`);
    }
    return this.claimEntry({ owner, port, claimedAt: this.now().toISOString() });
  }

  /** Claims with a given entry (keeps `claimedAt` when state is copied between tiers). */
  async claimEntry(entry: PortEntry): Promise<ClaimResult> {
    const [code, json] = await this.scripted.berthPortClaim(
      this.portPrefix + portKey(entry.port, entry.owner.protocol),
      this.owners,
      ownerKey(entry.owner),
      JSON.stringify(entry),
      this.portPrefix,
    );
    if (code === 0) return { ok: false, holder: this.parse(json) };
    if (code === 2) return { ok: true, entry: this.parse(json), created: false };
    const stored = this.parse(JSON.stringify(entry));
    if (json === "") return { ok: true, entry: stored, created: true };
    return { ok: true, entry: stored, created: true, replaced: this.parse(json) };
  }

  async release(match: PortOwner | OwnerPredicate): Promise<PortEntry[]> {
    const keys =
      typeof match === "function"
        ? (await this.entries()).filter((e) => match(e.owner)).map((e) => ownerKey(e.owner))
        : [ownerKey(match)];
    if (keys.length === 0) return [];
    const released = await Promise.all(
      keys.map((k) => this.scripted.berthPortRelease(this.owners, k, this.portPrefix)),
    );
    return released.filter((json) => json !== "").map((json) => this.parse(json));
  }

  async lookup(owner: PortOwner): Promise<PortEntry | undefined> {
    const json = await this.redis.hget(this.owners, ownerKey(owner));
    return json === null ? undefined : this.parse(json);
  }

  async holderOf(port: number, protocol: Protocol): Promise<PortEntry | undefined> {
    const owner = await this.redis.get(this.portPrefix + portKey(port, protocol));
    if (owner === null) return undefined;
    const json = await this.redis.hget(this.owners, owner);
    return json === null ? undefined : this.parse(json);
  }

  async entries(): Promise<PortEntry[]> {
    const all = await this.redis.hgetall(this.owners);
    return Object.values(all)
      .map((json) => this.parse(json))
      .sort((a, b) => a.owner.protocol.localeCompare(b.owner.protocol) || a.port - b.port);
  }

  private parse(json: string): PortEntry {
    let entry: PortEntry | undefined;
    try {
      entry = toEntry(JSON.parse(json));
    } catch {
      entry = undefined;
    }
    if (!entry) {
      throw new RedisRegistryCorruptError(
        `redis key ${this.owners} holds an invalid port entry ${json.slice(0, 200)}; delete the key ` +
          `(Berth re-publishes its claims from the state directory)`,
      );
    }
    return entry;
  }
}
