/** Helpers of the dockerode client: address parsing, raw requests and response narrowing. */
import type Docker from "dockerode";
import type { ContainerSummary } from "./client.js";
import type { DockerError } from "./errors.js";

/** A resolved daemon address. */
export interface Endpoint {
  display: string;
  socketPath?: string;
  host?: string;
  port?: number;
}

/** Parses the daemon address. Throws for unsupported schemes (TLS and ssh are not supported). Pure. */
export function resolveDockerEndpoint(options: {
  socketPath?: string | undefined;
  host?: string | undefined;
}): Endpoint {
  if (options.socketPath) return { display: `unix://${options.socketPath}`, socketPath: options.socketPath };
  const host = options.host?.trim();
  if (!host) return { display: "unix:///var/run/docker.sock", socketPath: "/var/run/docker.sock" };
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length) || "/var/run/docker.sock";
    return { display: `unix://${socketPath}`, socketPath };
  }
  const url = new URL(host.includes("://") ? host : `tcp://${host}`);
  if (url.protocol !== "tcp:" && url.protocol !== "http:") {
    throw new Error(`unsupported Docker host "${host}": use unix:///path/to/docker.sock or tcp://host:port`);
  }
  const port = url.port ? Number(url.port) : 2375;
  return { display: `tcp://${url.hostname}:${port}`, host: url.hostname, port };
}

/** The status fields of a typed error, to build a more specific one. */
export function statusOf(err: DockerError): { statusCode?: number; daemonMessage?: string } {
  return { statusCode: err.statusCode, daemonMessage: err.daemonMessage };
}

/** Narrows a list entry. Pure. */
export function toContainerSummary(c: Docker.ContainerInfo): ContainerSummary {
  return {
    id: c.Id,
    names: c.Names.map((n) => n.replace(/^\//, "")),
    image: c.Image,
    imageID: c.ImageID,
    labels: c.Labels ?? {},
    state: c.State,
  };
}

/** A raw request for {@link dial}. */
export interface DialOptions {
  path: string;
  method: string;
  statusCodes: Record<number, boolean | string>;
  abortSignal: AbortSignal;
}

/** A raw docker-modem request, for endpoints dockerode does not wire an abort signal into. */
export function dial<T>(docker: Docker, options: DialOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    docker.modem.dial({ ...options, options: {} }, (err: unknown, data: unknown) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(data as T);
    });
  });
}
