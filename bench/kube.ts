/**
 * bench/kube: Berth in kube mode against the test kube-apiserver, with file mode doing the same
 * work in the same run as the baseline. Both operators run in this process.
 *
 *   npm run bench -- kube                 both parts
 *   BENCH_KUBE=cold,latency  BENCH_KUBE_PROJECTS=100  BENCH_KUBE_REPS=3  BENCH_KUBE_EDITS=20
 *
 * cold: N Projects applied at once (one `kubectl apply -f`), time until every object's status
 *   says Running for its generation; file mode: the same N specs written at once, time until
 *   every project is Running. Then everything is deleted (kube: through the finalizer).
 * latency: a `kubectl patch` of one project's command, time until the new container answers
 *   with the new text (median of N); file mode: the same edit written to the spec file.
 *
 * Needs scripts/kube-env.sh (started here when down) and scripts/test-env.sh up.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { startManager, type Manager } from "../src/operator/manager.js";
import { kubeBackend } from "../src/kube/backend.js";
import { createKubeApis, loadKubeConfig } from "../src/kube/client-node.js";
import type { ProjectsApi } from "../src/kube/api.js";
import { nopLogger } from "../src/util/logger.js";
import { benchRunOptions } from "./options.js";
import { ms, summarize } from "./stats.js";
import { eventually } from "../test/helpers/poll.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NS = "kube-bench";
const parts = new Set((process.env["BENCH_KUBE"] ?? "cold,latency").split(","));
const PROJECTS = Number(process.env["BENCH_KUBE_PROJECTS"] ?? 100);
const REPS = Number(process.env["BENCH_KUBE_REPS"] ?? 3);
const EDITS = Number(process.env["BENCH_KUBE_EDITS"] ?? 20);
const docker = new Docker({ socketPath: "/var/run/docker.sock" });

interface KubeEnvFile {
  kubeconfig: string;
  kubectl: string;
}

function kubeEnv(): KubeEnvFile {
  execFileSync("bash", [join(ROOT, "scripts/kube-env.sh"), "up"], { stdio: ["ignore", "ignore", "inherit"] });
  return JSON.parse(readFileSync(join(ROOT, ".cache/kube-env.json"), "utf8")) as KubeEnvFile;
}

function kubectl(env: KubeEnvFile, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      env.kubectl,
      args,
      { env: { ...process.env, KUBECONFIG: env.kubeconfig }, maxBuffer: 64 << 20, timeout: 180_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl ${args[0]}: ${stderr || err.message}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A project whose container answers `text` on its published port and stops at once on SIGTERM. */
function spec(ns: string, name: string, text: string): string {
  const cmd = `mkdir -p /www; echo ${text} > /www/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait`;
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}, namespace: ${ns}}
spec:
  containers:
    - name: web
      image: berth-test/busybox:1
      command: ["sh", "-c", ${JSON.stringify(cmd)}]
      ports: [{name: http, containerPort: 8080}]
