import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ComposeLoadError,
  MAPPED_SERVICE_KEYS,
  convertProject,
  loadComposeProject,
  type ComposeProject,
} from "../../../src/compose/index.js";
import { parseComposeText } from "../../../src/compose/located.js";
import spec from "../../../src/compose/data/compose-spec.json" with { type: "json" };
import { caseEnv, corpusCases } from "../../helpers/compose-reference.js";

const SERVICE_KEYS = Object.keys(
  (spec as { definitions: { service: { properties: object } } }).definitions.service.properties,
);

/** A one-service project whose service has exactly `config`, written in a real file for locations. */
function syntheticProject(config: Record<string, unknown>): ComposeProject {
  const text = `services:\n  s:\n${Object.keys(config)
    .map((k) => `    ${k}: null\n`)
    .join("")}`;
  const file = parseComposeText(text, "/p/compose.yaml", "compose.yaml");
  const sources = new Map(Object.keys(config).map((k) => [k, { file, path: ["services", "s", k] }]));
  return {
    name: "p",
    workingDir: "/p",
    files: ["/p/compose.yaml"],
    read: ["/p/compose.yaml"],
    services: [
      {
        name: "s",
        config: { image: "x", ...config },
        envFileValues: {},
        sources,
        defined: { file, path: ["services", "s"] },
      },
    ],
    disabled: [],
    volumes: new Map(),
    secrets: new Map(),
    configs: new Map(),
    networks: new Map(),
    otherKeys: new Map(),
    unset: [],
  };
}

describe("the loss report", () => {
  it("reports every service key Berth does not map, at its line", () => {
    const unmapped = SERVICE_KEYS.filter((k) => !MAPPED_SERVICE_KEYS.has(k) && k !== "extends");
    fc.assert(
      fc.property(fc.subarray(unmapped, { minLength: 1 }), fc.jsonValue(), (keys, value) => {
        const config = Object.fromEntries(keys.map((k) => [k, value]));
        const { findings } = convertProject(syntheticProject(config), {
          allocatePorts: false,
          specDir: "/p",
          source: "compose.yaml",
        });
        for (const [i, k] of keys.entries()) {
          const f = findings.find((x) => x.key === `services.s.${k}`);
          expect(f, k).toBeDefined();
          expect(f?.where.line, k).toBe(3 + i);
          expect(f?.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("converts or refuses every corpus project with located findings, and never crashes", () => {
    let converted = 0;
    for (const c of corpusCases()) {
      let project: ComposeProject;
      try {
        project = loadComposeProject({ files: c.files, env: caseEnv(c), profiles: c.profiles });
      } catch (e) {
        expect(e, c.name).toBeInstanceOf(ComposeLoadError);
        expect(c.error, `${c.name} failed: ${String(e)}`).toBeDefined();
        expect((e as ComposeLoadError).location.line).toBeGreaterThan(0);
        continue;
      }
      const conv = convertProject(project, {
        allocatePorts: false,
        specDir: project.workingDir,
        source: c.files[0] ?? "",
      });
      for (const svc of project.services) {
        for (const key of Object.keys(svc.config)) {
          if (MAPPED_SERVICE_KEYS.has(key)) continue;
          expect(
            conv.findings.some((f) => f.key.startsWith(`services.${svc.name}.${key}`)),
            `${c.name}: services.${svc.name}.${key}`,
          ).toBe(true);
        }
      }
      for (const f of conv.findings) expect(f.where.line, `${c.name}: ${f.key}`).toBeGreaterThan(0);
      if (conv.parsed) converted++;
      else
        expect(
          conv.findings.some((f) => f.severity === "error") || conv.schemaErrors.length > 0,
          c.name,
        ).toBe(true);
    }
    expect(converted).toBeGreaterThanOrEqual(20);
  });
});
