import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = new URL("../../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), "utf8");

interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
}

/** Every property path under `node` with its schema, depth first. */
function properties(node: SchemaNode, prefix = ""): [string, SchemaNode][] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [[path, child] as [string, SchemaNode], ...properties(child, path)];
  });
}

describe("helm/berth", () => {
  it("ships the CRD of crds/ unchanged", () => {
    expect(
      read("helm/berth/crds/projects.berth.dev.yaml"),
      "run: cp crds/projects.berth.dev.yaml helm/berth/crds/",
    ).toBe(read("crds/projects.berth.dev.yaml"));
  });

  it("deploys the package's version by default", () => {
    const chart = parse(read("helm/berth/Chart.yaml")) as { appVersion: string };
    const pkg = JSON.parse(read("package.json")) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
  });

  const schema = JSON.parse(read("helm/berth/values.schema.json")) as SchemaNode;

  it("describes every value and closes every object with listed properties", () => {
    const all = properties(schema);
    expect(all.length).toBeGreaterThan(40);
    for (const [path, node] of all) {
      expect(node.description, `${path} has no description`).toMatch(/\S/);
      if (node.properties) expect(node.additionalProperties, `${path} accepts unknown keys`).toBe(false);
    }
    expect(schema.additionalProperties).toBe(false);
  });

  it("accepts values.yaml, which sets every top-level value", () => {
    const values = parse(read("helm/berth/values.yaml")) as Record<string, unknown>;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    const documented = Object.keys(schema.properties ?? {}).filter((k) => k !== "global");
    expect(Object.keys(values).sort()).toEqual(documented.sort());
  });
});
