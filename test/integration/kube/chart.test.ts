import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { readTestEnv } from "../../helpers/env.js";
import { helm, kubeEnv, kubectl } from "../../helpers/kube.js";
import { docker, eventually, freePort, removeProjects } from "../operator/daemon.js";

/*
 * The Helm chart against the real kube-apiserver: lint, server-side dry runs of what it renders,
 * an install that creates every object, and the service account's permissions asked of the
 * apiserver's RBAC authorizer. This control plane has no kube-controller-manager, scheduler or
 * kubelet: the Deployment is stored but gets no ReplicaSet or pod, so nothing here runs the
 * operator; the operator's own kube tests do that.
 */

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const CHART = `${ROOT}helm/berth`;
const NAMESPACE = "berth-chart-test";
/** Projects of the release installed with operator.watchNamespace live here. */
const WATCHED = "berth-chart-watched";
const RELEASE = "chart-test";
const BUILD_TIMEOUT_MS = 40 * 60_000;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** The objects of a multi-document YAML text (empty documents skipped). */
function objects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

async function template(args: readonly string[] = []): Promise<K8sObject[]> {
  const res = await helm(["template", RELEASE, CHART, "-n", NAMESPACE, ...args]);
  expect(res.code, res.stderr).toBe(0);
  return objects(res.stdout);
}

