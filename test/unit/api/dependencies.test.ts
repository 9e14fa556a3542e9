import { describe, expect, it } from "vitest";
import { formatSpecError, parseProjects, type Project } from "../../../src/api/index.js";
import { checkRules } from "../../../src/api/rules.js";

const HEAD = "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata:\n  name: p\nspec:\n  containers:\n";

/** A project of one flow-style line per container (container i is on line 7 + i). */
function project(...containers: string[]): string {
  return HEAD + containers.map((c) => `    - {${c}}\n`).join("");
}

function errors(yaml: string): string[] {
  return parseProjects(yaml, "p.yaml").errors.map(formatSpecError);
}

/** A defaulted Project object for checkRules, without going through YAML. */
function objectProject(containers: Project["spec"]["containers"]): Project {
  return {
    apiVersion: "berth.dev/v1alpha1",
    kind: "Project",
    metadata: { name: "p", namespace: "default" },
    spec: {
      state: "Running",
      containers,
      logs: { retainLines: 10000 },
      metrics: { enabled: true, intervalSeconds: 2 },
    },
  } as Project;
}

describe("dependsOn", () => {
  it("accepts dependencies that can be met, and defaults the condition to Started", () => {
    const yaml = project(
      'name: db, image: x, healthCheck: {exec: {command: ["true"]}}',
      "name: migrate, image: x, restartPolicy: Never, dependsOn: [{name: db, condition: Healthy}]",
      "name: seed, image: x, restartPolicy: OnFailure, dependsOn: [{name: migrate, condition: Completed}]",
      "name: api, image: x, dependsOn: [{name: db}, {name: seed, condition: Completed}]",
    );
    const { projects, errors: errs } = parseProjects(yaml, "p.yaml");
    expect(errs).toEqual([]);
    expect(projects[0]?.project.spec.containers[3]?.dependsOn).toEqual([
      { name: "db", condition: "Started" },
      { name: "seed", condition: "Completed" },
    ]);
  });

  it("names the nearest container for an unknown name, at the entry's name", () => {
    expect(
      errors(project("name: postgres, image: x", "name: api, image: x, dependsOn: [{name: postgre}]")),
    ).toEqual([
      'p.yaml:8:48 spec.containers[1].dependsOn[0].name: "postgre" is not a container of this project; did you mean "postgres"?',
    ]);
  });

  it("lists the other containers when no name is close, at most eight of them", () => {
    expect(errors(project("name: db, image: x", "name: api, image: x, dependsOn: [{name: cache}]"))).toEqual([
      'p.yaml:8:48 spec.containers[1].dependsOn[0].name: "cache" is not a container of this project (its other containers are db)',
    ]);
    const many = Array.from({ length: 12 }, (_, i) => `name: svc${i}, image: x`);
    const [e] = errors(project(...many, "name: api, image: x, dependsOn: [{name: frontend}]"));
    expect(e).toContain(
      "(its other containers are svc0, svc1, svc2, svc3, svc4, svc5, svc6, svc7 and 4 more)",
    );
    expect(errors(project("name: api, image: x, dependsOn: [{name: db}]"))).toEqual([
      'p.yaml:7:48 spec.containers[0].dependsOn[0].name: "db" is not a container of this project, which has no other container',
    ]);
  });

  it("does not suggest the container itself", () => {
    const [e] = errors(project("name: apis, image: x", "name: api, image: x, dependsOn: [{name: apii}]"));
    expect(e).toContain('"apii" is not a container of this project; did you mean "apis"?');
  });

  it("refuses a container that depends on itself", () => {
    expect(errors(project("name: api, image: x, dependsOn: [{name: api}]"))).toEqual([
      "p.yaml:7:48 spec.containers[0].dependsOn[0].name: api depends on itself; remove this entry",
    ]);
  });

  it("refuses an entry listed twice", () => {
    expect(
      errors(
        project(
          "name: db, image: x",
          "name: api, image: x, dependsOn: [{name: db}, {name: db, condition: Started}]",
        ),
      ),
    ).toEqual([
      'p.yaml:8:60 spec.containers[1].dependsOn[1].name: dependency "db" is already listed at spec.containers[1].dependsOn[0]; remove one',
    ]);
  });

  it("refuses Healthy on a container without a health check, at the condition", () => {
    expect(
      errors(
        project("name: db, image: x", "name: api, image: x, dependsOn: [{name: db, condition: Healthy}]"),
      ),
    ).toEqual([
      "p.yaml:8:63 spec.containers[1].dependsOn[0].condition: db has no healthCheck, so it can never be Healthy; add one to db or use condition: Started",
    ]);
  });

  it("refuses Completed on a container whose restartPolicy is Always, set or defaulted", () => {
    const message =
      "migrate has restartPolicy Always (the default) and so never completes; give it restartPolicy Never or OnFailure to make it a job, or use condition: Started";
    for (const policy of ["", ", restartPolicy: Always"]) {
      const yaml = project(
        `name: migrate, image: x${policy}`,
        "name: api, image: x, dependsOn: [{name: migrate, condition: Completed}]",
      );
      expect(parseProjects(yaml, "p.yaml").errors.map((e) => [e.path, e.message])).toEqual([
        ["spec.containers[1].dependsOn[0].condition", message],
      ]);
    }
  });

  describe("cycles", () => {
    it("reports a cycle once, with its path, at its first container in spec order", () => {
      const yaml = project(
        "name: cache, image: x",
        "name: worker, image: x, dependsOn: [{name: cache}, {name: db}]",
        "name: api, image: x, dependsOn: [{name: worker}]",
        "name: db, image: x, dependsOn: [{name: api}]",
      );
      expect(errors(yaml)).toEqual([
        "p.yaml:8:66 spec.containers[1].dependsOn[1].name: dependency cycle: worker → db → api → worker; remove one of these dependsOn entries",
      ]);
    });

    it("reports a two-container cycle", () => {
      expect(
        errors(
          project("name: a, image: x, dependsOn: [{name: b}]", "name: b, image: x, dependsOn: [{name: a}]"),
        ),
      ).toEqual([
        "p.yaml:7:46 spec.containers[0].dependsOn[0].name: dependency cycle: a → b → a; remove one of these dependsOn entries",
      ]);
    });

    it("reports two separate cycles, each at its own first container", () => {
      const yaml = project(
        "name: a, image: x, dependsOn: [{name: b}]",
        "name: x, image: x, dependsOn: [{name: y}]",
        "name: b, image: x, dependsOn: [{name: a}]",
        "name: y, image: x, dependsOn: [{name: z}]",
        "name: z, image: x, dependsOn: [{name: x}]",
        "name: tail, image: x, dependsOn: [{name: a}, {name: x}]",
      );
      expect(parseProjects(yaml, "p.yaml").errors.map((e) => [e.line, e.path, e.message])).toEqual([
        [
          7,
          "spec.containers[0].dependsOn[0].name",
          "dependency cycle: a → b → a; remove one of these dependsOn entries",
        ],
        [
          8,
          "spec.containers[1].dependsOn[0].name",
          "dependency cycle: x → y → z → x; remove one of these dependsOn entries",
        ],
      ]);
    });

    it("names the shortest way round when cycles share containers", () => {
      const yaml = project(
        "name: a, image: x, dependsOn: [{name: b}, {name: c}]",
        "name: b, image: x, dependsOn: [{name: d}]",
        "name: d, image: x, dependsOn: [{name: a}]",
        "name: c, image: x, dependsOn: [{name: a}]",
      );
      expect(errors(yaml)).toEqual([
        "p.yaml:7:57 spec.containers[0].dependsOn[1].name: dependency cycle: a → c → a; remove one of these dependsOn entries",
      ]);
    });

    it("reports a long cycle with every container on it", () => {
      const n = 100;
      const yaml = project(
        ...Array.from({ length: n }, (_, i) => `name: c${i}, image: x, dependsOn: [{name: c${(i + 1) % n}}]`),
      );
      const errs = parseProjects(yaml, "p.yaml").errors;
      expect(errs).toHaveLength(1);
      const route = [...Array.from({ length: n }, (_, i) => `c${i}`), "c0"].join(" → ");
      expect(errs[0]).toMatchObject({
        line: 7,
        path: "spec.containers[0].dependsOn[0].name",
        message: `dependency cycle: ${route}; remove one of these dependsOn entries`,
      });
    });

    it("still checks cycles through entries whose condition is refused", () => {
      const yaml = project(
        "name: a, image: x, dependsOn: [{name: b, condition: Healthy}]",
        "name: b, image: x, dependsOn: [{name: a}]",
      );
      expect(parseProjects(yaml, "p.yaml").errors.map((e) => e.path)).toEqual([
        "spec.containers[0].dependsOn[0].name",
        "spec.containers[0].dependsOn[0].condition",
      ]);
    });
  });

  describe("at 128 containers", () => {
    const names = Array.from({ length: 128 }, (_, i) => `container-${String(i).padStart(3, "0")}`);

    it("accepts a chain of 128 containers, each depending on the one before", () => {
      const yaml = project(
        ...names.map(
          (n, i) => `name: ${n}, image: x${i > 0 ? `, dependsOn: [{name: ${names[i - 1]}}]` : ""}`,
        ),
      );
      const { projects, errors: errs } = parseProjects(yaml, "p.yaml");
      expect(errs).toEqual([]);
      expect(projects[0]?.project.spec.containers).toHaveLength(128);
    });

    it("accepts every container depending on all before it, and finds the cycle one edge closes", () => {
      const all = (closing: boolean) =>
        objectProject(
          names.map((name, i) => ({
            name,
            image: "x",
            imagePullPolicy: "IfNotPresent",
            restartPolicy: "Always",
            dependsOn: [
              ...names.slice(0, i).map((dep) => ({ name: dep, condition: "Started" as const })),
              ...(closing && i === 0 ? [{ name: names[127] ?? "", condition: "Started" as const }] : []),
            ],
          })),
        );
      const started = performance.now();
      expect(checkRules(all(false))).toEqual([]);
      const violations = checkRules(all(true));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(violations).toEqual([
        {
          path: ["spec", "containers", 0, "dependsOn", 0, "name"],
          message: `dependency cycle: ${names[0]} → ${names[127]} → ${names[0]}; remove one of these dependsOn entries`,
        },
      ]);
    });

    it("stays fast when every entry names an unknown container", () => {
      const spec = objectProject(
        names.map((name, i) => ({
          name,
          image: "x",
          imagePullPolicy: "IfNotPresent",
          restartPolicy: "Always",
          dependsOn: Array.from({ length: 127 }, (_, j) => ({
            name: `${"z".repeat(50)}-${i}-${j}`,
            condition: "Started" as const,
          })),
        })),
      );
      const started = performance.now();
      const violations = checkRules(spec);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(violations).toHaveLength(128 * 127);
      expect(violations.every((v) => v.message.includes("is not a container of this project"))).toBe(true);
    });
  });

  it("never throws on odd shapes", () => {
    const odd = objectProject([
      { name: "a", image: "x", dependsOn: "b" },
      { name: "b", image: "x", dependsOn: [null, 3, { condition: "Healthy" }, { name: 7 }, { name: "a" }] },
      { name: "c", image: "x", dependsOn: [{ name: "b", condition: "Sometimes" }] },
    ] as unknown as Project["spec"]["containers"]);
    expect(() => checkRules(odd)).not.toThrow();
    expect(checkRules(odd)).toEqual([]);
  });
});
