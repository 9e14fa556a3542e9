import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { parseProjects, type ParseResult, type SpecErrorCode } from "../../../src/api/index.js";
import { documentStartLines, parseLocated } from "../../../src/api/parse.js";

const dir = new URL("../../../examples/", import.meta.url);
const texts = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => readFileSync(new URL(f, dir), "utf8"));
const seeds = texts.map((t) => parse(t) as unknown);

const CODES: SpecErrorCode[] = [
  "TooLarge",
  "Syntax",
  "AliasLimit",
  "NotAMapping",
  "NotAProject",
  "UnsupportedVersion",
  "Schema",
  "UnknownField",
  "Rule",
  "Duplicate",
  "Unreadable",
];

/** Every path to a value inside `value`. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  }
  return out;
}

type Mutation = { kind: "set"; value: unknown } | { kind: "delete" } | { kind: "rename"; key: string };

function mutate(seed: unknown, pathIndex: number, m: Mutation): unknown {
  const copy = structuredClone(seed);
  const all = paths(copy).filter((p) => p.length > 0);
  const path = all[pathIndex % all.length];
  if (!path) return copy;
  let parent = copy as Record<string | number, unknown>;
  for (const seg of path.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (m.kind === "set") parent[last] = m.value;
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (m.kind === "delete") delete parent[last];
  else {
    parent[m.key] = parent[last];
    delete parent[last];
  }
  return copy;
}

function expectOnlyValidationErrors(result: ParseResult): void {
  for (const e of result.errors) {
    expect(CODES).toContain(e.code);
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(typeof e.message).toBe("string");
    expect(e.message.length).toBeGreaterThan(0);
  }
  for (const p of result.projects) expect(p.hash).toMatch(/^[0-9a-f]{64}$/);
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ kind: fc.constant("delete" as const) }),
  fc.record({ kind: fc.constant("rename" as const), key: fc.string({ maxLength: 12 }) }),
);

describe("validator under random input", () => {
  it("returns validation errors, never throws, for mutated valid specs", () => {
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 4 }),
        (seedIndex, steps) => {
          let doc = seeds[seedIndex];
          for (const [at, m] of steps) doc = mutate(doc, at, m);
          expectOnlyValidationErrors(parseProjects(stringify(doc), "fuzz.yaml"));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("returns validation errors, never throws, for damaged YAML text", () => {
    fc.assert(
      fc.property(
        fc.nat(texts.length - 1),
        fc.nat(),
        fc.nat(40),
        fc.string({
          maxLength: 8,
          unit: fc.constantFrom(":", "-", "[", "{", "&", "*", "!", "'", '"', "\n", " ", "#", "|", "a", "\t"),
        }),
        (textIndex, at, cut, insert) => {
          const text = texts[textIndex] ?? "";
          const pos = at % (text.length + 1);
          const damaged = text.slice(0, pos) + insert + text.slice(pos + cut);
          expectOnlyValidationErrors(parseProjects(damaged, "fuzz.yaml"));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("gives the same result on the fast and the located paths", () => {
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.nat(), mutation), { maxLength: 2 }),
        fc.constantFrom("", "---\n", "# lead\n\n"),
        (seedIndex, steps, lead) => {
          let doc = seeds[seedIndex];
          for (const [at, m] of steps) doc = mutate(doc, at, m);
          const text = `${lead}${stringify(doc)}---\n${stringify(seeds[0])}`;
          const located = parseLocated(text, "same.yaml");
          expect(parseProjects(text, "same.yaml")).toEqual(located);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads shell operators in commands as text, and still bounds every alias", () => {
    const text = `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: shell}
spec:
  containers:
    - name: web
      image: busybox
      command: ["sh", "-c", "a && b & c; ls *.txt < in"]
      args:
        - run && wait & echo '&x'
`;
    const fast = parseProjects(text, "shell.yaml");
    expect(fast.errors).toEqual([]);
    expect(fast.projects[0]?.project.spec.containers[0]?.command?.[2]).toBe("a && b & c; ls *.txt < in");
    expect(fast).toEqual(parseLocated(text, "shell.yaml"));

    // Anchors whose names start with "&" hide from a check for "&name", but their aliases do not.
    const bomb =
      "a: &&a [x, x, x, x, x, x, x, x, x, x]\nb: &&b [*&a, *&a, *&a, *&a, *&a, *&a, *&a, *&a, *&a, *&a]\n" +
      "c: &&c [*&b, *&b, *&b, *&b, *&b, *&b, *&b, *&b, *&b, *&b]\nd: [*&c, *&c, *&c, *&c, *&c, *&c, *&c, *&c, *&c, *&c]\n";
    expect(parseProjects(bomb, "bomb.yaml").errors.map((e) => e.code)).toEqual(["AliasLimit"]);
  });

  it("finds where each document starts", () => {
    expect(documentStartLines("a: 1\n")).toEqual([1]);
    expect(documentStartLines("# c\n\n---\na: 1\n---\n# x\nb: 2\n")).toEqual([4, 7]);
    expect(documentStartLines("---\na: 1\n...\n---\nb: 1\n")).toEqual([2, 5]);
    expect(documentStartLines("a: 1\n---\n")).toEqual([1, 0]);
  });

  it("returns validation errors for arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        expectOnlyValidationErrors(parseProjects(s, "fuzz.yaml"));
      }),
      { numRuns: 300 },
    );
  });
});
