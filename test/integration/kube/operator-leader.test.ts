/**
 * Leader election with a real Lease: of two instances only the holder reconciles, and a standby
 * takes over when the leader is killed. Instances with different --host-id hold different
 * Leases and run only their own projects.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, docker, eventually } from "../operator/daemon.js";
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

const NS = "kube-leader";
const PORTS = "30300-30399";
const LEADER = "leader_election_master_status";
const RECONCILES = "controller_runtime_reconcile_total";
const running: KubeOperator[] = [];

async function start(hostId?: string): Promise<KubeOperator> {
  const op = await startOperator({
    namespace: NS,
    portRange: PORTS,
    ...(hostId ? { hostId } : {}),
    extraArgs: ["--lease-namespace", NS],
  });
  running.push(op);
  return op;
}

async function instanceOf(name: string): Promise<string[]> {
  const filters = JSON.stringify({ label: [`berth.dev/project=${NS}.${name}`] });
  return (await docker().listContainers({ all: true, filters })).map(
    (c) => c.Labels["berth.dev/instance"] ?? "",
  );
}

async function holder(lease: string): Promise<string> {
  return kc(["get", "lease", lease, "-n", NS, "-o", "jsonpath={.spec.holderIdentity}"]);
}

beforeAll(async () => {
  await setupKube([NS]);
}, 40 * 60_000);

afterAll(async () => {
  await tearDownNamespace(NS, running);
}, 180_000);

describe("kube mode: leader election", () => {
  it("only the leader reconciles; a standby takes over within 20 s when the leader is killed", async () => {
    const a = await start();
    await eventually(
      async () => (await a.metric(LEADER, { name: "berth-default" })) === 1,
      30_000,
      "a leading",
    );
    const b = await start();
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-lead", { text: "one" }));
    const first = await waitRunning(NS, "kube-lead");
    const id = first.status?.containers?.[0]?.containerID;
    expect(await a.metric(RECONCILES)).toBeGreaterThan(0);
    expect(await b.metric(LEADER, { name: "berth-default" })).toBe(0);
    expect(await b.metric(RECONCILES)).toBe(0);
    expect(await holder("berth-default")).toMatch(/_/);
    const leaseHolder = await holder("berth-default");

    const killedAt = Date.now();
    await a.stop("SIGKILL");
    await eventually(
      async () => (await b.metric(LEADER, { name: "berth-default" })) === 1,
      25_000,
      "b leading",
    );
    const takeover = Date.now() - killedAt;
    expect(takeover).toBeLessThanOrEqual(20_000);
    expect(await holder("berth-default")).not.toBe(leaseHolder);

    // The new leader adopts the running container and applies the next change.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await getProject(NS, "kube-lead"))?.status?.containers?.[0]?.containerID).toBe(id);
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-lead", { text: "two" }));
    const second = await eventually(
      async () => {
        const p = await getProject(NS, "kube-lead");
        return p?.status?.observedGeneration === 2 && p.status.phase === "Running" ? p : undefined;
      },
      60_000,
      "the change applied by the new leader",
    );
    expect(second.status?.containers?.[0]?.containerID).not.toBe(id);
    expect(await b.metric(RECONCILES)).toBeGreaterThan(0);
  }, 180_000);

  it("each --host-id holds its own Lease and runs only the projects naming its host", async () => {
    const ha = await start("kube-a");
    const hb = await start("kube-b");
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-on-a", { host: "kube-a" }));
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-on-b", { host: "kube-b" }));
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-anywhere"));
    for (const name of ["kube-on-a", "kube-on-b", "kube-anywhere"]) {
      await waitRunning(NS, name).catch((err: unknown) => {
        const logs = running.map((o) => o.logs().slice(-2500)).join("\n-----\n");
        throw new Error(`${String(err)}; operators' logs:\n${logs}`);
      });
    }
    expect(await instanceOf("kube-on-a")).toEqual(["kube:kube-a"]);
    expect(await instanceOf("kube-on-b")).toEqual(["kube:kube-b"]);
    // Projects without spec.host belong to the instance without --host-id (still running above).
    expect(await instanceOf("kube-anywhere")).toEqual(["kube:default"]);
    expect(await ha.metric(LEADER, { name: "berth-kube-a" })).toBe(1);
    expect(await hb.metric(LEADER, { name: "berth-kube-b" })).toBe(1);
    const [leaseA, leaseB] = [await holder("berth-kube-a"), await holder("berth-kube-b")];
    expect(leaseA).not.toBe("");
    expect(leaseA).not.toBe(leaseB);
    const listed = (await (await api(ha, `/api/v1/projects`)).json()) as { items: { name: string }[] };
    expect(listed.items.map((i) => i.name)).toEqual(["kube-on-a"]);
  }, 180_000);
});
