/**
 * The container log and stats operations of the dockerode client (split out of
 * dockerode-client.ts to keep files small). Log follows use the unpooled stream connection; a
 * one-shot stats read uses the pooled one.
 */
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import type { CallOptions, DockerClient, FollowLogsOptions } from "./client.js";
import type { CallRunner, CallSpec } from "./docker-call.js";

/** What the operations need from the client that owns them. */
export interface ContainerStreamDeps {
  runner: CallRunner;
  /** The common call fields (op, resource, ref, signal, timeout, idempotent). */
  base: (
    op: CallSpec<unknown>["op"],
    resource: CallSpec<unknown>["resource"],
    ref: string,
    opts: CallOptions | undefined,
    idempotent: boolean,
  ) => Pick<CallSpec<unknown>, "op" | "resource" | "ref" | "signal" | "timeoutMs" | "idempotent">;
  /** dockerode on the shared keep-alive agent. */
  api: Docker;
  /** dockerode on unpooled connections, for long-lived streams. */
  streams: Docker;
}

/** Builds `followLogs` and `containerStats`; see {@link DockerClient} for their contracts. */
export function containerStreamOps(
  d: ContainerStreamDeps,
): Pick<DockerClient, "followLogs" | "containerStats"> {
  return {
    followLogs(id: string, opts: FollowLogsOptions = {}): Promise<Readable> {
      return d.runner.run({
        ...d.base("logs", "container", id, opts, false),
        run: async (signal) => {
          const query = {
            follow: true as const,
            stdout: true,
            stderr: true,
            timestamps: true,
            ...(opts.since !== undefined ? { since: opts.since } : {}),
            ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
            abortSignal: signal,
          };
          const body = (await d.streams.getContainer(id).logs(query)) as Readable;
          closeOnAbort(body, opts.signal);
          return body;
        },
      });
    },

    containerStats(id: string, opts?: CallOptions): Promise<unknown> {
      return d.runner.run<unknown>({
        ...d.base("stats", "container", id, opts, true),
        run: (signal) => {
          const query = { stream: false as const, "one-shot": true, abortSignal: signal };
          return d.api.getContainer(id).stats(query);
        },
      });
    },
  };
}

function closeOnAbort(body: Readable, signal: AbortSignal | undefined): void {
  if (signal === undefined) return;
  const close = (): void => void body.destroy();
  if (signal.aborted) close();
  signal.addEventListener("abort", close, { once: true });
  body.once("close", () => signal.removeEventListener("abort", close));
}
