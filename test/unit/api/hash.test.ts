import { describe, expect, it } from "vitest";
import { canonicalJson, parseProjects, specHash } from "../../../src/api/index.js";

const base = (extra: string) =>
  `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: p}\nspec:\n${extra}`;

function hashOfYaml(yaml: string): string {
  const { projects, errors } = parseProjects(yaml, "h.yaml");
  expect(errors).toEqual([]);
  const [p] = projects;
  if (!p) throw new Error("no project");
  return p.hash;
}

describe("spec hash", () => {
  it("ignores key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 2 }], c: 3 } })).toBe(
      canonicalJson({ a: { c: 3, d: [2, { x: 2, y: 1 }] }, b: 1 }),
    );
    const a = hashOfYaml(base("  containers: [{name: c, image: x, command: [sh]}]\n"));
    const b = hashOfYaml(base("  containers: [{command: [sh], image: x, name: c}]\n"));
    expect(a).toBe(b);
  });

  it("is equal for a spelled-out default and an implicit one", () => {
    const implicit = hashOfYaml(base("  containers: [{name: c, image: x, ports: [{containerPort: 80}]}]\n"));
    const explicit = hashOfYaml(
      base(
        "  state: Running\n  logs: {retainLines: 10000}\n  containers:\n" +
          "    - {name: c, image: x, imagePullPolicy: IfNotPresent, restartPolicy: Always,\n" +
          "       ports: [{containerPort: 80, hostPort: 0, protocol: TCP}]}\n",
      ),
    );
    expect(explicit).toBe(implicit);
  });

  it("changes when the spec changes, and not for metadata", () => {
    const one = hashOfYaml(base("  containers: [{name: c, image: x, env: [{name: A, value: '1'}]}]\n"));
    const two = hashOfYaml(base("  containers: [{name: c, image: x, env: [{name: A, value: '2'}]}]\n"));
    expect(one).not.toBe(two);
    const labelled = hashOfYaml(
      base("  containers: [{name: c, image: x, env: [{name: A, value: '1'}]}]\n").replace(
        "metadata: {name: p}",
        "metadata: {name: p, labels: {team: a}}",
      ),
    );
    expect(labelled).toBe(one);
    expect(specHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});