`;
}

const names = Array.from({ length: PROJECTS }, (_, i) => `kube-b${i}`);

async function waitFor(
  what: string,
  limitMs: number,
  check: () => Promise<boolean> | boolean,
): Promise<void> {
  await eventually(check, limitMs, what, 20);
}

/** Every Project of the namespace says Running for its generation, read from the apiserver. */
async function allReadyInCluster(api: ProjectsApi, n: number): Promise<boolean> {
  const page = await api.list(NS, {});
  const ready = page.items.filter(
    (o) => o.status?.phase === "Running" && o.status.observedGeneration === o.metadata.generation,
  );
  return ready.length === n;
}

async function containersGone(prefix: string): Promise<boolean> {
  const cs = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: ["berth.dev/managed=true"] }),
  });
  return !cs.some((c) => (c.Labels["berth.dev/project"] ?? "").startsWith(prefix));
}

async function startKube(env: KubeEnvFile, state: string, range: string) {
  const stop = new AbortController();
  const options = benchRunOptions({
    stateDir: state,
    portRange: range,
    kube: true,
    namespace: NS,
    kubeconfig: env.kubeconfig,
    leaseNamespace: NS,
  });
  const manager = await startManager(
    options,
    nopLogger,
    stop.signal,
    kubeBackend({ ...options.kube!, hostId: options.hostId }),
  );
  await waitFor("kube operator ready and leading", 60_000, async () => {
    const text = await manager.registry.getSingleMetricAsString("leader_election_master_status");
    return manager.ready() && / 1$/m.test(text);
  });
  return { manager, stop };
}

async function startFiles(dir: string, state: string, range: string) {
  const stop = new AbortController();
  const manager = await startManager(
    benchRunOptions({ dir, stateDir: state, portRange: range }),
    nopLogger,
    stop.signal,
  );
  await waitFor("file operator ready", 30_000, () => manager.ready());
  return { manager, stop };
}

/** CPU seconds kube-apiserver and etcd (started by scripts/kube-env.sh) have used so far. */
function controlPlaneCpuSeconds(): number {
  let total = 0;
  for (const name of ["kube-apiserver", "etcd"]) {
    try {
      const pid = readFileSync(join(ROOT, `.cache/kube-env/${name}.pid`), "utf8").trim();
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      total += (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
    } catch {
      // not ours to measure (e.g. another apiserver); the figure then reads 0
    }
  }
  return total;
}

async function metricSum(manager: Manager, name: string): Promise<number> {
  const m = await manager.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
}

function running(manager: Manager, keys: string[]): boolean {
  return keys.every((k) => manager.status.get(k)?.status.phase === "Running");
}

async function cold(env: KubeEnvFile, api: ProjectsApi): Promise<void> {
  const kubeTimes: number[] = [];
  const kubeLocal: number[] = [];
  const kubeDelete: number[] = [];
  const kubectlApply: number[] = [];
  const counts = { kubeReconciles: 0, fileReconciles: 0, statusWrites: 0 };
  const controlPlaneCpu: number[] = [];
  const fileTimes: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-kube-files-"));
  const kubeState = mkdtempSync(join(tmpdir(), "berth-bench-kube-state-"));
  const fileState = mkdtempSync(join(tmpdir(), "berth-bench-kube-fstate-"));
  const kube = await startKube(env, kubeState, "30600-30799");
  const files = await startFiles(dir, fileState, "30800-30999");
  const docs = names.map((n) => spec(NS, n, "v1")).join("---\n");
  const keys = names.map((n) => `${NS}/${n}`);
  const fileKeys = names.map((n) => `kube-bench-files/${n}`);
  try {
    for (let rep = 0; rep < REPS; rep++) {
      // kube mode: one kubectl apply of all documents
      let t = performance.now();
      let local = 0;
      const cpu0 = controlPlaneCpuSeconds();
      await kubectl(env, ["apply", "-f", "-"], docs);
      kubectlApply.push(performance.now() - t);
      await waitFor("kube projects Ready", 300_000, async () => {
        if (!local && running(kube.manager, keys)) local = performance.now() - t;
        return allReadyInCluster(api, PROJECTS);
      });
      kubeTimes.push(performance.now() - t);
      controlPlaneCpu.push(controlPlaneCpuSeconds() - cpu0);
      kubeLocal.push(local || performance.now() - t);
      t = performance.now();
      await kubectl(env, ["delete", "bproj", "--all", "-n", NS, "--wait=true", "--timeout=300s"]);
      await waitFor("kube containers removed", 120_000, () => containersGone(`${NS}.`));
      kubeDelete.push(performance.now() - t);

      // file mode: the same specs written at once
      t = performance.now();
      for (const n of names) writeFileSync(join(dir, `${n}.yaml`), spec("kube-bench-files", n, "v1"));
      await waitFor("file projects Running", 300_000, () => running(files.manager, fileKeys));
      fileTimes.push(performance.now() - t);
      for (const n of names) rmSync(join(dir, `${n}.yaml`));
      await waitFor(
        "file containers removed",
        120_000,
        async () =>
          fileKeys.every((k) => !files.manager.status.get(k)) && (await containersGone("kube-bench-files.")),
      );
    }
    counts.kubeReconciles = await metricSum(kube.manager, "controller_runtime_reconcile_total");
    counts.fileReconciles = await metricSum(files.manager, "controller_runtime_reconcile_total");
    counts.statusWrites = await metricSum(kube.manager, "berth_kube_status_writes_total");
  } finally {
    kube.stop.abort();
    files.stop.abort();
    await kube.manager.done;
    await files.manager.done;
    for (const d of [dir, kubeState, fileState]) rmSync(d, { recursive: true, force: true });
  }
  const k = summarize(kubeTimes);
  const f = summarize(fileTimes);
  console.log(`kube/cold: ${PROJECTS} projects applied at once -> all Ready, ${REPS} runs (median / max)`);
  console.log(`  file mode (specs written -> all Running)          ${ms(f.median)} / ${ms(f.max)}`);
  console.log(
    `  kube mode (kubectl apply -> every status Running)  ${ms(k.median)} / ${ms(k.max)}   ratio ${(k.median / f.median).toFixed(2)}x file mode`,
  );
  console.log(
    `    of which: kubectl apply itself (creates one by one) ${ms(summarize(kubectlApply).median)}`,
  );
  console.log(`    of which: operator's own status Running        ${ms(summarize(kubeLocal).median)}`);
  console.log(
    `  kube mode delete (kubectl delete --all, finalizer -> containers gone)  ${ms(summarize(kubeDelete).median)}`,
  );
  console.log(
    `  kube-apiserver + etcd CPU while the kube run converged: ${summarize(controlPlaneCpu).median.toFixed(1)} s (2 cores shared with dockerd)`,
  );
  const per = (n: number) => (n / (PROJECTS * REPS)).toFixed(1);
  console.log(
    `  per project and run: reconciles kube ${per(counts.kubeReconciles)} / file ${per(counts.fileReconciles)}, status writes ${per(counts.statusWrites)}`,
  );
}

