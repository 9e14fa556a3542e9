import { describe, expect, it } from "vitest";
import { parseProjects } from "../../../src/api/index.js";
import type { ContainerSpec } from "../../../src/api/types.js";
import { containerHash, createSpec, type ContainerInputs } from "../../../src/reconcilers/container-spec.js";

function spec(extra: string): ContainerSpec {
  const yaml = `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: api, image: img:1${extra}}\n`;
  const c = parseProjects(yaml, "p.yaml").projects[0]?.project.spec.containers[0];
  if (!c) throw new Error("invalid fixture");
  return c;
}

function inputs(c: ContainerSpec, over: Partial<ContainerInputs> = {}): ContainerInputs {
  return {
    key: "default/p",
    instance: "host:abc",
    spec: c,
    ports: [{ container: "api", portName: "http", containerPort: 8080, hostPort: 20100, protocol: "TCP" }],
    imageID: "sha256:abc",
    network: "berth-default-p",
    publishAddress: "127.0.0.1",
    hostPaths: c.volumes?.map((v) => `/real/${v.hostPath}`) ?? [],
    restartedAt: undefined,
    ...over,
  };
}

describe("container spec and hash", () => {
  const c = spec(
    ", command: [sh, -c], args: ['echo hi'], env: [{name: A, value: b}], ports: [{name: http, containerPort: 8080}], resources: {memory: 64Mi, cpu: 500m}, volumes: [{hostPath: data, mountPath: /data, readOnly: true}], restartPolicy: OnFailure, healthCheck: {exec: {command: ['true']}, periodSeconds: 2}",
  );

  it("maps the spec onto Docker's create body", () => {
    const body = createSpec(inputs(c), "berth-default-p-api", "h");
    expect(body).toMatchObject({
      name: "berth-default-p-api",
      Image: "img:1",
      Entrypoint: ["sh", "-c"],
      Cmd: ["echo hi"],
      Env: ["A=b"],
      ExposedPorts: { "8080/tcp": {} },
      Labels: {
        "berth.dev/managed": "true",
        "berth.dev/project": "default.p",
        "berth.dev/container": "api",
        "berth.dev/spec-hash": "h",
        "berth.dev/instance": "host:abc",
      },
      Healthcheck: { Test: ["CMD", "true"], Interval: 2e9, Retries: 3 },
      HostConfig: {
        NetworkMode: "berth-default-p",
        PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "20100" }] },
        RestartPolicy: { Name: "on-failure" },
        Binds: ["/real/data:/data:ro"],
        Memory: 64 * 2 ** 20,
        NanoCpus: 5e8,
      },
      NetworkingConfig: { EndpointsConfig: { "berth-default-p": { Aliases: ["api"] } } },
    });
  });

  it("binds each volume from its resolved real path, never from the path as written", () => {
    const linked = spec(", volumes: [{hostPath: ./link, mountPath: /a}, {hostPath: /abs, mountPath: /b}]");
    const body = createSpec(inputs(linked, { hostPaths: ["/w/real", "/abs"] }), "n", "h");
    expect(body.HostConfig?.Binds).toEqual(["/w/real:/a", "/abs:/b"]);
    expect(() => createSpec(inputs(linked, { hostPaths: ["/w/real"] }), "n", "h")).toThrow(
      /no resolved host path/,
    );
  });

  it("changes the hash with the spec, host ports, image, restart marker and real volume paths only", () => {
    const base = containerHash(inputs(c));
    expect(containerHash(inputs(c))).toBe(base);
    expect(containerHash(inputs(spec(", env: [{name: A, value: c}]")))).not.toBe(base);
    expect(
      containerHash(
        inputs(c, {
          ports: [
            { container: "api", portName: "http", containerPort: 8080, hostPort: 20101, protocol: "TCP" },
          ],
        }),
      ),
    ).not.toBe(base);
    expect(containerHash(inputs(c, { imageID: "sha256:def" }))).not.toBe(base);
    expect(containerHash(inputs(c, { restartedAt: "2026-01-01T00:00:00Z" }))).not.toBe(base);
    expect(containerHash(inputs(c, { hostPaths: ["/re-pointed/data"] }))).not.toBe(base);
    expect(containerHash(inputs(c, { hostPaths: ["/real/data"] }))).toBe(base);
  });

  it("leaves develop.watch out of the hash: editing the dev loop replaces nothing", () => {
    const plain = spec("");
    const watched = spec(", develop: {watch: [{path: ./src, action: sync, target: /app}]}");
    expect(watched.develop?.watch).toHaveLength(1);
    expect(containerHash(inputs(watched))).toBe(containerHash(inputs(plain)));
  });
});