function find(all: K8sObject[], kind: string): K8sObject {
  const found = all.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} rendered`);
  return found;
}

interface PodSpec {
  hostNetwork: boolean;
  serviceAccountName: string;
  securityContext: { runAsNonRoot?: boolean; runAsUser?: number; supplementalGroups?: number[] };
  containers: {
    args: string[];
    env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
    livenessProbe: { httpGet: { path: string; port: string } };
    readinessProbe: { httpGet: { path: string; port: string } };
    securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean };
    resources: { requests?: object; limits?: object };
    volumeMounts: { name: string; mountPath: string }[];
  }[];
  volumes: { name: string; hostPath?: { path: string; type: string }; emptyDir?: object }[];
}

function podSpec(all: K8sObject[]): PodSpec {
  return (find(all, "Deployment") as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

/** `kubectl apply --dry-run=server` of rendered objects; every one must be accepted. */
async function serverDryRun(all: K8sObject[]): Promise<void> {
  const input = all.map((o) => JSON.stringify(o)).join("\n---\n");
  const res = await kubectl(["apply", "--dry-run=server", "-f", "-"], { input });
  expect(res.code, res.stderr).toBe(0);
  expect(res.stdout.trim().split("\n")).toHaveLength(all.length);
  for (const line of res.stdout.trim().split("\n"))
    expect(line).toMatch(/ (created|configured|unchanged) \(server dry run\)$/);
}

const SA = `system:serviceaccount:${NAMESPACE}:${RELEASE}-berth`;

/** `kubectl auth can-i` as the chart's service account: true for yes. */
async function can(verb: string, resource: string, ...args: string[]): Promise<boolean> {
  const res = await kubectl(["auth", "can-i", verb, resource, "--as", SA, ...args]);
  expect(res.stdout.trim(), res.stderr).toMatch(/^(yes|no)/);
  return res.stdout.trim().startsWith("yes");
}

async function ensureNamespace(name: string): Promise<void> {
  const res = await kubectl(["create", "namespace", name]);
  if (res.code !== 0) expect(res.stderr).toContain("AlreadyExists");
}

async function uninstall(release: string): Promise<void> {
  await helm(["uninstall", release, "-n", NAMESPACE, "--ignore-not-found"]);
}

beforeAll(async () => {
  kubeEnv();
  const crd = await kubectl(["apply", "-f", `${CHART}/crds/`]);
  expect(crd.code, crd.stderr).toBe(0);
  await kubectl(["wait", "--for=condition=Established", "crd/projects.berth.dev", "--timeout=60s"]);
  // Namespaces stay between runs: this control plane has no namespace controller to delete them.
  await ensureNamespace(NAMESPACE);
  await ensureNamespace(WATCHED);
  await uninstall(RELEASE);
  await uninstall(`${RELEASE}-watched`);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await uninstall(RELEASE);
  await uninstall(`${RELEASE}-watched`);
});

describe("helm lint and the values schema", () => {
  it("lints clean, also with --strict and with the non-default branches", async () => {
    for (const extra of [
      [],
      ["--strict"],
      [
        "--strict",
        "--set",
        "docker.host=tcp://debug-host:2376,operator.watchNamespace=team-a,operator.hostId=box-1",
        "--set",
        "stateDir.hostPath=/var/lib/berth,rbac.projectWrites=false,replicaCount=2,hostNetwork=false",
      ],
    ]) {
      const res = await helm(["lint", CHART, ...extra]);
      expect(res.code, res.stdout + res.stderr).toBe(0);
      expect(res.stdout).toContain("1 chart(s) linted, 0 chart(s) failed");
      expect(res.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it.each([
    [["--set", "replicaCount=abc"], "at '/replicaCount': got string, want integer"],
    [["--set", "docker.socketGid=-1"], "at '/docker/socketGid'"],
    [["--set", "operator.logLevel=verbose"], "at '/operator/logLevel'"],
    [["--set", "operator.watchNamespace=Team_A"], "at '/operator/watchNamespace'"],
    [["--set", "service.port=70000"], "at '/service/port'"],
    [["--set", "replicas=2"], "additional properties 'replicas' not allowed"],
    [["--set", "image.pullPolicy=Sometimes"], "at '/image/pullPolicy'"],
  ])("refuses %j, naming the value", async (args, message) => {
    const res = await helm(["template", RELEASE, CHART, ...args]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("values don't meet the specifications of the schema");
    expect(res.stderr).toContain(message);
  });
});

describe("helm template", () => {
  it("passes kubectl apply --dry-run=server with the defaults and with every optional branch", async () => {
    await serverDryRun(await template());
    const variant = await template([
      "--set",
      `docker.host=tcp://debug-host:2376,operator.watchNamespace=${WATCHED},operator.hostId=box-1`,
      "--set",
      "stateDir.hostPath=/var/lib/berth,rbac.projectWrites=false,replicaCount=2,hostNetwork=false",
      "--set",
      "http.token.existingSecret=my-token,serviceAccount.name=operator",
    ]);
    expect(variant.map((o) => o.kind)).not.toContain("Secret");
    await serverDryRun(variant);
  });

  it("labels every object with app.kubernetes.io/*", async () => {
    for (const o of await template()) {
      expect(o.metadata.labels, `${o.kind}/${o.metadata.name}`).toMatchObject({
        "app.kubernetes.io/name": "berth",
        "app.kubernetes.io/instance": RELEASE,
        "app.kubernetes.io/version": "0.1.0",
        "app.kubernetes.io/managed-by": "Helm",
        "helm.sh/chart": "berth-0.1.0",
      });
    }
  });

  it("runs berth run --kube as non-root with the Docker socket's group, probes and resources", async () => {
    const spec = podSpec(await template(["--set", "docker.socketGid=109"]));
    const [c] = spec.containers;
    if (!c) throw new Error("no container");
    expect(c.args.slice(0, 2)).toEqual(["run", "--kube"]);
    expect(c.args).toContain(`--lease-namespace=${NAMESPACE}`);
    expect(c.args).toContain("--http=0.0.0.0:7420");
    // the Service's names pass the Host check
    expect(c.args).toContain(`--allowed-host=${RELEASE}-berth.${NAMESPACE}.svc`);
    expect(c.args.some((a) => a.startsWith("--namespace"))).toBe(false);
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      supplementalGroups: [109],
    });
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    expect(c.resources.requests).toBeDefined();
    expect(c.resources.limits).toBeDefined();
    expect(spec.volumes).toContainEqual({
      name: "docker-socket",
      hostPath: { path: "/var/run/docker.sock", type: "Socket" },
    });
    expect(c.env).toContainEqual({ name: "DOCKER_HOST", value: "unix:///var/run/docker.sock" });
    expect(c.env).toContainEqual({
      name: "BERTH_TOKEN",
      valueFrom: { secretKeyRef: { name: `${RELEASE}-berth-token`, key: "token" } },
    });
    expect(spec.hostNetwork).toBe(true);
  });

  it("uses DOCKER_HOST instead of the socket, and passes the namespace and host id", async () => {
    const spec = podSpec(
      await template([
        "--set",
        "docker.host=tcp://debug-host:2376,operator.watchNamespace=team-a,operator.hostId=box-1",
      ]),
    );
    const [c] = spec.containers;
    if (!c) throw new Error("no container");
    expect(c.env).toContainEqual({ name: "DOCKER_HOST", value: "tcp://debug-host:2376" });
    expect(spec.volumes.map((v) => v.name)).not.toContain("docker-socket");
    expect(spec.securityContext.supplementalGroups).toBeUndefined();
    expect(c.args).toEqual(expect.arrayContaining(["--namespace=team-a", "--host-id=box-1"]));
  });

  it("renders a ServiceMonitor only when enabled, and refuses one the cluster cannot take", async () => {
    expect((await template()).map((o) => o.kind)).not.toContain("ServiceMonitor");
    const refused = await helm(["template", RELEASE, CHART, "--set", "serviceMonitor.enabled=true"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      "serviceMonitor.enabled needs the monitoring.coreos.com/v1 ServiceMonitor CRD",
    );
    const all = await template([
      "--set",
      "serviceMonitor.enabled=true,serviceMonitor.labels.release=prom",
      "--api-versions",
      "monitoring.coreos.com/v1/ServiceMonitor",
    ]);
    const monitor = find(all, "ServiceMonitor") as unknown as {
      metadata: { labels: Record<string, string> };
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string; bearerTokenSecret: { name: string; key: string } }[];
      };
    };
    expect(monitor.metadata.labels["release"]).toBe("prom");
    expect(monitor.spec.endpoints).toEqual([
      expect.objectContaining({
        port: "http",
        path: "/metrics",
        bearerTokenSecret: { name: `${RELEASE}-berth-token`, key: "token" },
      }),
    ]);
    // it selects the Service, whose port it names
    const service = find(all, "Service") as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { ports: { name: string }[] };
    };
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(service.spec.ports.map((p) => p.name)).toContain("http");
  });
});

