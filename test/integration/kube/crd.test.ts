import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseProjects } from "../../../src/api/index.js";
import { kubeEnv, kubectl } from "../../helpers/kube.js";
import { INVALID, type InvalidCase } from "../../unit/api/corpus.js";

/*
 * The CRD in a real kube-apiserver, against file-mode validation (`berth validate`) of the same
 * documents: every invalid document of the unit-test corpus is sent with
 * `kubectl apply --dry-run=server`, and the field paths the apiserver names must equal the ones
 * `berth validate` reports. The cases where the two legitimately differ are listed in DIFFERENCES
 * with the reason; every other case must match exactly.
 */

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const NAMESPACE = "berth-crd-test";
const BUILD_TIMEOUT_MS = 40 * 60_000;

/** How the apiserver's answer for a corpus case differs from `berth validate`'s, and why. */
type Difference =
  /** Refused, but the apiserver names these paths (exactly) instead of Berth's. */
  | { kind: "paths"; apiPaths: string[]; why: string }
  /** Accepted by the apiserver: a rule the schema cannot express; the operator reports it (SpecValid=False). */
  | { kind: "accepted"; why: string }
  /** kubectl refuses it before any request; the apiserver never sees it. */
  | { kind: "client"; why: string }
  /** Not a Project for the apiserver at all. */
  | { kind: "other-resource"; why: string };

const RULE_ONLY =
  "a cross-field rule of src/api/rules.ts that an openAPI schema cannot express; the apiserver " +
  "stores the Project and the operator reports the same message in the SpecValid condition";

const DEPENDENCY_RULE =
  "dependsOn names another container of the same project, which must exist, not be the container " +
  "itself, and be able to reach the condition (a healthCheck for Healthy, restartPolicy Never or " +
  "OnFailure for Completed): a reference between list items that an openAPI schema cannot express; " +
  "the apiserver stores the Project and the operator reports the same message in SpecValid";

const DIFFERENCES: Record<string, Difference> = {
  "containers given as a mapping": {
    kind: "paths",
    apiPaths: ["spec.containers.c"],
    why: "kubectl's strict field decoding runs before the schema and names the unknown key inside the mapping",
  },
  "duplicate container names": {
    kind: "paths",
    apiPaths: ["spec.containers[1]", "spec.containers[1].image"],
    why:
      "containers is a listType=map keyed by name: the apiserver names the duplicated entry, Berth its name " +
      "field; and kubectl reads YAML 1.1, where the corpus's image `y` is the boolean true (Berth reads YAML 1.2)",
  },
  "duplicate env names": {
    kind: "paths",
    apiPaths: ["spec.containers[0].env[1]"],
    why: "env is a listType=map keyed by name: the apiserver names the duplicated entry, Berth its name field",
  },
  "memory below the Docker minimum": { kind: "accepted", why: RULE_ONLY },
  "duplicate port names in one container": { kind: "accepted", why: RULE_ONLY },
  "a mount of an undeclared volume": { kind: "accepted", why: RULE_ONLY },
  "an env entry with both value and valueFrom": { kind: "accepted", why: RULE_ONLY },
  "duplicate container port": { kind: "accepted", why: RULE_ONLY },
  "host port requested twice in one project": { kind: "accepted", why: RULE_ONLY },
  "health check on an unknown port name": { kind: "accepted", why: RULE_ONLY },
  "a rebuild rule on a container without build": { kind: "accepted", why: RULE_ONLY },
  "dependency on an unknown container": { kind: "accepted", why: DEPENDENCY_RULE },
  "dependency on itself": { kind: "accepted", why: DEPENDENCY_RULE },
  "Healthy dependency without a health check": { kind: "accepted", why: DEPENDENCY_RULE },
  "Completed dependency on a container that always restarts": { kind: "accepted", why: DEPENDENCY_RULE },
  "dependency cycle": {
    kind: "accepted",
    why:
      "a cycle is a property of the whole graph of dependsOn entries across containers, which no openAPI " +
      "schema can express; the operator reports the same message (with the cycle's path) in SpecValid",
  },
  "dependency listed twice": {
    kind: "paths",
    apiPaths: ["spec.containers[1].dependsOn[1]"],
    why: "dependsOn is a listType=map keyed by name: the apiserver names the duplicated entry, Berth its name field",
  },
  "duplicate keys": {
    kind: "accepted",
    why: "kubectl's YAML decoder keeps the last of two equal keys; Berth refuses the ambiguous document",
  },
  "missing metadata name": { kind: "client", why: "kubectl needs a name to build the request URL" },
  "labels that are not strings": {
    kind: "client",
    why: "kubectl decodes metadata into its typed ObjectMeta",
  },
  "YAML syntax error": { kind: "client", why: "kubectl parses the YAML itself" },
  "a plain list": { kind: "client", why: "kubectl finds no object to send" },
  "an alias bomb": { kind: "client", why: "kubectl's YAML decoder refuses excessive aliasing" },
  "an unsupported version": {
    kind: "client",
    why: "the CRD serves only v1alpha1, so kubectl finds no resource for berth.dev/v2",
  },
  "a ConfigMap": {
    kind: "other-resource",
    why: "a ConfigMap is valid for the apiserver; Berth only says it is no Project",
  },
};

