// Shared set-up of the runtime integration tests: where Docker is, unique names, and clean-up of
// everything a test file created (found by its own project label, so nothing else is touched).
import { randomBytes } from "node:crypto";
import Docker from "dockerode";
import { Registry } from "prom-client";
import { createDockerClient } from "../../../src/runtime/docker.js";
import type { DockerodeClient } from "../../../src/runtime/docker.js";
import { createDockerMetrics } from "../../../src/runtime/docker-metrics.js";
import { dockerOptions, readTestEnv } from "../../helpers/env.js";
import { eventually as poll } from "../../helpers/poll.js";

export interface RuntimeTestEnv {
  dockerHost: string;
  image: string;
}

/** The test environment file when it exists, else DOCKER_HOST / the default socket and the test image. */
export function runtimeTestEnv(): RuntimeTestEnv {
  try {
    const env = readTestEnv();
    return { dockerHost: env.dockerHost, image: env.image };
  } catch {
    return {
      dockerHost: process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock",
      image: "berth-test/busybox:1",
    };
  }
}

/** A random hex suffix. */
export const suffix = (): string => randomBytes(4).toString("hex");

/** One test file's scope: its project label, names, a client with its own registry, and clean-up. */
export class RuntimeScope {
  readonly env = runtimeTestEnv();
  readonly id = suffix();
  /** Value of `berth.dev/project` on everything this scope creates. */
  readonly projectLabel = `test.${this.id}`;
  /** Queue key of that project. */
  readonly projectKey = `test/${this.id}`;
  readonly registry = new Registry();
  readonly client: DockerodeClient;
  /** Plain dockerode, for what Berth's client deliberately does not offer (kill). */
  readonly raw: Docker;
  private n = 0;

  constructor() {
    this.client = createDockerClient({
      host: this.env.dockerHost,
      timeoutMs: 20_000,
      metrics: createDockerMetrics(this.registry),
    });
    this.raw = new Docker(dockerOptions({ ...this.env, redisUrl: "", natsUrl: "" }));
  }

  /** A fresh `berthtest-<scope>-<n>` name. */
  name(): string {
    this.n += 1;
    return `berthtest-${this.id}-${this.n}`;
  }

  /** Labels that mark a container as Berth-managed and owned by this scope. */
  labels(container = "main"): Record<string, string> {
    return {
      "berth.dev/managed": "true",
      "berth.dev/project": this.projectLabel,
      "berth.dev/container": container,
    };
  }

  /** Removes this scope's containers, networks and images. Never throws. */
  async cleanup(): Promise<void> {
    const label = `berth.dev/project=${this.projectLabel}`;
    const containers = await this.raw
      .listContainers({ all: true, filters: { label: [label] } })
      .catch(() => []);
    await Promise.all(
      containers.map((c) =>
        this.raw
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
    const networks = await this.raw.listNetworks({ filters: { label: [label] } }).catch(() => []);
    await Promise.all(
      networks.map((n) =>
        this.raw
          .getNetwork(n.Id)
          .remove()
          .catch(() => undefined),
      ),
    );
    const images = await this.raw.listImages({ filters: { label: [label] } }).catch(() => []);
    await Promise.all(
      images.map((i) =>
        this.raw
          .getImage(i.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  }

  /** Cleans up and releases the client's sockets. */
  async close(): Promise<void> {
    await this.cleanup();
    this.client.close();
  }
}

/** Polls `predicate` every 25 ms until it holds; throws with `what` after `timeoutMs`. */
export async function eventually(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  await poll(predicate, timeoutMs, what, 25);
}
