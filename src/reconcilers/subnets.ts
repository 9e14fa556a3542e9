import { createHash } from "node:crypto";
import { BerthError } from "../util/errors.js";

/** An IPv4 block: first address as a 32-bit number and prefix length. */
export interface Block {
  base: number;
  prefix: number;
}

/** A bad `--network-pool` or subnet size; the message names the value and the fix. */
export class SubnetPoolError extends BerthError {
  override readonly name = "SubnetPoolError";
}

/** Parses `10.213.0.0/16`; undefined for anything that is not an IPv4 CIDR. Pure. */
export function parseCidr(text: string): Block | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return { base: addr - (addr % size), prefix };
}

/** `10.213.4.0/26`. Pure. */
export function formatCidr(b: Block): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(b.base / 2 ** shift) % 256);
  return `${octets.join(".")}/${b.prefix}`;
}

function overlaps(a: Block, b: Block): boolean {
  const aEnd = a.base + 2 ** (32 - a.prefix);
  const bEnd = b.base + 2 ** (32 - b.prefix);
  return a.base < bEnd && b.base < aEnd;
}

/**
 * Hands out one subnet of `size` per project network from `pool`, so that Berth never depends on
 * Docker's default address pools (which hold about 30 bridge networks). A project tends to get
 * the same subnet every time (its starting point is a hash of its key). Pure apart from its own
 * bookkeeping; the caller records subnets in use, Berth's and everyone else's.
 */
export class SubnetPool {
  private readonly pool: Block;
  private readonly used: Block[] = [];

  constructor(
    pool: string,
    readonly size: number,
  ) {
    const parsed = parseCidr(pool);
    if (!parsed)
      throw new SubnetPoolError(
        `--network-pool ${JSON.stringify(pool)} is not an IPv4 CIDR such as 10.213.0.0/16`,
      );
    if (!Number.isInteger(size) || size < parsed.prefix || size > 29) {
      throw new SubnetPoolError(
        `--network-size /${size} must be between /${parsed.prefix} (the pool) and /29`,
      );
    }
    this.pool = parsed;
  }

  /** Records a subnet as taken (by any network, Berth's or not). Ignores what is not IPv4. */
  markUsed(cidr: string): void {
    const b = parseCidr(cidr);
    if (b) this.used.push(b);
  }

  /** Frees a subnet Berth no longer uses. */
  release(cidr: string): void {
    const b = parseCidr(cidr);
    const i = b ? this.used.findIndex((u) => u.base === b.base && u.prefix === b.prefix) : -1;
    if (i >= 0) this.used.splice(i, 1);
  }

  /** The next free subnet for `key`, or undefined when the pool is exhausted. */
  next(key: string): string | undefined {
    const count = 2 ** (this.size - this.pool.prefix);
    const step = 2 ** (32 - this.size);
    const start = createHash("sha256").update(key).digest().readUInt32BE(0) % count;
    for (let i = 0; i < count; i++) {
      const candidate = { base: this.pool.base + ((start + i) % count) * step, prefix: this.size };
      if (!this.used.some((u) => overlaps(u, candidate))) return formatCidr(candidate);
    }
    return undefined;
  }
}
