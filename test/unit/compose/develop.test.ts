import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { convertProject, loadComposeProject, type Finding } from "../../../src/compose/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Loads and converts a compose file written in a fresh directory (with an `app/` build context). */
function convert(text: string): { container: Record<string, unknown>; findings: Finding[]; valid: boolean } {
  const dir = mkdtempSync(join(tmpdir(), "berth-develop-"));
  dirs.push(dir);
  mkdirSync(join(dir, "app"));
  writeFileSync(join(dir, "app", "Dockerfile"), "FROM scratch\n");
  writeFileSync(join(dir, "compose.yaml"), text);
  const project = loadComposeProject({
    files: [join(dir, "compose.yaml")],
    env: {},
    display: () => "compose.yaml",
  });
  const conv = convertProject(project, { allocatePorts: false, specDir: dir, source: "compose.yaml" });
  const spec = conv.project["spec"] as { containers: Record<string, unknown>[] };
  return {
    container: spec.containers[0] ?? {},
    findings: conv.findings,
    valid: conv.parsed !== undefined && conv.schemaErrors.length === 0,
  };
}

const keys = (fs: Finding[]) => fs.map((f) => `${f.where.line} ${f.key}`);

describe("compose develop.watch", () => {
  it("maps every action, with paths relative to the spec file and ignore as a list", () => {
    const { container, findings, valid } = convert(`services:
  web:
    build: ./app
    develop:
      watch:
        - path: ./app/html
          action: sync
          target: /www
          ignore: node_modules/
        - {path: app/conf, action: sync+restart, target: /etc/app, ignore: ["*.bak", tmp/]}
        - path: ./app/scripts
          action: sync+exec
          target: /opt/scripts
          exec:
            command: kill -HUP 1
        - {path: ./app/.env, action: restart}
        - {path: ./app/Dockerfile, action: rebuild}
`);
    expect(findings).toEqual([]);
    expect(valid).toBe(true);
    expect(container["develop"]).toEqual({
      watch: [
        { path: "./app/html", action: "sync", target: "/www", ignore: ["node_modules/"] },
        { path: "./app/conf", action: "sync+restart", target: "/etc/app", ignore: ["*.bak", "tmp/"] },
        {
          path: "./app/scripts",
          action: "sync+exec",
          target: "/opt/scripts",
          exec: { command: ["kill", "-HUP", "1"] },
        },
        { path: "./app/.env", action: "restart" },
        { path: "./app/Dockerfile", action: "rebuild" },
      ],
    });
  });

  it("reports include, initial_sync and exec options it cannot carry, at their lines", () => {
    const { container, findings, valid } = convert(`services:
  web:
    build: ./app
    develop:
      watch:
        - path: ./app
          action: sync+exec
          target: /app
          include: ["*.js"]
          initial_sync: true
          exec:
            command: ["sh", "-c", "touch /tmp/reload"]
            user: root
            privileged: true
            working_dir: /app
            environment: [MODE=dev]
`);
    expect(valid).toBe(true);
    expect(findings.every((f) => f.severity === "warning")).toBe(true);
    expect(keys(findings)).toEqual([
      "9 services.web.develop.watch[0].include",
      "10 services.web.develop.watch[0].initial_sync",
      "13 services.web.develop.watch[0].exec.user",
      "14 services.web.develop.watch[0].exec.privileged",
      "15 services.web.develop.watch[0].exec.working_dir",
      "16 services.web.develop.watch[0].exec.environment",
    ]);
    expect(container["develop"]).toEqual({
      watch: [
        {
          path: "./app",
          action: "sync+exec",
          target: "/app",
          exec: { command: ["sh", "-c", "touch /tmp/reload"] },
        },
      ],
    });
  });

  it("leaves out, with a warning, rules Berth could not run", () => {
    const { container, findings, valid } = convert(`services:
  web:
    image: berth-test/busybox:1
    develop:
      watch:
        - {path: ./app, action: sync}
        - {path: ./app, action: sync, target: relative/dir}
        - {path: ./app, action: sync+exec, target: /app}
        - {path: ./app, action: rebuild}
        - {path: ./app, action: restart}
`);
    expect(valid).toBe(true);
    expect(findings.every((f) => f.severity === "warning")).toBe(true);
    expect(keys(findings)).toEqual([
      "6 services.web.develop.watch[0].target",
      "7 services.web.develop.watch[1].target",
      "8 services.web.develop.watch[2].exec",
      "9 services.web.develop.watch[3]",
    ]);
    expect(findings[3]?.nearest).toBe("add build: to the service");
    expect(container["develop"]).toEqual({ watch: [{ path: "./app", action: "restart" }] });
  });

  it("reports options an action does not use, and maps nothing for an empty develop", () => {
    const a = convert(`services:
  web:
    image: x
    develop:
      watch:
        - path: ./app
          action: restart
          target: /app
          exec: {command: [echo, hi], privileged: false}
`);
    expect(keys(a.findings)).toEqual([
      "8 services.web.develop.watch[0].target",
      "9 services.web.develop.watch[0].exec",
    ]);
    expect(a.container["develop"]).toEqual({ watch: [{ path: "./app", action: "restart" }] });
    const b = convert("services:\n  web:\n    image: x\n    develop: {}\n");
    expect(b.findings).toEqual([]);
    expect(b.container["develop"]).toBeUndefined();
  });
});
