import { describe, expect, it } from "vitest";
import { applyProjectPatch, checkProjectPatch } from "../../../src/api/patch.js";
import { mergeDocument } from "../../../src/files/spec-yaml.js";
import { parseYamlFile } from "../../../src/files/spec-yaml-text.js";

const FILE = `# Shop API
apiVersion: berth.dev/v1alpha1
kind: Project
metadata:
  name: shop   # short
  labels: {team: payments}
spec:  # what runs
  state: Running
  containers:
    # the front
    - name: api            # HTTP
      image: berth-test/busybox:1
      command: [ "sh", "-c", "exec httpd -f -p 8080" ]
      env:
        - name: GREETING   # shown on /
          value: "hello"
        - {name: MODE, value: prod}

      ports:
        - {name: http, containerPort: 8080}     # allocated
    - name: worker
      image: berth-test/busybox:1
---
# another project, never touched
apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: other}
spec:
  containers: [{name: x, image: y}]
`;

function patched(patch: unknown, text = FILE): string {
  const file = parseYamlFile(text);
  const doc = file.docs[0]?.toJS() as unknown;
  return mergeDocument(file, 0, applyProjectPatch(doc, checkProjectPatch(patch)));
}

/** Lines of `after` not in `before`, and of `before` not in `after`. */
function diff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  return { added: b.filter((l) => !a.includes(l)), removed: a.filter((l) => !b.includes(l)) };
}

describe("merge patches of spec files", () => {
  it("changes one scalar in place and nothing else", () => {
    const out = patched({ spec: { containers: { api: { env: { GREETING: "hi" } } } } });
    expect(diff(FILE, out)).toEqual({
      added: ['          value: "hi"'],
      removed: ['          value: "hello"'],
    });
  });

  it("adds a list item by name keeping every comment and the spacing of untouched lines", () => {
    const out = patched({ spec: { containers: { api: { env: { NEW: "x" } } } } });
    expect(diff(FILE, out)).toEqual({ added: ["        - name: NEW", "          value: x"], removed: [] });
    expect(out.indexOf("- name: NEW")).toBeLessThan(out.indexOf("ports:"));
  });

  it("removes a named item with null and leaves the other documents byte for byte", () => {
    const out = patched({ spec: { containers: { api: { env: { MODE: null } } } } });
    expect(diff(FILE, out)).toEqual({ added: [], removed: ["        - {name: MODE, value: prod}"] });
    expect(out.slice(out.indexOf("---"))).toBe(FILE.slice(FILE.indexOf("---")));
  });

  it("merges labels into a flow map and sets state and an image of another container", () => {
    const out = patched({
      metadata: { labels: { tier: "web" } },
      spec: { state: "Stopped", containers: { worker: { image: "other:2" } } },
    });
    const before = FILE.split("\n");
    const changed = out
      .split("\n")
      .map((l, i) => [before[i], l])
      .filter(([x, y]) => x !== y);
    expect(changed).toEqual([
      ["  labels: {team: payments}", "  labels: {team: payments, tier: web}"],
      ["  state: Running", "  state: Stopped"],
      ["      image: berth-test/busybox:1", "      image: other:2"],
    ]);
  });

  it("follows RFC 7386: null deletes, lists replace, objects merge", () => {
    const doc = { spec: { a: 1, b: { c: 2, d: 3 }, list: [1, 2] }, metadata: { name: "n" } };
    expect(applyProjectPatch(doc, { spec: { a: null, b: { d: null, e: 4 }, list: [3] } })).toEqual({
      spec: { b: { c: 2, e: 4 }, list: [3] },
      metadata: { name: "n" },
    });
    expect(doc.spec.a).toBe(1); // the input is not changed
  });

  it("patches ports by name or container port, and adds containers by name", () => {
    const doc = {
      spec: {
        containers: [
          { name: "api", image: "a", ports: [{ name: "http", containerPort: 80 }, { containerPort: 9000 }] },
        ],
      },
    };
    const out = applyProjectPatch(doc, {
      spec: {
        containers: {
          api: { ports: { http: { hostPort: 8080 }, "9000": { protocol: "UDP" }, "7000": {} } },
          sidecar: { image: "s" },
        },
      },
    });
    expect(out).toEqual({
      spec: {
        containers: [
          {
            name: "api",
            image: "a",
            ports: [
              { name: "http", containerPort: 80, hostPort: 8080 },
              { containerPort: 9000, protocol: "UDP" },
              { containerPort: 7000 },
            ],
          },
          { name: "sidecar", image: "s" },
        ],
      },
    });
  });

  it("refuses patches of other fields with a hint", () => {
    expect(() => checkProjectPatch({ status: {} })).toThrow(/not status/);
    expect(() => checkProjectPatch({ metadata: { name: "x" } })).toThrow(/not metadata\.name/);
    expect(() => checkProjectPatch({ spec: null })).toThrow(/spec must be an object/);
    expect(() => checkProjectPatch({ metadata: { labels: { a: 1 } } })).toThrow(
      /metadata\.labels\.a must be a string/,
    );
    expect(() => applyProjectPatch({}, { spec: { containers: { api: "x" } } })).toThrow(
      /spec\.containers\.api must be an object/,
    );
  });
});
