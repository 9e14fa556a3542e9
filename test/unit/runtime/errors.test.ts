import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { CallRunner } from "../../../src/runtime/docker-call.js";
import { createDockerMetrics, DockerCallCounter } from "../../../src/runtime/docker-metrics.js";
import {
  ConflictError,
  DockerError,
  DockerTimeoutError,
  DockerUnavailableError,
  ImageNotFoundError,
  NotFoundError,
  toDockerError,
} from "../../../src/runtime/errors.js";
import type { DockerErrorContext } from "../../../src/runtime/errors.js";

const endpoint = "unix:///var/run/docker.sock";
const ctx = (over: Partial<DockerErrorContext> = {}): DockerErrorContext => ({
  op: "inspectContainer",
  endpoint,
  resource: "container",
  ref: "berth-default-shop-api-api",
  ...over,
});

/** The shape docker-modem rejects with when the daemon answers with an error status. */
function modemError(statusCode: number, message: string): Error {
  const err = new Error(`(HTTP code ${statusCode}) unexpected - ${message} `) as Error &
    Record<string, unknown>;
  err.statusCode = statusCode;
  err.json = { message };
  return err;
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} /var/run/docker.sock`), { code });
}

describe("toDockerError", () => {
  it("maps 404 on a container to NotFoundError naming the container, the daemon and the op", () => {
    const err = toDockerError(modemError(404, "No such container: x"), ctx());
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toBeInstanceOf(DockerError);
    expect(err.name).toBe("NotFoundError");
    expect(err).toMatchObject({ op: "inspectContainer", statusCode: 404, resource: "container", endpoint });
    expect(err.message).toContain('container "berth-default-shop-api-api" not found');
    expect(err.message).toContain(endpoint);
    expect(err.daemonMessage).toBe("No such container: x");
    expect(err.cause).toBeInstanceOf(Error);
  });

  it("maps 404 'No such image' on a create to ImageNotFoundError with the image reference", () => {
    const err = toDockerError(
      modemError(404, "No such image: shop/api:2"),
      ctx({ op: "createContainer", ref: "berth-x" }),
    );
    expect(err).toBeInstanceOf(ImageNotFoundError);
    expect((err as ImageNotFoundError).image).toBe("shop/api:2");
    expect(err.message).toMatch(/docker pull/);
  });

  it("maps 404 on an image operation to ImageNotFoundError", () => {
    const err = toDockerError(
      modemError(404, "pull access denied"),
      ctx({ resource: "image", ref: "a/b:1" }),
    );
    expect(err).toBeInstanceOf(ImageNotFoundError);
    expect((err as ImageNotFoundError).image).toBe("a/b:1");
  });

  it("maps 409 to ConflictError with the daemon's text and a remedy", () => {
    const text = 'Conflict. The container name "/berth-x" is already in use';
    const err = toDockerError(modemError(409, text), ctx({ op: "createContainer", ref: "berth-x" }));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toContain(text);
    expect(err.message).toContain("docker rm -f berth-x");
  });

  it("maps 403 on a network removal (active endpoints) to ConflictError, but not elsewhere", () => {
    const e = modemError(403, "error while removing network: network x has active endpoints");
    expect(toDockerError(e, ctx({ resource: "network", op: "removeNetwork" }))).toBeInstanceOf(ConflictError);
    expect(toDockerError(e, ctx())).not.toBeInstanceOf(ConflictError);
  });

  it.each(["ECONNREFUSED", "ENOENT", "ECONNRESET"])("maps %s to DockerUnavailableError", (code) => {
    const err = toDockerError(socketError(code), ctx({ op: "ping", resource: "daemon" }));
    expect(err).toBeInstanceOf(DockerUnavailableError);
    expect((err as DockerUnavailableError).code).toBe(code);
    expect(err.statusCode).toBeUndefined();
    expect(err.message).toContain(`cannot reach the Docker daemon at ${endpoint}`);
    expect(err.message).toMatch(/start dockerd/);
  });

  it("tells how to fix a permission error on the socket", () => {
    const err = toDockerError(socketError("EACCES"), ctx({ op: "ping" }));
    expect(err).toBeInstanceOf(DockerUnavailableError);
    expect(err.message).toMatch(/"docker" group/);
  });

  it("keeps other statuses as a DockerError carrying the daemon's message", () => {
    const err = toDockerError(modemError(500, "driver failed programming external connectivity"), ctx());
    expect(err.constructor).toBe(DockerError);
    expect(err.statusCode).toBe(500);
    expect(err.message).toContain("(HTTP 500): driver failed programming external connectivity");
  });

  it("returns a DockerError unchanged and survives non-Error values", () => {
    const typed = new DockerError("x", { op: "ping", endpoint });
    expect(toDockerError(typed, ctx())).toBe(typed);
    expect(toDockerError("boom", ctx()).message).toContain("boom");
  });
});

function runner() {
  const registry = new Registry();
  const counter = new DockerCallCounter();
  return { registry, counter, runner: new CallRunner(endpoint, createDockerMetrics(registry), counter) };
}

async function sample(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return match?.value ?? 0;
}

describe("CallRunner", () => {
  const spec = { op: "inspectContainer" as const, resource: "container" as const, ref: "c1" };

  it("counts every call per op and records result and duration on the given registry", async () => {
    const h = runner();
    await h.runner.run({ ...spec, run: async () => "ok" });
    await expect(
      h.runner.run({ ...spec, run: () => Promise.reject(modemError(404, "No such container: c1")) }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(h.counter.count("inspectContainer")).toBe(2);
    expect(h.counter.count()).toBe(2);
    expect(h.counter.snapshot()).toEqual({ inspectContainer: 2 });
    const requests = "berth_docker_api_requests_total";
    expect(await sample(h.registry, requests, { op: "inspectContainer", result: "ok" })).toBe(1);
    expect(await sample(h.registry, requests, { op: "inspectContainer", result: "not_found" })).toBe(1);
    const hist = await h.registry.getSingleMetric("berth_docker_api_duration_seconds")?.get();
    const observations = hist?.values.find(
      (v) =>
        (v as { metricName?: string }).metricName === "berth_docker_api_duration_seconds_count" &&
        v.labels.op === "inspectContainer",
    );
    expect(observations?.value).toBe(2);
  });

  it("reuses the metrics when a second client registers on the same registry", () => {
    const registry = new Registry();
    createDockerMetrics(registry);
    expect(() => createDockerMetrics(registry)).not.toThrow();
  });

  it("turns a missed deadline into DockerTimeoutError and aborts the request", async () => {
    const h = runner();
    let aborted = false;
    const err = await h.runner
      .run({
        ...spec,
        timeoutMs: 20,
        run: (signal) =>
          new Promise((_, reject) =>
            signal.addEventListener("abort", () => {
              aborted = true;
              reject(new Error("aborted"));
            }),
          ),
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerTimeoutError);
    expect(aborted).toBe(true);
    expect((err as DockerTimeoutError).message).toMatch(/did not answer inspectContainer within 20 ms/);
    expect(await sample(h.registry, "berth_docker_api_requests_total", { result: "timeout" })).toBe(1);
  });

  it("rejects with the caller's abort reason, and makes no call when already aborted", async () => {
    const h = runner();
    const ac = new AbortController();
    const reason = new Error("shutting down");
    const p = h.runner.run({
      ...spec,
      signal: ac.signal,
      run: (signal) =>
        new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
    });
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    await expect(h.runner.run({ ...spec, signal: ac.signal, run: async () => 1 })).rejects.toBe(reason);
    expect(h.counter.count()).toBe(1);
  });

  it("recovers an expected status (304 already started) as success", async () => {
    const h = runner();
    const value = await h.runner.run({
      ...spec,
      op: "startContainer",
      run: () => Promise.reject(modemError(304, "")),
      recover: (e) => (e.statusCode === 304 ? { value: "already" } : undefined),
    });
    expect(value).toBe("already");
    expect(
      await sample(h.registry, "berth_docker_api_requests_total", { op: "startContainer", result: "ok" }),
    ).toBe(1);
  });

  it("retries an idempotent read once when a pooled socket was reset, but not a write", async () => {
    const h = runner();
    let n = 0;
    const flaky = async (): Promise<string> => {
      n += 1;
      if (n === 1) throw socketError("ECONNRESET");
      return "second";
    };
    await expect(h.runner.run({ ...spec, idempotent: true, run: flaky })).resolves.toBe("second");
    expect(h.counter.count("inspectContainer")).toBe(2);
    n = 0;
    await expect(h.runner.run({ ...spec, op: "createContainer", run: flaky })).rejects.toBeInstanceOf(
      DockerUnavailableError,
    );
  });
});