/** Polls a port until it answers 200 with `text` in the body. */
async function answersWith(port: number, text: string, limitMs = 60_000): Promise<void> {
  await waitFor(`port ${port} answering ${text}`, limitMs, async () => {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(200) });
      return r.ok && (await r.text()).includes(text);
    } catch {
      return false;
    }
  });
}

async function latency(env: KubeEnvFile, api: ProjectsApi): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-kube-files-"));
  const kubeState = mkdtempSync(join(tmpdir(), "berth-bench-kube-state-"));
  const fileState = mkdtempSync(join(tmpdir(), "berth-bench-kube-fstate-"));
  const kube = await startKube(env, kubeState, "30600-30799");
  const files = await startFiles(dir, fileState, "30800-30999");
  const total: number[] = [];
  const afterPatch: number[] = [];
  const kubectlOnly: number[] = [];
  const fileEdit: number[] = [];
  try {
    await kubectl(env, ["apply", "-f", "-"], spec(NS, "kube-lat", "e0"));
    const file = join(dir, "lat.yaml");
    writeFileSync(file, spec("kube-bench-files", "lat", "e0"));
    await waitFor("latency projects Running", 60_000, async () => {
      const obj = await api.get(NS, "kube-lat").catch(() => undefined);
      return obj?.status?.phase === "Running" && running(files.manager, ["kube-bench-files/lat"]);
    });
    const kubePort = (await api.get(NS, "kube-lat")).status?.ports?.[0]?.hostPort ?? 0;
    const filePort = files.manager.status.get("kube-bench-files/lat")?.status.ports?.[0]?.hostPort ?? 0;
    for (let i = 1; i <= EDITS + 2; i++) {
      const text = `e${i}`;
      const patch = JSON.stringify({ spec: { containers: [JSON.parse(specContainer(text)) as object] } });
      let t = performance.now();
      await kubectl(env, ["patch", "bproj", "kube-lat", "-n", NS, "--type=merge", "-p", patch]);
      const patched = performance.now();
      await answersWith(kubePort, text);
      const end = performance.now();
      t = end - t;
      const f0 = performance.now();
      writeFileSync(file, spec("kube-bench-files", "lat", text));
      await answersWith(filePort, text);
      const f = performance.now() - f0;
      if (i > 2) {
        total.push(t);
        afterPatch.push(end - patched);
        kubectlOnly.push(t - (end - patched));
        fileEdit.push(f);
      }
    }
    await kubectl(env, ["delete", "bproj", "kube-lat", "-n", NS, "--wait=true", "--timeout=120s"]);
    rmSync(file);
    await waitFor(
      "latency containers removed",
      60_000,
      async () => (await containersGone(`${NS}.`)) && (await containersGone("kube-bench-files.")),
    );
  } finally {
    kube.stop.abort();
    files.stop.abort();
    await kube.manager.done;
    await files.manager.done;
    for (const d of [dir, kubeState, fileState]) rmSync(d, { recursive: true, force: true });
  }
  const s = summarize(total);
  const a = summarize(afterPatch);
  const f = summarize(fileEdit);
  console.log(`kube/latency: spec edit -> new container answering, ${EDITS} edits (median / p95 / p99)`);
  console.log(
    `  file mode (file written -> HTTP 200)                  ${ms(f.median)} / ${ms(f.p95)} / ${ms(f.p99)}`,
  );
  console.log(
    `  kube mode (kubectl patch started -> HTTP 200)         ${ms(s.median)} / ${ms(s.p95)} / ${ms(s.p99)}`,
  );
  console.log(
    `  kube mode (kubectl patch returned -> HTTP 200)        ${ms(a.median)} / ${ms(a.p95)} / ${ms(a.p99)}   ratio ${(a.median / f.median).toFixed(2)}x file mode`,
  );
  console.log(`    kubectl patch itself (process start to exit)        ${ms(summarize(kubectlOnly).median)}`);
}

function specContainer(text: string): string {
  const cmd = `mkdir -p /www; echo ${text} > /www/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait`;
  return JSON.stringify({
    name: "web",
    image: "berth-test/busybox:1",
    command: ["sh", "-c", cmd],
    ports: [{ name: "http", containerPort: 8080 }],
  });
}

export async function run(): Promise<void> {
  const env = kubeEnv();
  await kubectl(env, ["apply", "-f", join(ROOT, "crds/projects.berth.dev.yaml")]);
  await kubectl(env, ["wait", "--for=condition=Established", "crd/projects.berth.dev", "--timeout=60s"]);
  await kubectl(env, ["create", "namespace", NS]).catch(() => "exists");
  const api = createKubeApis(loadKubeConfig({ kubeconfig: env.kubeconfig })).projects;
  if (parts.has("cold")) await cold(env, api);
  if (parts.has("latency")) await latency(env, api);
}
