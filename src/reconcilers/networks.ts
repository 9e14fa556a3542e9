import type { CallOptions, DockerClient } from "../runtime/docker.js";
import { ConflictError, NotFoundError } from "../runtime/errors.js";
import { LABEL_MANAGED, LABEL_PROJECT, MANAGED_LABEL_FILTER, projectLabelValue } from "../runtime/labels.js";

/**
 * The project networks Berth manages, listed once and then kept in memory, so that a converged
 * project costs no Docker call. Only the reconciler calls it; one project's calls never overlap.
 */
export class Networks {
  private known: Promise<Set<string>> | undefined;

  constructor(private readonly docker: DockerClient) {}

  /** Forget what is known (after dockerd restarts, networks may be gone). */
  reset(): void {
    this.known = undefined;
  }

  /** Creates the network unless it exists. */
  async ensure(name: string, key: string, opts: CallOptions): Promise<void> {
    const known = await this.load(opts);
    if (known.has(name)) return;
    try {
      await this.docker.createNetwork(
        { name, labels: { [LABEL_MANAGED]: "true", [LABEL_PROJECT]: projectLabelValue(key) } },
        opts,
      );
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    known.add(name);
  }

  /** Removes the network if it exists. */
  async remove(name: string, opts: CallOptions): Promise<void> {
    const known = await this.load(opts);
    try {
      await this.docker.removeNetwork(name, opts);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    known.delete(name);
  }

  private load(opts: CallOptions): Promise<Set<string>> {
    this.known ??= this.docker.listNetworks([MANAGED_LABEL_FILTER], opts).then(
      (nets) => new Set(nets.map((n) => n.name)),
      (err: unknown) => {
        this.known = undefined;
        throw err;
      },
    );
    return this.known;
  }
}
