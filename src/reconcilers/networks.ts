import type { CallOptions, DockerClient } from "../runtime/docker.js";
import { ConflictError, NotFoundError } from "../runtime/errors.js";
import { LABEL_MANAGED, LABEL_PROJECT, projectLabelValue } from "../runtime/labels.js";
import type { SubnetPool } from "./subnets.js";

const MAX_SUBNET_TRIES = 16;

/**
 * The project networks Berth manages, listed once and then kept in memory, so that a converged
 * project costs no Docker call. Each network gets its own subnet from Berth's pool, clear of every
 * existing network. Only the reconciler calls it; one project's calls never overlap.
 */
export class Networks {
  private known: Promise<Map<string, string | undefined>> | undefined;

  constructor(
    private readonly docker: DockerClient,
    private readonly subnets: SubnetPool,
  ) {}

  /** Creates the network unless it exists. */
  async ensure(name: string, key: string, opts: CallOptions): Promise<void> {
    const known = await this.load(opts);
    if (known.has(name)) return;
    const labels = { [LABEL_MANAGED]: "true", [LABEL_PROJECT]: projectLabelValue(key) };
    for (let attempt = 0; attempt < MAX_SUBNET_TRIES; attempt++) {
      const subnet = this.subnets.next(key);
      try {
        await this.docker.createNetwork({ name, labels, ...(subnet ? { subnet } : {}) }, opts);
        if (subnet) this.subnets.markUsed(subnet);
        known.set(name, subnet);
        return;
      } catch (err) {
        if (err instanceof ConflictError && !/overlap/i.test(err.message)) {
          known.set(name, undefined); // created meanwhile, by us or someone else
          return;
        }
        if (!subnet || !/overlap/i.test((err as Error).message)) throw err;
        this.subnets.markUsed(subnet); // taken by a network created since the list
      }
    }
    throw new Error(
      `no free subnet for network ${name} after ${MAX_SUBNET_TRIES} tries; widen --network-pool`,
    );
  }

  /** Removes the network if it exists. */
  async remove(name: string, opts: CallOptions): Promise<void> {
    const known = await this.load(opts);
    try {
      await this.docker.removeNetwork(name, opts);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    const subnet = known.get(name);
    if (subnet) this.subnets.release(subnet);
    known.delete(name);
  }

  private load(opts: CallOptions): Promise<Map<string, string | undefined>> {
    this.known ??= this.docker.listNetworks([], opts).then(
      (nets) => {
        const mine = new Map<string, string | undefined>();
        for (const n of nets) {
          for (const s of n.subnets) this.subnets.markUsed(s);
          if (n.labels[LABEL_MANAGED] === "true") mine.set(n.name, n.subnets[0]);
        }
        return mine;
      },
      (err: unknown) => {
        this.known = undefined;
        throw err;
      },
    );
    return this.known;
  }
}
