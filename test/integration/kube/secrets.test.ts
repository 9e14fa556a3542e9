/**
 * Kube mode: `valueFrom.secretKeyRef` reads a key of a Kubernetes Secret into the container's
 * environment, and the value shows nowhere else: not in the Project's status, not in its events,
 * not in the operator's debug log, not in the REST API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "../operator/daemon.js";
import { execIn } from "../operator/cli-run.js";
import {
  IMAGE,
  kc,
  setupKube,
  startOperator,
  tearDownNamespace,
  waitRunning,
  type KubeOperator,
} from "./operator-harness.js";

const NS = "kube-secrets";
const VALUE = `kube-secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
let op: KubeOperator;

const PROJECT = `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: db, namespace: ${NS}}
spec:
  containers:
    - name: db
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait; done"]
      env: [{name: PGPASSWORD, valueFrom: {secretKeyRef: {name: db-credentials, key: password}}}]
`;

beforeAll(async () => {
  await setupKube([NS]);
  await kc(["delete", "secret", "db-credentials", "-n", NS, "--ignore-not-found"]);
  await kc(["create", "secret", "generic", "db-credentials", "-n", NS, `--from-literal=password=${VALUE}`]);
  op = await startOperator({
    namespace: NS,
    portRange: "30740-30749",
    extraArgs: ["--lease-namespace", NS, "--log-level", "debug"],
  });
}, 10 * 60_000);

afterAll(async () => {
  await tearDownNamespace(NS, [op]);
  await kc(["delete", "secret", "db-credentials", "-n", NS, "--ignore-not-found"]);
}, 240_000);

describe("kube mode: secretKeyRef", () => {
  it("puts the Secret's key into the environment and nowhere else", async () => {
    await kc(["apply", "-f", "-"], PROJECT);
    const running = await waitRunning(NS, "db");
    const id = running.status?.containers?.find((c) => c.name === "db")?.containerID ?? "";
    expect(await execIn(id, ["env"])).toContain(`PGPASSWORD=${VALUE}\n`);

    const object = await kc(["get", "bproj", "db", "-n", NS, "-o", "json"]);
    expect(object).not.toContain(VALUE);
    expect(await kc(["get", "events", "-n", NS, "-o", "json"])).not.toContain(VALUE);
    expect(await (await api(op, `/api/v1/projects/${NS}/db`)).text()).not.toContain(VALUE);
    expect(op.logs()).toContain("level=debug");
    expect(op.logs()).not.toContain(VALUE);
  }, 180_000);

  it("names a missing Secret key in SpecValid, with no value", async () => {
    await kc(["apply", "-f", "-"], PROJECT.replace("key: password", "key: nope"));
    const cond = await (async () => {
      for (let i = 0; i < 300; i++) {
        const text = await kc(["get", "bproj", "db", "-n", NS, "-o", "json"]);
        const s = (
          JSON.parse(text) as {
            status?: { conditions?: { type: string; status: string; message: string; reason: string }[] };
          }
        ).status;
        const c = s?.conditions?.find((x) => x.type === "SpecValid" && x.status === "False");
        if (c) return c;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error("SpecValid never became False");
    })();
    expect(cond.reason).toBe("SecretUnavailable");
    expect(cond.message).toContain(`key "nope" of Secret ${NS}/db-credentials does not exist`);
    expect(cond.message).not.toContain(VALUE);
  }, 120_000);
});