/** The field paths an apiserver error message names (strict-decoding unknown fields and field errors). */
function apiserverPaths(message: string): string[] {
  const paths = new Set<string>();
  for (const m of message.matchAll(/unknown field "([^"]+)"/g)) if (m[1]) paths.add(m[1]);
  for (const line of message.split("\n")) {
    const m = /(?:^\* |is invalid: )([A-Za-z0-9_.[\]-]+): /.exec(line);
    if (m?.[1]) paths.add(m[1]);
  }
  return [...paths].sort();
}

/** `berth validate -o json` of every corpus case at once; the error paths per case. */
async function berthValidatePaths(cases: readonly InvalidCase[]): Promise<Map<string, string[]>> {
  const dir = mkdtempSync(join(tmpdir(), "berth-crd-"));
  try {
    cases.forEach((c, i) => writeFileSync(join(dir, `case-${i}.yaml`), c.yaml));
    const out = await promisify(execFile)("node", [`${ROOT}bin/berth.js`, "validate", "-o", "json", "."], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }));
    const report = JSON.parse(out.stdout) as { errors: { file: string; path: string }[] };
    const byCase = new Map<string, string[]>();
    cases.forEach((c, i) => {
      const paths = report.errors.filter((e) => e.file === `case-${i}.yaml`).map((e) => e.path);
      byCase.set(c.name, [...new Set(paths)].sort());
    });
    return byCase;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function dryRun(yaml: string) {
  return kubectl(["apply", "--dry-run=server", "-n", NAMESPACE, "-f", "-"], { input: yaml });
}

let berthPaths: Map<string, string[]>;

beforeAll(async () => {
  kubeEnv();
  const crd = await kubectl(["apply", "-f", `${ROOT}crds/projects.berth.dev.yaml`]);
  expect(crd.stderr).toBe("");
  const established = await kubectl([
    "wait",
    "--for=condition=Established",
    "crd/projects.berth.dev",
    "--timeout=60s",
  ]);
  expect(established.code, established.stderr).toBe(0);
  const ns = await kubectl(["create", "namespace", NAMESPACE]);
  if (ns.code !== 0) expect(ns.stderr).toContain("AlreadyExists");
  await kubectl(["delete", "projects", "--all", "-n", NAMESPACE, "--wait=false"]);
  berthPaths = await berthValidatePaths(INVALID);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  // The namespace stays (this control plane runs no namespace controller to finalize it).
  await kubectl(["delete", "projects", "--all", "-n", NAMESPACE, "--wait=false"]);
});

