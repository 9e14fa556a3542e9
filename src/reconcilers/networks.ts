import type { CallOptions, DockerClient } from "../runtime/docker.js";
import { ConflictError, NotFoundError } from "../runtime/errors.js";
import { LABEL_MANAGED, LABEL_PROJECT, projectLabelValue } from "../runtime/labels.js";
import type { DockerGate } from "./gate.js";
import type { SubnetPool } from "./subnets.js";

const MAX_SUBNET_TRIES = 16;

/**
 * The project networks Berth manages, listed once and then kept in memory, so that a converged
 * project costs no Docker call. Each network gets its own subnet from Berth's pool, clear of every
 * existing network; a subnet is reserved before its create call, so that projects creating
 * networks at the same time do not pick the same one. Concurrent `ensure` calls for one name share
 * one creation. Calls for different projects never wait for each other.
 */
export class Networks {
  private known: Promise<Map<string, string | undefined>> | undefined;
  private readonly creating = new Map<string, Promise<void>>();

  constructor(
    private readonly docker: Pick<DockerClient, "listNetworks" | "createNetwork" | "removeNetwork">,
    private readonly subnets: SubnetPool,
    /** Bounds the Docker calls (the operator's DockerGate); unbounded without. */
    private readonly gate: Pick<DockerGate, "call"> = { call: (fn) => fn() },
  ) {}

  /** Creates the network unless it exists. */
  async ensure(name: string, key: string, opts: CallOptions): Promise<void> {
    const known = await this.load(opts);
    if (known.has(name)) return;
    let creation = this.creating.get(name);
    if (!creation) {
      creation = this.create(name, key, known, opts).finally(() => this.creating.delete(name));
      this.creating.set(name, creation);
    }
    return creation;
  }

  private async create(
    name: string,
    key: string,
    known: Map<string, string | undefined>,
    opts: CallOptions,
  ): Promise<void> {
    const labels = { [LABEL_MANAGED]: "true", [LABEL_PROJECT]: projectLabelValue(key) };
    for (let attempt = 0; attempt < MAX_SUBNET_TRIES; attempt++) {
      const subnet = this.subnets.next(key);
      if (subnet) this.subnets.markUsed(subnet);
      try {
        const spec = { name, labels, ...(subnet ? { subnet } : {}) };
        await this.gate.call(() => this.docker.createNetwork(spec, opts));
        known.set(name, subnet);
        return;
      } catch (err) {
        const overlap = /overlap/i.test((err as Error).message);
        if (err instanceof ConflictError && !overlap) {
          if (subnet) this.subnets.release(subnet);
          known.set(name, undefined); // created meanwhile, by us or someone else
          return;
        }
        if (!subnet || !overlap) {
          if (subnet) this.subnets.release(subnet);
          throw err;
        }
        // taken by a network created since the list: it stays marked
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
      await this.gate.call(() => this.docker.removeNetwork(name, opts));
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