describe("helm install", () => {
  it("creates every rendered object, keeps the token on upgrade, and uninstall removes them all", async () => {
    const installed = await helm(["install", RELEASE, CHART, "-n", NAMESPACE]);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain("STATUS: deployed");
    expect(installed.stdout).toContain(`kubectl -n ${NAMESPACE} get secret ${RELEASE}-berth-token`);

    const manifest = await helm(["get", "manifest", RELEASE, "-n", NAMESPACE]);
    const rendered = objects(manifest.stdout);
    expect(rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        "ClusterRole/chart-test-berth",
        "ClusterRoleBinding/chart-test-berth",
        "Deployment/chart-test-berth",
        "Role/chart-test-berth-leader-election",
        "RoleBinding/chart-test-berth-leader-election",
        "Secret/chart-test-berth-token",
        "Service/chart-test-berth",
        "ServiceAccount/chart-test-berth",
      ].sort(),
    );
    const ref = (o: K8sObject) => [`${o.kind}/${o.metadata.name}`];
    for (const o of rendered) {
      const got = await kubectl(["get", ...ref(o), "-n", NAMESPACE, "-o", "name"]);
      expect(got.code, got.stderr).toBe(0);
    }
    const tokenOf = async () =>
      (
        await kubectl([
          "get",
          "secret",
          `${RELEASE}-berth-token`,
          "-n",
          NAMESPACE,
          "-o",
          "jsonpath={.data.token}",
        ])
      ).stdout;
    const token = await tokenOf();
    expect(Buffer.from(token, "base64").toString()).toMatch(/^[A-Za-z0-9]{40}$/);
    const upgraded = await helm([
      "upgrade",
      RELEASE,
      CHART,
      "-n",
      NAMESPACE,
      "--set",
      "operator.logLevel=debug",
    ]);
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(await tokenOf()).toBe(token);

    const removed = await helm(["uninstall", RELEASE, "-n", NAMESPACE]);
    expect(removed.code, removed.stderr).toBe(0);
    for (const o of rendered) {
      const got = await kubectl(["get", ...ref(o), "-n", NAMESPACE, "-o", "name"]);
      expect(got.stderr, `${o.kind}/${o.metadata.name} is still there`).toContain("NotFound");
    }
    // Helm never deletes the CRDs of a chart's crds/ directory: the Projects stay.
    expect((await kubectl(["get", "crd", "projects.berth.dev", "-o", "name"])).code).toBe(0);
  });
});

