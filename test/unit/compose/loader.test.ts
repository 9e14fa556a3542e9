import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ComposeLoadError, loadComposeProject, parseComposeSpec } from "../../../src/compose/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-compose-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function loadError(dir: string, env: Record<string, string> = {}): ComposeLoadError {
  try {
    loadComposeProject({ files: [join(dir, "compose.yaml")], env, display: (p) => p.slice(dir.length + 1) });
  } catch (e) {
    if (e instanceof ComposeLoadError) return e;
    throw e;
  }
  throw new Error("loaded");
}

describe("loadComposeProject", () => {
  it("reports a schema violation at file:line:col", () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    image: x\n    prots: [80]\n" });
    const e = loadError(dir);
    expect(e.location).toEqual({ file: "compose.yaml", line: 4, column: 5 });
    expect(e.message).toMatch(
      /^compose\.yaml:4:5 services\.web\.prots: additional property prots is not allowed/,
    );
  });

  it("reports a wrong type at its key", () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    image: x\n    ports: 80\n" });
    expect(loadError(dir).message).toMatch(/^compose\.yaml:4:5 services\.web\.ports: must be a array/);
  });

  it("reports a YAML syntax error with its line", () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    image: [x\n" });
    expect(loadError(dir).message).toMatch(/^compose\.yaml:\d+:\d+: YAML syntax error/);
  });

  it("reports a failed ${VAR:?err} at the value", () => {
    const dir = project({
      "compose.yaml": "services:\n  web:\n    image: x\n    environment:\n      T: ${TOKEN:?set TOKEN}\n",
    });
    const e = loadError(dir);
    expect(e.location.line).toBe(5);
    expect(e.message).toMatch(/TOKEN.*set TOKEN/);
  });

  it("reports an extends cycle", () => {
    const dir = project({
      "compose.yaml": "services:\n  a: {image: x, extends: b}\n  b: {image: x, extends: a}\n",
    });
    expect(loadError(dir).message).toMatch(/extends cycle/);
  });

  it("takes the project name from -p, COMPOSE_PROJECT_NAME, name: and the directory, in that order", () => {
    const dir = project({ "compose.yaml": "name: From_File\nservices: {a: {image: x}}\n" });
    const files = [join(dir, "compose.yaml")];
    expect(loadComposeProject({ files, env: {}, projectName: "cli" }).name).toBe("cli");
    expect(loadComposeProject({ files, env: { COMPOSE_PROJECT_NAME: "envname" } }).name).toBe("envname");
    expect(loadComposeProject({ files, env: {} }).name).toBe("from_file");
  });

  it("lets the process environment win over .env", () => {
    const dir = project({ "compose.yaml": "services: {a: {image: 'x:${TAG}'}}\n", ".env": "TAG=dotenv\n" });
    const files = [join(dir, "compose.yaml")];
    expect(loadComposeProject({ files, env: {} }).services[0]?.config["image"]).toBe("x:dotenv");
    expect(loadComposeProject({ files, env: { TAG: "proc" } }).services[0]?.config["image"]).toBe("x:proc");
  });
});

describe("parseComposeSpec (the live source)", () => {
  it("turns a compose file into a valid project named after it", () => {
    const dir = project({
      "compose.yaml": "name: demo\nservices:\n  web: {image: 'busybox', ports: ['8080:80']}\n",
    });
    const abs = join(dir, "compose.yaml");
    const { result } = parseComposeSpec(
      abs,
      "name: demo\nservices:\n  web: {image: 'busybox', ports: ['8080:80']}\n",
      (p) => p,
      { env: () => ({}), allocatePorts: false },
    );
    expect(result.errors).toEqual([]);
    expect(result.projects[0]?.project.metadata.name).toBe("demo");
    expect(result.projects[0]?.project.spec.containers[0]?.ports?.[0]).toMatchObject({
      containerPort: 80,
      hostPort: 8080,
    });
  });

  it("allocates ports with allocatePorts", () => {
    const text = "name: demo\nservices:\n  web: {image: 'busybox', ports: ['8080:80']}\n";
    const dir = project({ "compose.yaml": text });
    const { result } = parseComposeSpec(join(dir, "compose.yaml"), text, (p) => p, {
      env: () => ({}),
      allocatePorts: true,
    });
    expect(result.projects[0]?.project.spec.containers[0]?.ports?.[0]?.hostPort).toBe(0);
  });

  it("turns error findings into SpecErrors at their line", () => {
    const text = "name: demo\nservices:\n  web:\n    image: busybox\n    privileged: true\n";
    const dir = project({ "compose.yaml": text });
    const { result } = parseComposeSpec(join(dir, "compose.yaml"), text, () => "compose.yaml", {
      env: () => ({}),
      allocatePorts: false,
    });
    expect(result.projects).toEqual([]);
    expect(result.errors[0]).toMatchObject({
      file: "compose.yaml",
      line: 5,
      column: 5,
      path: "services.web.privileged",
    });
    expect(result.errors[0]?.project).toEqual({ namespace: "default", name: "demo" });
  });
});
