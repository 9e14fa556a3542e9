import { describe, expect, it } from "vitest";
import { resolveDockerEndpoint } from "../../../src/runtime/dockerode-util.js";
import { projectKeyFromLabel, projectLabelValue } from "../../../src/runtime/labels.js";
import { sameObservation, toObservedContainer } from "../../../src/runtime/observed.js";
import { inspectDoc } from "../../helpers/fake-docker.js";

describe("toObservedContainer", () => {
  it("maps state, health, times, labels and both port maps", () => {
    const doc = inspectDoc("abc", "default.shop-api", {
      Status: "restarting",
      Running: true,
      Restarting: true,
      ExitCode: 2,
      Health: { Status: "unhealthy", FailingStreak: 3, Log: [] },
    });
    (doc.HostConfig as unknown as Record<string, unknown>).PortBindings = {
      "9090/udp": [{ HostIp: "", HostPort: "" }],
      "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "20001" }],
    };
    (doc.NetworkSettings as unknown as Record<string, unknown>).Ports = { "80/tcp": null, "9090/udp": null };
    const c = toObservedContainer(doc);
    expect(c).toMatchObject({
      id: "abc",
      name: "berth-default-shop-api-abc",
      projectKey: "default/shop-api",
      containerName: "abc",
      specHash: undefined,
      state: "restarting",
      exitCode: 2,
      health: "unhealthy",
      finishedAt: undefined,
      image: "berth-test/busybox:1",
      imageID: "sha256:img",
      restartPolicy: "always",
      ports: [],
    });
    expect(c.portBindings).toEqual([
      { containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 20001 },
      { containerPort: 9090, protocol: "udp", hostIp: "", hostPort: 0 },
    ]);
    expect(Object.isFrozen(c) && Object.isFrozen(c.labels) && Object.isFrozen(c.portBindings)).toBe(true);
  });

  it("compares observations by value", () => {
    const a = toObservedContainer(inspectDoc("a", "ns.p"));
    expect(sameObservation(a, toObservedContainer(inspectDoc("a", "ns.p")))).toBe(true);
    expect(sameObservation(a, toObservedContainer(inspectDoc("a", "ns.p", {}, 1)))).toBe(false);
  });
});

describe("project labels", () => {
  it("maps queue keys to label values and back", () => {
    expect(projectLabelValue("default/shop-api")).toBe("default.shop-api");
    expect(projectKeyFromLabel("default.shop-api")).toBe("default/shop-api");
    expect(projectKeyFromLabel(undefined)).toBeUndefined();
    expect(projectKeyFromLabel("nodot")).toBeUndefined();
    expect(() => projectLabelValue("noslash")).toThrow(/namespace/);
  });
});

describe("resolveDockerEndpoint", () => {
  it.each([
    [{}, { socketPath: "/var/run/docker.sock", display: "unix:///var/run/docker.sock" }],
    [{ socketPath: "/tmp/d.sock" }, { socketPath: "/tmp/d.sock", display: "unix:///tmp/d.sock" }],
    [{ host: "unix:///run/x.sock" }, { socketPath: "/run/x.sock" }],
    [{ host: "tcp://127.0.0.1:2375" }, { host: "127.0.0.1", port: 2375, display: "tcp://127.0.0.1:2375" }],
    [{ host: "localhost:2999" }, { host: "localhost", port: 2999 }],
  ])("%j", (input, expected) => {
    expect(resolveDockerEndpoint(input)).toMatchObject(expected);
  });

  it("rejects TLS and ssh addresses with a hint", () => {
    expect(() => resolveDockerEndpoint({ host: "ssh://me@box" })).toThrow(/tcp:\/\/host:port/);
  });
});