describe("the service account's permissions (RBAC authorizer of the apiserver)", () => {
  beforeAll(async () => {
    const res = await helm(["install", RELEASE, CHART, "-n", NAMESPACE]);
    expect(res.code, res.stderr).toBe(0);
  });
  afterAll(() => uninstall(RELEASE));

  // Every call src/kube/RBAC.md lists, in a namespace other than the release's.
  it.each([
    ["list", "projects.berth.dev", "--all-namespaces"],
    ["watch", "projects.berth.dev", "--all-namespaces"],
    ["get", "projects.berth.dev", "-n", "team-a"],
    ["patch", "projects.berth.dev", "-n", "team-a"],
    ["update", "projects.berth.dev", "-n", "team-a"],
    ["create", "projects.berth.dev", "-n", "team-a"],
    ["delete", "projects.berth.dev", "-n", "team-a"],
    ["patch", "projects.berth.dev", "--subresource=status", "-n", "team-a"],
    ["update", "projects.berth.dev", "--subresource=finalizers", "-n", "team-a"],
    ["create", "events", "-n", "team-a"],
    ["patch", "events", "-n", "team-a"],
    ["get", "leases.coordination.k8s.io/berth-default", "-n", NAMESPACE],
    ["update", "leases.coordination.k8s.io/berth-default", "-n", NAMESPACE],
    ["create", "leases.coordination.k8s.io", "-n", NAMESPACE],
  ])("may %s %s %s %s", async (verb, resource, ...args) => {
    expect(await can(verb, resource, ...args)).toBe(true);
  });

  it.each([
    ["get", "secrets", "-n", NAMESPACE],
    ["list", "secrets", "--all-namespaces"],
    ["get", "configmaps", "-n", "team-a"],
    ["delete", "pods", "-n", "team-a"],
    ["create", "pods", "-n", NAMESPACE],
    ["create", "deployments.apps", "-n", NAMESPACE],
    ["update", "projects.berth.dev", "--subresource=status", "-n", "team-a"],
    ["deletecollection", "projects.berth.dev", "-n", "team-a"],
    ["list", "events", "-n", "team-a"],
    ["delete", "events", "-n", "team-a"],
    ["get", "leases.coordination.k8s.io/kube-scheduler", "-n", NAMESPACE],
    ["update", "leases.coordination.k8s.io/berth-default", "-n", "team-a"],
    ["delete", "leases.coordination.k8s.io/berth-default", "-n", NAMESPACE],
    ["create", "clusterroles.rbac.authorization.k8s.io"],
    ["bind", "clusterroles.rbac.authorization.k8s.io"],
    ["update", "customresourcedefinitions.apiextensions.k8s.io"],
    ["create", "serviceaccounts/token", "-n", NAMESPACE],
  ])("may not %s %s %s %s", async (verb, resource, ...args) => {
    expect(await can(verb, resource, ...args)).toBe(false);
  });

  it("with operator.watchNamespace and rbac.projectWrites=false, only reconciles that namespace", async () => {
    const release = `${RELEASE}-watched`;
    const sa = `system:serviceaccount:${NAMESPACE}:${release}-berth`;
    const res = await helm([
      "install",
      release,
      CHART,
      "-n",
      NAMESPACE,
      "--set",
      `operator.watchNamespace=${WATCHED},operator.hostId=box-1,rbac.projectWrites=false`,
    ]);
    expect(res.code, res.stderr).toBe(0);
    try {
      const canAs = async (...args: string[]) =>
        (await kubectl(["auth", "can-i", ...args, "--as", sa])).stdout.trim().startsWith("yes");
      expect(await canAs("watch", "projects.berth.dev", "-n", WATCHED)).toBe(true);
      expect(await canAs("patch", "projects.berth.dev", "--subresource=status", "-n", WATCHED)).toBe(true);
      expect(await canAs("create", "events", "-n", WATCHED)).toBe(true);
      expect(await canAs("update", "leases.coordination.k8s.io/berth-box-1", "-n", NAMESPACE)).toBe(true);
      expect(await canAs("update", "leases.coordination.k8s.io/berth-default", "-n", NAMESPACE)).toBe(false);
      expect(await canAs("watch", "projects.berth.dev", "--all-namespaces")).toBe(false);
      expect(await canAs("get", "projects.berth.dev", "-n", "team-a")).toBe(false);
      expect(await canAs("create", "events", "-n", "team-a")).toBe(false);
      expect(await canAs("create", "projects.berth.dev", "-n", WATCHED)).toBe(false);
      expect(await canAs("delete", "projects.berth.dev", "-n", WATCHED)).toBe(false);
    } finally {
      await uninstall(release);
    }
  });
});

