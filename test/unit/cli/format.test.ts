import { describe, expect, it } from "vitest";
import { joinDocuments } from "../../../src/cli/apply.js";
import { formatAge, parseTimeout } from "../../../src/cli/duration.js";
import { formatTable } from "../../../src/cli/get.js";
import type { CliIo } from "../../../src/cli/io.js";
import { resolveName } from "../../../src/cli/names.js";
import { ProgressLine } from "../../../src/cli/progress.js";
import { renderTable } from "../../../src/cli/table.js";
import { parseProjects } from "../../../src/api/parse.js";
import { view } from "../../helpers/fake-service.js";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe("formatAge", () => {
  it.each([
    [-5 * S, "<invalid>"],
    [-500, "0s"],
    [0, "0s"],
    [5 * S, "5s"],
    [119 * S, "119s"],
    [3 * M, "3m"],
    [3 * M + 20 * S, "3m20s"],
    [12 * M + 30 * S, "12m"],
    [179 * M, "179m"],
    [3 * H, "3h"],
    [5 * H + 30 * M, "5h30m"],
    [30 * H, "30h"],
    [4 * D, "4d"],
    [4 * D + 6 * H, "4d6h"],
    [120 * D, "120d"],
    [2 * 365 * D + 30 * D, "2y30d"],
    [9 * 365 * D, "9y"],
  ])("%d ms -> %s", (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

describe("renderTable", () => {
  it("aligns columns with three spaces and no trailing blanks", () => {
    expect(
      renderTable(
        ["NAME", "PHASE", "AGE"],
        [
          ["web", "Running", "5s"],
          ["database", "", "3m"],
        ],
      ),
    ).toBe("NAME       PHASE     AGE\nweb        Running   5s\ndatabase             3m\n");
    expect(renderTable(["A", "B"], [["x", "y"]], "  ")).toBe("  A   B\n  x   y\n");
  });
});

describe("get table", () => {
  const now = new Date("2025-01-01T00:05:00Z");
  const views = [
    view("web", {
      status: {
        phase: "Running",
        ports: [{ container: "app", containerPort: 8080, hostPort: 20001, protocol: "TCP" }],
        containers: [{ name: "app", state: "running", health: "healthy" }],
      },
    }),
    view("db", {
      namespace: "prod",
      generation: 3,
      file: "/specs/prod/db.yaml",
      line: 7,
      status: { phase: "Pending" },
    }),
  ];

  it("prints NAME PHASE READY PORTS AGE", () => {
    expect(formatTable(views, {}, now)).toBe(
      [
        "NAME   PHASE     READY   PORTS             AGE",
        "web    Running   1/1     20001->8080/tcp   5m",
        "db     Pending   0/1     <none>            5m",
        "",
      ].join("\n"),
    );
  });

  it("adds NAMESPACE, JOBS/WAITING, GENERATION and FILE in wide output", () => {
    const text = formatTable(views, { wide: true }, now, "/specs");
    expect(text.split("\n")[0]).toBe(
      "NAMESPACE   NAME   PHASE     READY   PORTS             AGE   JOBS/WAITING   GENERATION   FILE",
    );
    expect(text.split("\n")[2]).toMatch(/^prod +db +Pending +0\/1 +<none> +5m +3 +prod\/db\.yaml:7$/);
  });

  it("counts completed, failed and waiting containers in JOBS/WAITING, and completed ones as ready", () => {
    const jobs = view("shop", {
      status: {
        phase: "Progressing",
        containers: [
          { name: "migrate", state: "exited", exitCode: 0, reason: "Completed" },
          { name: "api", state: "", reason: "Waiting", message: "migrate is not Completed yet" },
          { name: "worker", state: "", reason: "Waiting", message: "api is not Started yet" },
          { name: "db", state: "running", health: "healthy" },
        ],
      },
    });
    const seed = view("seed", {
      status: {
        phase: "Failed",
        containers: [{ name: "app", state: "exited", exitCode: 3, reason: "Failed" }],
      },
    });
    const [header, ...rows] = formatTable([jobs, seed, views[0] ?? jobs], { wide: true }, now, "/specs")
      .trimEnd()
      .split("\n");
    const at = header?.indexOf("JOBS/WAITING") ?? -1;
    const cell = (row: string | undefined) => row?.slice(at, header?.indexOf("GENERATION")).trim();
    expect(rows.map(cell)).toEqual(["1 completed, 2 waiting", "1 failed", ""]);
    expect(formatTable([jobs], {}, now)).not.toContain("waiting");
  });

  it("counts a completed job as ready when the status has no count of its own", () => {
    const base = view("shop");
    const app = base.spec.containers[0];
    if (!app) throw new Error("the fake view has a container");
    const v = view("shop", {
      spec: { ...base.spec, containers: [{ ...app, name: "migrate", restartPolicy: "Never" }, app] },
      status: {
        phase: "Running",
        containers: [
          { name: "migrate", state: "exited", exitCode: 0, reason: "Completed" },
          { name: "app", state: "running" },
        ],
      },
    });
    expect(formatTable([v], {}, now)).toMatch(/\nshop +Running +2\/2 /);
  });

  it("prefers the status's own ready count and port summary", () => {
    const v = view("x", { status: { phase: "Running", ready: "2/3", portSummary: "20001->80/tcp" } });
    expect(formatTable([v], {}, now)).toContain("2/3     20001->80/tcp");
  });
});

describe("argument parsing", () => {
  it("parses timeouts", () => {
    expect(parseTimeout("60s")).toBe(60_000);
    expect(parseTimeout("1m30s")).toBe(90_000);
    expect(parseTimeout("250ms")).toBe(250);
    expect(parseTimeout("5")).toBe(5000);
    expect(() => parseTimeout("soon")).toThrow(/invalid --timeout "soon"/);
    expect(() => parseTimeout("2h")).toThrow(/at most 1h/);
  });

  it("resolves NAME and NAMESPACE/NAME", () => {
    expect(resolveName("web")).toEqual({ namespace: "default", name: "web" });
    expect(resolveName("web", "prod")).toEqual({ namespace: "prod", name: "web" });
    expect(resolveName("prod/web")).toEqual({ namespace: "prod", name: "web" });
    expect(() => resolveName("prod/web", "dev")).toThrow(/-n says dev/);
    expect(() => resolveName("a/b/c")).toThrow(/NAMESPACE\/NAME/);
  });
});

describe("joinDocuments", () => {
  it("joins files into one stream with the same documents", () => {
    const a =
      "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: a}\nspec: {containers: [{name: c, image: i}]}";
    const b =
      "%YAML 1.2\n---\napiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: b}\nspec: {containers: [{name: c, image: i}]}\n";
    const c =
      "---\n# c\napiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: c}\nspec: {containers: [{name: c, image: i}]}\n";
    const parsed = parseProjects(joinDocuments([a, b, c]), "x");
    expect(parsed.errors).toEqual([]);
    expect(parsed.projects.map((p) => p.project.metadata.name)).toEqual(["a", "b", "c"]);
  });
});

describe("ProgressLine", () => {
  function io(): CliIo & { text: string } {
    const o = { text: "", out: () => {}, err: (t: string) => void (o.text += t) };
    return o;
  }

  it("rewrites the line in place on a terminal", () => {
    const tty = io();
    const p = new ProgressLine(tty, true);
    p.update("a");
    p.update("a");
    p.update("b");
    p.end();
    expect(tty.text).toBe("\r\x1b[2Ka\r\x1b[2Kb\n");
  });

  it("prints one line per change otherwise", () => {
    const pipe = io();
    const p = new ProgressLine(pipe, false);
    p.update("a");
    p.update("a");
    p.update("b");
    p.end();
    expect(pipe.text).toBe("a\nb\n");
  });
});