describe("the Project CRD in kube-apiserver", () => {
  it("is established with the short name bproj, the berth category and a status subresource", async () => {
    const crd = await kubectl(["get", "crd", "projects.berth.dev", "-o", "json"]);
    expect(crd.code, crd.stderr).toBe(0);
    const obj = JSON.parse(crd.stdout) as {
      spec: { names: { shortNames: string[]; categories: string[] }; versions: { subresources?: object }[] };
      status: { conditions: { type: string; status: string }[]; acceptedNames: { shortNames: string[] } };
    };
    expect(obj.status.conditions).toContainEqual(
      expect.objectContaining({ type: "Established", status: "True" }),
    );
    expect(obj.status.conditions).toContainEqual(
      expect.objectContaining({ type: "NamesAccepted", status: "True" }),
    );
    expect(obj.status.acceptedNames.shortNames).toEqual(["bproj"]);
    expect(obj.spec.names.categories).toContain("berth");
    expect(obj.spec.versions[0]?.subresources).toEqual({ status: {} });
    const resources = await kubectl(["api-resources", "--api-group=berth.dev", "-o", "wide"]);
    expect(resources.stdout).toMatch(/^projects\s+bproj\s+berth\.dev\/v1alpha1\s+true\s+Project\s/m);
  });

  it("every difference listed here is still a corpus case", () => {
    const names = new Set(INVALID.map((c) => c.name));
    expect(Object.keys(DIFFERENCES).filter((n) => !names.has(n))).toEqual([]);
  });

  it.each(INVALID.map((c) => [c.name, c] as const))(
    "%s: the apiserver and berth validate agree",
    async (_, c) => {
      const berth = berthPaths.get(c.name) ?? [];
      expect(berth, "berth validate must refuse every corpus case").toContain(c.path);
      const res = await dryRun(c.yaml);
      const diff = DIFFERENCES[c.name];
      if (!diff) {
        expect(res.code, `apiserver accepted it: ${res.stdout}`).not.toBe(0);
        expect(res.stderr).not.toMatch(/^error: /m); // refused by the server, not by kubectl
        expect(apiserverPaths(res.stderr)).toEqual(berth);
        return;
      }
      switch (diff.kind) {
        case "paths":
          expect(res.code).not.toBe(0);
          expect(apiserverPaths(res.stderr)).toEqual(diff.apiPaths.slice().sort());
          break;
        case "accepted":
        case "other-resource":
          expect(res.code, res.stderr).toBe(0);
          expect(res.stdout).toContain("(server dry run)");
          break;
        case "client":
          expect(res.code).not.toBe(0);
          expect(res.stderr).toMatch(/^error: /m);
          expect(res.stderr).not.toMatch(/Error from server|is invalid:/);
          break;
      }
    },
  );

  it("refuses names Berth cannot use in Docker names, as file mode does", async () => {
    const doc = (name: string) =>
      `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata:\n  name: ${name}\nspec:\n  containers: [{name: c, image: x}]\n`;
    // a DNS-1123 subdomain the apiserver allows for any object, but not a label
    for (const name of ["a.b", "a".repeat(64)]) {
      const res = await dryRun(doc(name));
      expect(res.code).not.toBe(0);
      expect(apiserverPaths(res.stderr)).toEqual(["metadata.name"]);
      expect(parseProjects(doc(name), "x.yaml").errors.map((e) => e.path)).toEqual(["metadata.name"]);
    }
    expect((await dryRun(doc("a".repeat(63)))).code).toBe(0);
  });

  it("reads YAML 1.1 booleans where Berth reads strings (kubectl's YAML, not the schema)", async () => {
    // `value: on` is the string "on" to Berth (YAML 1.2) and the boolean true to kubectl
    // (YAML 1.1), which the schema then refuses. Quoting the value works in both.
    const doc = (value: string) =>
      "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: yaml11}\nspec:\n" +
      `  containers:\n    - name: c\n      image: x\n      env: [{name: DEBUG, value: ${value}}]\n`;
    expect(parseProjects(doc("on"), "x.yaml").errors).toEqual([]);
    const res = await dryRun(doc("on"));
    expect(res.code).not.toBe(0);
    expect(apiserverPaths(res.stderr)).toEqual(["spec.containers[0].env[0].value"]);
    expect((await dryRun(doc('"on"'))).code).toBe(0);
  });
});

describe("valid documents", () => {
  const examples = readdirSync(`${ROOT}examples`).filter((f) => /\.ya?ml$/.test(f));

  it.each(examples)(
    "examples/%s is accepted and defaulted exactly as file mode defaults it",
    async (file) => {
      // into this test's namespace, so as not to touch other tests' projects
      const text = parseAllDocuments(readFileSync(`${ROOT}examples/${file}`, "utf8"))
        .map((d) => {
          d.setIn(["metadata", "namespace"], NAMESPACE);
          return d.toString();
        })
        .join("---\n");
      const parsed = parseProjects(text, file);
      expect(parsed.errors).toEqual([]);
      const created = await kubectl(["create", "-n", NAMESPACE, "-f", "-", "-o", "json"], { input: text });
      expect(created.code, created.stderr).toBe(0);
      const out = JSON.parse(created.stdout) as { kind: string; items?: unknown[] } & Record<string, unknown>;
      const objects = (out.kind === "List" ? out.items : [out]) as {
        metadata: { name: string };
        spec: unknown;
      }[];
      try {
        expect(objects.map((o) => o.metadata.name)).toEqual(
          parsed.projects.map((p) => p.project.metadata.name),
        );
        objects.forEach((o, i) => expect(o.spec).toEqual(parsed.projects[i]?.project.spec));
      } finally {
        await kubectl(["delete", "-n", NAMESPACE, "-f", "-", "--wait=false"], { input: text });
      }
    },
  );
});

