import { describe, expect, it } from "vitest";
import {
  OptionError,
  parseRunOptions,
  RUN_FLAG_DEFAULTS,
  type RunFlags,
} from "../../../src/operator/options.js";

const flags: RunFlags = { ...RUN_FLAG_DEFAULTS, stateDir: "/tmp/state" };

describe("kube-mode options", () => {
  it("needs --dir or --kube", () => {
    expect(() => parseRunOptions(flags, {})).toThrow(/--dir DIR .* or --kube/);
    expect(parseRunOptions({ ...flags, dir: "/tmp/specs" }, {}).kube).toBeUndefined();
  });

  it("takes --build-root in kube mode as the specs' directory and an allowed root, and refuses it in file mode", () => {
    const o = parseRunOptions(
      { ...flags, kube: true, buildRoot: "/srv/builds", allowHostPath: ["/data"] },
      {},
    );
    expect(o.kube?.buildRoot).toBe("/srv/builds");
    expect(o.allowHostPaths).toEqual(["/srv/builds", "/data"]);
    expect(() => parseRunOptions({ ...flags, dir: "/tmp/specs", buildRoot: "/srv" }, {})).toThrow(
      /--build-root is for kube mode/,
    );
  });

  it("defaults to every namespace, leader election on, 15s/10s/2s, lease berth-default", () => {
    const o = parseRunOptions({ ...flags, kube: true }, {});
    expect(o.kube).toEqual({
      namespace: undefined,
      kubeconfig: undefined,
      leaderElect: true,
      leaseNamespace: undefined,
      leaseName: "berth-default",
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      watchStallMs: 120_000,
      buildRoot: undefined,
    });
    // no spec directory: relative hostPaths resolve below the state directory
    expect(o.dir).toBe("/tmp/state/kube-projects");
    expect(o.allowHostPaths).toEqual(["/tmp/state/kube-projects"]);
  });

  it("names the lease after the host id and honours --no-leader-elect", () => {
    const o = parseRunOptions(
      { ...flags, kube: true, hostId: "debug-1", leaderElect: false, namespace: "team-a" },
      {},
    );
    expect(o.kube).toMatchObject({ leaseName: "berth-debug-1", leaderElect: false, namespace: "team-a" });
  });

  it("rejects bad namespaces, host ids and lease timings, naming the flag", () => {
    expect(() => parseRunOptions({ ...flags, kube: true, namespace: "Team_A" }, {})).toThrow(
      /--namespace "Team_A"/,
    );
    expect(() => parseRunOptions({ ...flags, kube: true, hostId: "Host A" }, {})).toThrow(
      /--host-id "Host A"/,
    );
    expect(() => parseRunOptions({ ...flags, kube: true, renewDeadline: "20s" }, {})).toThrow(OptionError);
    expect(() => parseRunOptions({ ...flags, kube: true, retryPeriod: "soon" }, {})).toThrow(
      /--retry-period "soon"/,
    );
  });
});
