import { Agent } from "node:http";
import { inspect } from "node:util";
import type { Readable } from "node:stream";
import Docker from "dockerode";
import type { ContainerCreateOptions, ContainerInspectInfo } from "dockerode";
import type {
  BuildImageSpec,
  CallOptions,
  ContainerCreateSpec,
  DockerClient,
  EventsOptions,
  NetworkCreateSpec,
  NetworkSummary,
} from "./client.js";
import { CallRunner } from "./docker-call.js";
import { containerStreamOps } from "./dockerode-container-streams.js";
import { execOps } from "./dockerode-exec.js";
import { imageOps } from "./dockerode-images.js";
import type { DockerImages } from "./images.js";
import { volumeOps } from "./dockerode-volumes.js";
import { syncOps } from "./dockerode-sync.js";
import type { DockerSync } from "./sync.js";
import type { DockerVolumes } from "./volumes.js";
import type { DockerExec } from "./exec.js";
import type { DockerMetrics } from "./docker-metrics.js";
import { DockerCallCounter, noopDockerMetrics } from "./docker-metrics.js";
import type { DockerEventStream, ProgressListener } from "./docker-streams.js";
import { consumeBuild, consumePull, eventStream } from "./docker-streams.js";
import { DockerError, ImageNotFoundError, ImagePullError } from "./errors.js";
import { LABEL_MANAGED, MANAGED_LABEL_FILTER } from "./labels.js";
import { packBuildContext } from "./tar.js";
import { dial, resolveDockerEndpoint, statusOf, toContainerSummary } from "./dockerode-util.js";

/** Options of {@link createDockerClient}; parsed once at start-up by the caller. */
export interface DockerClientOptions {
  /** Unix socket path. Default `/var/run/docker.sock` when neither this nor `host` is set. */
  socketPath?: string;
  /** A DOCKER_HOST-style address: `unix:///path`, `tcp://host:port` or `http://host:port` (no TLS). */
  host?: string;
  /** Deadline of each non-streaming call, default 30 000 ms. `stopContainer` adds its grace period. */
  timeoutMs?: number;
  /** Where to record per-call metrics; see docker-metrics.ts. Default: nowhere. */
  metrics?: DockerMetrics;
  /** Pin the API version, e.g. `v1.41`; default: the daemon's own. */
  apiVersion?: string;
  /** Size of the keep-alive socket pool for non-streaming calls, default 64. */
  maxSockets?: number;
}

/** The dockerode-backed {@link DockerClient}, plus what its owner needs to manage it. */
export interface DockerodeClient extends DockerClient, DockerExec, DockerVolumes, DockerImages, DockerSync {
  readonly calls: DockerCallCounter;
  /** The shared keep-alive agent of all non-streaming calls (exposed for connection accounting). */
  readonly agent: Agent;
  /** Destroys pooled sockets; open streams are closed. Call once at shutdown. */
  close(): void;
}

/**
 * Creates the Docker client. Non-streaming calls share ONE keep-alive agent (so a burst of calls
 * reuses a handful of sockets); `/events` uses unpooled connections so that a long-lived stream
 * never holds a pool slot. Environment variables (DOCKER_HOST, DOCKER_CLIENT_TIMEOUT, ...) are
 * ignored: pass what you want in `options`. Does no I/O until the first call.
 */