describe("status and printer columns", () => {
  const name = "columns";
  const doc =
    `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: ${name}, labels: {team: a}}\n` +
    "spec:\n  containers: [{name: api, image: berth-test/busybox:1}]\n";

  async function generation(): Promise<number> {
    const res = await kubectl([
      "get",
      "bproj",
      name,
      "-n",
      NAMESPACE,
      "-o",
      "jsonpath={.metadata.generation}",
    ]);
    return Number(res.stdout);
  }

  it("kubectl get bproj shows phase, ready, ports and age (wide: the Ready reason) from the status subresource", async () => {
    await kubectl(["delete", "bproj", name, "-n", NAMESPACE, "--ignore-not-found"]);
    expect((await kubectl(["create", "-n", NAMESPACE, "-f", "-"], { input: doc })).code).toBe(0);
    try {
      expect(await generation()).toBe(1);
      const status = {
        status: {
          observedGeneration: 1,
          phase: "Running",
          ready: "1/1",
          portSummary: "api:20001->8080",
          conditions: [
            {
              type: "Ready",
              status: "True",
              reason: "AllContainersHealthy",
              message: "",
              lastTransitionTime: "2026-01-01T00:00:00Z",
              observedGeneration: 1,
            },
          ],
        },
      };
      const patched = await kubectl([
        "patch",
        "bproj",
        name,
        "-n",
        NAMESPACE,
        "--subresource=status",
        "--type=merge",
        "-p",
        JSON.stringify(status),
      ]);
      expect(patched.code, patched.stderr).toBe(0);
      // a status write is not a spec change
      expect(await generation()).toBe(1);

      const table = await kubectl(["get", "bproj", "-n", NAMESPACE]);
      const [header, row] = table.stdout.trim().split("\n");
      expect(header?.split(/\s+/)).toEqual(["NAME", "PHASE", "READY", "PORTS", "AGE"]);
      expect(row).toMatch(new RegExp(`^${name}\\s+Running\\s+1/1\\s+api:20001->8080\\s+\\d+s$`));
      const wide = await kubectl(["get", "bproj", "-n", NAMESPACE, "-o", "wide"]);
      const [wideHeader, wideRow] = wide.stdout.trim().split("\n");
      expect(wideHeader?.split(/\s+/)).toEqual(["NAME", "PHASE", "READY", "PORTS", "AGE", "REASON"]);
      expect(wideRow).toMatch(/\s\d+s\s+AllContainersHealthy$/);
      const byCategory = await kubectl(["get", "berth", "-n", NAMESPACE, "-o", "name"]);
      expect(byCategory.stdout.trim()).toBe(`project.berth.dev/${name}`);

      // status is validated too, and written only through the subresource
      const badPhase = await kubectl([
        "patch",
        "bproj",
        name,
        "-n",
        NAMESPACE,
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"phase":"Sleeping"}}',
      ]);
      expect(badPhase.code).not.toBe(0);
      expect(apiserverPaths(badPhase.stderr)).toEqual(["status.phase"]);
      await kubectl([
        "patch",
        "bproj",
        name,
        "-n",
        NAMESPACE,
        "--type=merge",
        "-p",
        '{"status":{"phase":"Failed"}}',
      ]);
      const phase = await kubectl(["get", "bproj", name, "-n", NAMESPACE, "-o", "jsonpath={.status.phase}"]);
      expect(phase.stdout).toBe("Running");

      // labels are metadata: no new generation; a spec edit is one
      await kubectl(["label", "bproj", name, "-n", NAMESPACE, "team=b", "--overwrite"]);
      expect(await generation()).toBe(1);
      await kubectl([
        "patch",
        "bproj",
        name,
        "-n",
        NAMESPACE,
        "--type=merge",
        "-p",
        '{"spec":{"state":"Stopped"}}',
      ]);
      expect(await generation()).toBe(2);
    } finally {
      await kubectl(["delete", "bproj", name, "-n", NAMESPACE, "--wait=false"]);
    }
  });
});
