/**
 * The apiserver goes away for 10 s and comes back: the operator recovers by itself (its watch
 * and its Lease), keeps the running containers, and applies changes it has not seen yet.
 * Stops the shared apiserver for everyone, so it runs last in its file and alone.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KUBE_ENV_SCRIPT } from "../../helpers/kube.js";
import { api, eventually } from "../operator/daemon.js";
import {
  getProject,
  kc,
  projectYaml,
  setupKube,
  startOperator,
  tearDownNamespace,
  waitRunning,
  type KubeOperator,
} from "./operator-harness.js";

const NS = "kube-outage";
const PORTS = "30400-30499";
let op: KubeOperator;

function kubeEnvScript(command: string): void {
  execFileSync("bash", [KUBE_ENV_SCRIPT, command], {
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 180_000,
  });
}

beforeAll(async () => {
  await setupKube([NS]);
  op = await startOperator({ namespace: NS, portRange: PORTS, extraArgs: ["--lease-namespace", NS] });
}, 40 * 60_000);

afterAll(async () => {
  kubeEnvScript("start-apiserver"); // whatever happened above, leave the apiserver running
  await tearDownNamespace(NS, [op]);
}, 240_000);

describe("kube mode: apiserver outage", () => {
  it("recovers after the apiserver was stopped for 10 s and applies the changes made meanwhile", async () => {
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-steady"));
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-changed", { text: "before" }));
    const steady = await waitRunning(NS, "kube-steady");
    const changed = await waitRunning(NS, "kube-changed");
    const steadyId = steady.status?.containers?.[0]?.containerID;
    const changedId = changed.status?.containers?.[0]?.containerID;

    kubeEnvScript("stop-apiserver");
    await new Promise((r) => setTimeout(r, 10_000));
    // The operator keeps serving what it knows while the apiserver is away.
    const view = await api(op, `/api/v1/projects/${NS}/kube-steady`);
    expect(view.status).toBe(200);
    kubeEnvScript("start-apiserver");

    // Changes the operator has not seen: made before its watch is back.
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-changed", { text: "after" }));
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-new"));
    const after = await eventually(
      async () => {
        const p = await getProject(NS, "kube-changed");
        return p?.status?.observedGeneration === 2 && p.status.phase === "Running" ? p : undefined;
      },
      90_000,
      "the change made during recovery applied",
    );
    expect(after.status?.containers?.[0]?.containerID).not.toBe(changedId);
    await waitRunning(NS, "kube-new", 90_000);

    expect(op.proc.exitCode).toBeNull();
    expect((await getProject(NS, "kube-steady"))?.status?.containers?.[0]?.containerID).toBe(steadyId);
    expect(await op.metric("berth_kube_watch_restarts_total")).toBeGreaterThan(0);
    await eventually(
      async () => (await op.metric("leader_election_master_status")) === 1,
      30_000,
      "leading again",
    );

    // Deleting still goes through the finalizer once the operator is back.
    await kc(["delete", "bproj", "kube-new", "-n", NS, "--wait=true", "--timeout=60s"]);
    expect(await getProject(NS, "kube-new")).toBeUndefined();
  }, 300_000);
});
