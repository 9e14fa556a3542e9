import { readFileSync } from "node:fs";
import { parse } from "yaml";

/** A JSON-schema node as found in a CRD's openAPIV3Schema (only the parts Berth reads are typed). */
export interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  anyOf?: SchemaNode[];
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  description?: string;
  [key: string]: unknown;
}

/** Where the CRD lives, relative to this module both in src/ and in dist/. */
export const CRD_URL = new URL("../../crds/projects.berth.dev.yaml", import.meta.url);

interface CrdDocument {
  spec: { versions: { name: string; schema: { openAPIV3Schema: SchemaNode } }[] };
}

/**
 * Reads the Project CRD and returns the openAPIV3Schema of `version`. Synchronous; throws when
 * the file or the version is missing (a broken installation, not user input).
 */
export function loadCrdSchema(version = "v1alpha1", url: URL = CRD_URL): SchemaNode {
  const crd = parse(readFileSync(url, "utf8")) as CrdDocument;
  const found = crd.spec.versions.find((v) => v.name === version);
  if (!found) throw new Error(`${url.pathname}: the CRD has no version ${version}`);
  return found.schema.openAPIV3Schema;
}

const NAME_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const stringMap: SchemaNode = { type: "object", additionalProperties: { type: "string" } };

/**
 * The metadata accepted in file mode. The CRD leaves metadata to the apiserver; files get the
 * same rules the apiserver applies to the fields a user may write.
 */
export const FILE_METADATA_SCHEMA: SchemaNode = {
  type: "object",
  required: ["name"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 63, pattern: NAME_PATTERN },
    namespace: { type: "string", minLength: 1, maxLength: 63, pattern: NAME_PATTERN, default: "default" },
    labels: stringMap,
    annotations: stringMap,
    // written by a server; accepted so that `berth get -o yaml` output can be applied again
    uid: {},
    resourceVersion: {},
    generation: {},
    creationTimestamp: {},
    managedFields: {},
  },
  additionalProperties: false,
};

/**
 * Turns a structural CRD schema into the JSON schema the file-mode validator compiles:
 * objects with properties reject unknown fields (the apiserver prunes them; a file is better
 * told), int-or-string fields become a type union, Kubernetes extensions are dropped, and
 * `metadata` gets the file-mode rules. `status` is accepted as anything: it is the operator's.
 */
export function toFileModeSchema(root: SchemaNode): SchemaNode {
  const converted = convert(root);
  const properties = { ...converted.properties };
  properties["metadata"] = FILE_METADATA_SCHEMA;
  properties["status"] = {};
  return { ...converted, properties };
}

function convert(node: SchemaNode): SchemaNode {
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-kubernetes-") || key === "anyOf") continue;
    out[key] = value;
  }
  if (node["x-kubernetes-int-or-string"] === true) return intOrString(node, out);
  if (node.anyOf) out.anyOf = node.anyOf.map(convert);
  if (node.properties) {
    out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, convert(v)]));
    if (node["x-kubernetes-preserve-unknown-fields"] !== true && node.additionalProperties === undefined) {
      out.additionalProperties = false;
    }
  }
  if (node.items) out.items = convert(node.items);
  if (typeof node.additionalProperties === "object")
    out.additionalProperties = convert(node.additionalProperties);
  return out;
}

/** Folds `anyOf: [{type: integer, ...}, {type: string, ...}]` into one node ajv reports clearly. */
function intOrString(node: SchemaNode, out: SchemaNode): SchemaNode {
  out.type = ["integer", "string"];
  for (const branch of node.anyOf ?? []) {
    for (const [key, value] of Object.entries(branch)) {
      if (key !== "type") out[key] = value;
    }
  }
  return out;
}