describe("the operator with nothing but the chart's RBAC", () => {
  const release = `${RELEASE}-e2e`;
  const hostId = "chart-e2e";
  const project = "chart-rbac";
  const doc =
    `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: ${project}, namespace: ${WATCHED}}\n` +
    `spec:\n  host: ${hostId}\n  containers:\n    - {name: main, image: berth-test/busybox:1, command: [sleep, "3600"]}\n`;
  let dir = "";
  let operator: ChildProcess | undefined;
  let logs = "";

  afterAll(async () => {
    operator?.kill("SIGKILL");
    await kubectl([
      "patch",
      "bproj",
      project,
      "-n",
      WATCHED,
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
    await kubectl(["delete", "bproj", project, "-n", WATCHED, "--ignore-not-found", "--wait=false"]);
    await removeProjects([`${WATCHED}.${project}`]);
    await uninstall(release);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reconciles, reports and deletes a Project as the chart's service account, never forbidden", async () => {
    // the smallest grant: no Project create/delete (those serve the REST API, CLI and MCP writes)
    const installed = await helm([
      "install",
      release,
      CHART,
      "-n",
      NAMESPACE,
      "--set",
      `operator.watchNamespace=${WATCHED},operator.hostId=${hostId},rbac.projectWrites=false`,
    ]);
    expect(installed.code, installed.stderr).toBe(0);
    const token = await kubectl(["create", "token", `${release}-berth`, "-n", NAMESPACE, "--duration=1h"]);
    expect(token.code, token.stderr).toBe(0);
    const env = kubeEnv();
    const ca = await kubectl([
      "config",
      "view",
      "--raw",
      "-o",
      "jsonpath={.clusters[0].cluster.certificate-authority}",
    ]);
    dir = mkdtempSync(join(tmpdir(), "berth-chart-e2e-"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "t",
            cluster: { server: env.server, "certificate-authority": ca.stdout },
          },
        ],
        users: [{ name: "sa", user: { token: token.stdout.trim() } }],
        contexts: [{ name: "t", context: { cluster: "t", user: "sa" } }],
        "current-context": "t",
      }),
    );
    // the flags the chart's Deployment passes, on loopback
    const port = await freePort();
    const args = [
      ...["run", "--kube", "--kubeconfig", kubeconfig, `--namespace=${WATCHED}`, `--host-id=${hostId}`],
      ...[`--lease-namespace=${NAMESPACE}`, "--http", `127.0.0.1:${port}`, "--state-dir", join(dir, "state")],
      ...["--stop-timeout", "1s", "--docker", readTestEnv().dockerHost, "--log-level", "debug"],
    ];
    operator = spawn(process.execPath, [`${ROOT}bin/berth.js`, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    operator.stdout?.on("data", (d: Buffer) => (logs += d.toString()));
    operator.stderr?.on("data", (d: Buffer) => (logs += d.toString()));
    await eventually(
      () =>
        fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        ),
      60_000,
      "the operator's /readyz",
    );

    expect((await kubectl(["apply", "-f", "-"], { input: doc })).code).toBe(0);
    const ready = await eventually(
      async () => {
        const got = await kubectl(["get", "bproj", project, "-n", WATCHED, "-o", "json"]);
        const obj = JSON.parse(got.stdout) as {
          metadata: { finalizers?: string[] };
          status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] };
        };
        const isReady = obj.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
        return isReady && obj.status?.observedGeneration === 1 ? obj : undefined;
      },
      60_000,
      "Ready=True",
    );
    expect(ready.metadata.finalizers).toContain("berth.dev/cleanup");
    const running = await docker().listContainers({
      filters: JSON.stringify({ label: [`berth.dev/project=${WATCHED}.${project}`] }),
    });
    expect(running).toHaveLength(1);
    const events = await eventually(
      async () => {
        const got = await kubectl([
          "get",
          "events",
          "-n",
          WATCHED,
          "--field-selector",
          `involvedObject.name=${project}`,
          "-o",
          "json",
        ]);
        const items = (JSON.parse(got.stdout) as { items: { reason: string }[] }).items;
        return items.some((e) => e.reason === "Created") ? items : undefined;
      },
      20_000,
      "a Created event",
    );
    expect(events.length).toBeGreaterThan(0);
    const holder = await kubectl([
      "get",
      "lease",
      `berth-${hostId}`,
      "-n",
      NAMESPACE,
      "-o",
      "jsonpath={.spec.holderIdentity}",
    ]);
    expect(holder.stdout).not.toBe("");

    // the finalizer holds the object until the containers are gone
    const deleted = await kubectl(["delete", "bproj", project, "-n", WATCHED, "--timeout=60s"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    const left = await docker().listContainers({
      all: true,
      filters: JSON.stringify({ label: [`berth.dev/project=${WATCHED}.${project}`] }),
    });
    expect(left).toEqual([]);

    operator.kill("SIGTERM");
    await new Promise((r) => operator?.once("exit", r));
    operator = undefined;
    expect(logs).not.toMatch(/forbidden|\b403\b/i);
  });
});
