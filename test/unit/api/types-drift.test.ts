import { describe, expect, it } from "vitest";
import { loadCrdSchema, type SchemaNode } from "../../../src/api/schema.js";
import { SCHEMA_KEY_MAPS } from "../../../src/api/types.js";

/** Every object node with properties under spec and status, keyed like SCHEMA_KEY_MAPS. */
function objectNodes(node: SchemaNode, path: string, out: Map<string, SchemaNode>): Map<string, SchemaNode> {
  if (node.properties) {
    if (path) out.set(path, node);
    for (const [k, v] of Object.entries(node.properties)) objectNodes(v, path ? `${path}.${k}` : k, out);
  }
  if (node.items) objectNodes(node.items, `${path}[]`, out);
  return out;
}

describe("TypeScript types and the CRD schema", () => {
  // metadata is the apiserver's ObjectMeta (the CRD only narrows metadata.name)
  const { spec, status } = loadCrdSchema().properties ?? {};
  const nodes = new Map<string, SchemaNode>();
  if (spec) objectNodes(spec, "spec", nodes);
  if (status) objectNodes(status, "status", nodes);

  it("describe the same set of objects", () => {
    expect(Object.keys(SCHEMA_KEY_MAPS).sort()).toEqual([...nodes.keys()].sort());
  });

  it.each(Object.entries(SCHEMA_KEY_MAPS))("%s has the same fields and presence", (path, keys) => {
    const node = nodes.get(path);
    expect(node, `schema has no object at ${path}`).toBeDefined();
    const props = node?.properties ?? {};
    expect(Object.keys(keys).sort()).toEqual(Object.keys(props).sort());
    const required = new Set(node?.required ?? []);
    for (const [key, presence] of Object.entries(keys)) {
      const always = required.has(key) || props[key]?.default !== undefined;
      expect(presence, `${path}.${key}`).toBe(always ? "required" : "optional");
    }
  });
});
