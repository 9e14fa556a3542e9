import type { CallOptions, DockerClient } from "../runtime/docker.js";
import type { ContainerSpec } from "../api/index.js";

/** Why an image is not available, for the ImageAvailable condition. */
export class ImageUnavailableError extends Error {
  override readonly name = "ImageUnavailableError";
  constructor(
    readonly image: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Image IDs by reference, resolved once and then served from memory so that a converged project
 * costs no Docker call. Pulls or builds per `imagePullPolicy`. Concurrent requests for one
 * reference share a single inspect, pull or build.
 */
export class Images {
  private readonly ids = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly docker: DockerClient) {}

  /** The cached ID of a reference, without asking Docker. */
  cached(ref: string): string | undefined {
    return this.ids.get(ref);
  }

  /** Forget a reference (e.g. after a create failed with "no such image"). */
  forget(ref: string): void {
    this.ids.delete(ref);
  }

  /**
   * The image ID for a container, pulling or building when the policy says so. `fresh` asks for a
   * pull under `Always` (done when a container is about to be created). `buildContext` is the real
   * path of `c.build.context`, already checked against the allowed roots (`PathResolver`); a build
   * sends that directory and no other. Throws ImageUnavailableError with a message that says what
   * to do.
   */
  async resolve(
    c: ContainerSpec,
    buildContext: string | undefined,
    opts: CallOptions & { fresh?: boolean },
  ): Promise<string> {
    const ref = c.image;
    const known = this.ids.get(ref);
    const mustPull = c.imagePullPolicy === "Always" && opts.fresh === true;
    if (known && !mustPull) return known;
    const running = this.inflight.get(ref);
    if (running) return running;
    const work = this.fetch(c, buildContext, mustPull, opts).finally(() => this.inflight.delete(ref));
    this.inflight.set(ref, work);
    const id = await work;
    this.ids.set(ref, id);
    return id;
  }

  private async fetch(
    c: ContainerSpec,
    buildContext: string | undefined,
    pull: boolean,
    opts: CallOptions,
  ): Promise<string> {
    const ref = c.image;
    if (!pull) {
      const id = await this.docker.inspectImage(ref, opts);
      if (id) return id;
      if (c.imagePullPolicy === "Never") {
        throw new ImageUnavailableError(
          ref,
          `image ${ref} is not present and imagePullPolicy is Never; build or load it, or change the policy`,
        );
      }
    }
    if (c.build) return this.build(c, buildContext, opts);
    try {
      await this.docker.pullImage(ref, opts);
    } catch (err) {
      throw new ImageUnavailableError(ref, `image ${ref} could not be pulled: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const id = await this.docker.inspectImage(ref, opts);
    if (!id) throw new ImageUnavailableError(ref, `image ${ref} was pulled but is not present`);
    return id;
  }

  private async build(c: ContainerSpec, contextDir: string | undefined, opts: CallOptions): Promise<string> {
    const build = c.build;
    if (!build) throw new Error("unreachable: build() without build spec");
    if (contextDir === undefined) throw new Error(`unreachable: no resolved build context for ${c.image}`);
    try {
      return await this.docker.buildImage({
        contextDir,
        dockerfile: build.dockerfile,
        tag: c.image,
        signal: opts.signal,
      });
    } catch (err) {
      throw new ImageUnavailableError(
        c.image,
        `building ${c.image} from ${contextDir} failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
