/**
 * Kube mode has no spec file to resolve a relative `build.context` against: with `--build-root`
 * it resolves there (and the image is built and runs); without it the project says why, naming
 * the flag, and nothing is built.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupDirs, docker, eventually } from "../operator/daemon.js";
import {
  getProject,
  httpText,
  kc,
  setupKube,
  startOperator,
  tearDownNamespace,
  waitRunning,
  type KubeOperator,
} from "./operator-harness.js";

const WITH = "kube-build";
const WITHOUT = "kube-nobuild";
const suffix = Math.random().toString(36).slice(2, 7);
const IMAGE = `berth-test/kube-built:${suffix}`;
let withRoot: KubeOperator;
let withoutRoot: KubeOperator;
let root: string;

function builtProject(ns: string): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: built, namespace: ${ns}}
spec:
  containers:
    - name: web
      image: ${IMAGE}
      build: {context: ./app}
      ports: [{name: http, containerPort: 8080}]
`;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "berth-build-root-"));
  mkdirSync(join(root, "app"));
  writeFileSync(
    join(root, "app", "Dockerfile"),
    'FROM berth-test/busybox:1\nCOPY index.html /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
  );
  writeFileSync(join(root, "app", "index.html"), `built-in-kube-${suffix}\n`);
  await setupKube([WITH, WITHOUT]);
  withRoot = await startOperator({
    namespace: WITH,
    portRange: "30700-30719",
    extraArgs: ["--lease-namespace", WITH, "--build-root", root],
  });
  withoutRoot = await startOperator({
    namespace: WITHOUT,
    portRange: "30720-30739",
    extraArgs: ["--lease-namespace", WITHOUT],
  });
}, 40 * 60_000);

afterAll(async () => {
  await tearDownNamespace(WITH, [withRoot]);
  await tearDownNamespace(WITHOUT, [withoutRoot]);
  // built images are tagged by their context's digest: find them by their project's label
  for (const ns of [WITH, WITHOUT]) {
    const filters = JSON.stringify({ label: [`berth.dev/project=${ns}.built`] });
    for (const img of await docker().listImages({ filters }))
      await docker()
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
  await docker()
    .getImage(IMAGE)
    .remove({ force: true })
    .catch(() => undefined);
  cleanupDirs(root);
}, 240_000);

describe("kube mode: relative build contexts", () => {
  it("builds a relative build.context under --build-root and runs it", async () => {
    await kc(["apply", "-f", "-"], builtProject(WITH));
    const running = await waitRunning(WITH, "built", 120_000);
    const url = running.status?.ports?.[0]?.url ?? "";
    const body = await eventually(() => httpText(url), 20_000, "the built image answering");
    expect(body.trim()).toBe(`built-in-kube-${suffix}`);
  }, 180_000);

  it("refuses it without --build-root, with a condition that names the flag", async () => {
    await kc(["apply", "-f", "-"], builtProject(WITHOUT));
    const failed = await eventually(
      async () => {
        const p = await getProject(WITHOUT, "built");
        const c = p?.status?.conditions?.find((x) => x.type === "SpecValid");
        return c?.status === "False" ? { p, c } : undefined;
      },
      60_000,
      "SpecValid=False",
    );
    expect(failed.c.message).toContain("build.context");
    expect(failed.c.message).toContain("--build-root");
    expect(failed.p?.status?.phase).toBe("Failed");
  }, 120_000);
});