export function createDockerClient(options: DockerClientOptions = {}): DockerodeClient {
  const endpoint = resolveDockerEndpoint(options);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64, scheduling: "lifo" });
  const streamAgent = new Agent({ keepAlive: false });
  // docker-modem formats every request's options with util.inspect (depth unlimited, hidden
  // properties) even when its debug log is off; an agent rendered that way walks all its sockets.
  for (const a of [agent, streamAgent]) Object.defineProperty(a, inspect.custom, { value: () => "[Agent]" });
  const make = (a: Agent): Docker =>
    new Docker({
      // Explicit undefineds override docker-modem's DOCKER_* environment defaults.
      socketPath: endpoint.socketPath,
      host: endpoint.host,
      port: endpoint.port,
      protocol: "http",
      version: options.apiVersion,
      timeout: undefined,
      ca: undefined,
      cert: undefined,
      key: undefined,
      agent: a,
    } as Docker.DockerOptions);
  const api = make(agent);
  const streams = make(streamAgent);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const calls = new DockerCallCounter();
  const runner = new CallRunner(endpoint.display, options.metrics ?? noopDockerMetrics, calls);
  const fields = (op: string) => ({ op, endpoint: endpoint.display });

  const client: DockerodeClient = {
    endpoint: endpoint.display,
    calls,
    agent,
    close() {
      agent.destroy();
      streamAgent.destroy();
    },

    async ping(opts?: CallOptions) {
      await runner.run({
        ...base("ping", "daemon", "/_ping", opts, true),
        run: (signal) =>
          dial(api, { path: "/_ping", method: "GET", statusCodes: { 200: true }, abortSignal: signal }),
      });
    },

    listManagedContainers(opts?: CallOptions & { labels?: string[] }) {
      const label = [MANAGED_LABEL_FILTER, ...(opts?.labels ?? [])];
      return runner.run({
        ...base("listContainers", "container", label.join(","), opts, true),
        run: async (signal) => {
          const list = await api.listContainers({ all: true, filters: { label }, abortSignal: signal });
          return list.map(toContainerSummary);
        },
      });
    },

    inspectContainer(id: string, opts?: CallOptions) {
      return runner.run<ContainerInspectInfo>({
        ...base("inspectContainer", "container", id, opts, true),
        run: (signal) => api.getContainer(id).inspect({ abortSignal: signal }),
      });
    },

    createContainer(spec: ContainerCreateSpec, opts?: CallOptions) {
      const { name, ...body } = spec;
      body.Labels = { ...body.Labels, [LABEL_MANAGED]: "true" };
      return runner.run({
        ...base("createContainer", "container", name, opts, false),
        run: async (signal) => {
          // _query/_body keep the create body out of the URL (dockerode would send it in both).
          const args = { _query: { name }, _body: body, abortSignal: signal };
          const container = await api.createContainer(args as unknown as ContainerCreateOptions);
          return container.id;
        },
      });
    },

    async startContainer(id: string, opts?: CallOptions) {
      await runner.run({
        ...base("startContainer", "container", id, opts, false),
        run: (signal) => api.getContainer(id).start({ abortSignal: signal }) as Promise<unknown>,
        recover: (err) => (err.statusCode === 304 ? { value: undefined } : undefined),
      });
    },

    async stopContainer(id: string, opts?: CallOptions & { timeoutSeconds?: number }) {
      const t = opts?.timeoutSeconds ?? 10;
      await runner.run({
        ...base("stopContainer", "container", id, opts, false),
        timeoutMs: timeoutMs + t * 1000,
        run: (signal) => api.getContainer(id).stop({ t, abortSignal: signal }) as Promise<unknown>,
        recover: (err) => (err.statusCode === 304 ? { value: undefined } : undefined),
      });
    },

    async removeContainer(id: string, opts?: CallOptions & { force?: boolean; volumes?: boolean }) {
      const query = { force: opts?.force ?? false, v: opts?.volumes ?? false };
      await runner.run({
        ...base("removeContainer", "container", id, opts, false),
        run: (signal) => api.getContainer(id).remove({ ...query, abortSignal: signal }) as Promise<unknown>,
      });
    },

    async renameContainer(id: string, newName: string, opts?: CallOptions) {
      await runner.run({
        ...base("renameContainer", "container", id, opts, false),
        run: (signal) =>
          api.getContainer(id).rename({ name: newName, abortSignal: signal }) as Promise<unknown>,
      });
    },

    listNetworks(labelFilters: string[], opts?: CallOptions) {
      return runner.run({
        ...base("listNetworks", "network", labelFilters.join(","), opts, true),
        run: async (signal) => {
          const filters = labelFilters.length > 0 ? { filters: { label: labelFilters } } : {};
          const list = await api.listNetworks({ ...filters, abortSignal: signal });
          return list.map((n): NetworkSummary => ({
            id: n.Id,
            name: n.Name,
            driver: n.Driver,
            labels: n.Labels ?? {},
            subnets: (n.IPAM?.Config ?? []).flatMap((c) => (c.Subnet ? [c.Subnet] : [])),
          }));
        },
      });
    },

    createNetwork(spec: NetworkCreateSpec, opts?: CallOptions) {
      const body = {
        Name: spec.name,
        Driver: spec.driver ?? "bridge",
        Internal: spec.internal ?? false,
        Labels: { ...spec.labels, [LABEL_MANAGED]: "true" },
        CheckDuplicate: true,
        ...(spec.subnet ? { IPAM: { Driver: "default", Config: [{ Subnet: spec.subnet }] } } : {}),
      };
      return runner.run({
        ...base("createNetwork", "network", spec.name, opts, false),
        run: async (signal) => {
          const args = { _query: {}, _body: body, abortSignal: signal };
          const network = await api.createNetwork(args as unknown as Docker.NetworkCreateOptions);
          return network.id;
        },
      });
    },

    async removeNetwork(idOrName: string, opts?: CallOptions) {
      await runner.run({
        ...base("removeNetwork", "network", idOrName, opts, false),
        run: (signal) => api.getNetwork(idOrName).remove({ abortSignal: signal }) as Promise<unknown>,
      });
    },

    async connectNetwork(network: string, container: string, opts?: CallOptions & { aliases?: string[] }) {
      const body = { Container: container, EndpointConfig: { Aliases: opts?.aliases ?? [] } };
      await runner.run({
        ...base("connectNetwork", "network", network, opts, false),
        run: (signal) => {
          const args = { ...body, abortSignal: signal } as Docker.NetworkConnectOptions;
          return api.getNetwork(network).connect(args) as Promise<unknown>;
        },
      });
    },

    inspectImage(ref: string, opts?: CallOptions) {
      return runner.run<string | undefined>({
        ...base("inspectImage", "image", ref, opts, true),
        run: async (signal) => {
          const info = await dial<{ Id: string }>(api, {
            path: `/images/${ref}/json`,
            method: "GET",
            statusCodes: { 200: true, 404: "no such image", 500: "server error" },
            abortSignal: signal,
          });
          return info.Id;
        },
        recover: (err) => (err instanceof ImageNotFoundError ? { value: undefined } : undefined),
      });
    },

    async pullImage(ref: string, opts?: CallOptions & { onProgress?: ProgressListener }) {
      await runner.run({
        ...base("pullImage", "image", ref, opts, false),
        timeoutMs: undefined,
        run: async (signal) => {
          const body = (await api.pull(ref, { abortSignal: signal })) as Readable;
          await consumePull(body, ref, fields("pullImage"), opts?.onProgress);
        },
        refine: (err) =>
          err.statusCode !== undefined && err.constructor === DockerError
            ? new ImagePullError(ref, { ...fields("pullImage"), ...statusOf(err), cause: err })
            : err,
      });
    },

    async buildImage(spec: BuildImageSpec) {
      const built = await runner.run({
        ...base("buildImage", "image", spec.tag, spec, false),
        timeoutMs: undefined,
        run: async (signal) => {
          const context = await packBuildContext(spec.contextDir, { dockerfile: spec.dockerfile, signal });
          try {
            const buildOpts = {
              // repeated `t=` query parameters: one per tag
              t: [spec.tag, ...(spec.extraTags ?? [])] as unknown as string,
              ...(spec.buildArgs ? { buildargs: spec.buildArgs } : {}),
              dockerfile: spec.dockerfile ?? "Dockerfile",
              labels: { ...spec.labels, [LABEL_MANAGED]: "true" },
              rm: true,
              forcerm: true,
              abortSignal: signal,
            };
            const body = (await api.buildImage(context, buildOpts)) as Readable;
            return await consumeBuild(body, spec.tag, fields("buildImage"), spec.onProgress);
          } finally {
            context.destroy();
          }
        },
      });
      return built ?? (await client.inspectImage(spec.tag, spec)) ?? spec.tag;
    },

    streamEvents(opts: EventsOptions): Promise<DockerEventStream> {
      return runner.run({
        ...base("events", "events", "/events", opts, false),
        run: async (signal) => {
          const query = { filters: opts.filters, since: opts.since, abortSignal: signal };
          const body = (await streams.getEvents(query as Docker.GetEventsOptions)) as Readable;
          return eventStream(body, fields("events"), opts.signal);
        },
      });
    },
    ...containerStreamOps({ runner, base, api, streams }),
    ...execOps({ runner, base, api, streams }),
    ...imageOps({ runner, base, api, streams, endpoint: endpoint.display }),
    ...volumeOps({ runner, base, api }),
    ...syncOps({ runner, base, api }),
  };

  function base(
    op: Parameters<CallRunner["run"]>[0]["op"],
    resource: Parameters<CallRunner["run"]>[0]["resource"],
    ref: string,
    opts: CallOptions | undefined,
    idempotent: boolean,
  ) {
    return { op, resource, ref, signal: opts?.signal, timeoutMs, idempotent };
  }

  return client;
}
