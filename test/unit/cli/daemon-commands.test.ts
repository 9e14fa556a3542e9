import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { parse } from "yaml";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DaemonClient, DaemonError } from "../../../src/cli/client.js";
import type { CliIo } from "../../../src/cli/io.js";
import { main, type CliEnv } from "../../../src/cli/main.js";
import { startHttpServer, type HttpServerHandle } from "../../../src/http/server.js";
import { nopLogger } from "../../../src/util/logger.js";
import { projectYaml } from "../../helpers/fake-state.js";
import { FakeApi, view } from "../../helpers/fake-service.js";
import { captureIo } from "../../helpers/cli-io.js";

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe("daemon commands against a real HTTP server", () => {
  let api: FakeApi;
  let server: HttpServerHandle;
  let env: CliEnv;
  let dir: string;

  beforeAll(async () => {
    api = new FakeApi();
    server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      registry: new Registry(),
      service: api,
      logger: nopLogger,
      ready: () => true,
      auth: "none",
    });
    env = { BERTH_SERVER: server.address.url };
    dir = mkdtempSync(join(tmpdir(), "berth-cli-"));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    api.calls.length = 0;
    api.views = [
      view("web", { status: { phase: "Running", ready: "1/1", portSummary: "20001->8080/tcp" } }),
      view("db", { namespace: "prod" }),
    ];
    api.wait = () => Promise.resolve({ outcome: "converged", message: "Running (1/1 ready)" });
  });

  const run = (io: CliIo, ...args: string[]) => main(["node", "berth", ...args], io, env);

  it("get prints a table of the default namespace", async () => {
    const io = captureIo();
    expect(await run(io, "get")).toBe(0);
    expect(io.stdout.split("\n")[0]).toMatch(/^NAME +PHASE +READY +PORTS +AGE$/);
    expect(io.stdout).toMatch(/^web +Running +1\/1 +20001->8080\/tcp +\S+$/m);
    expect(io.stdout).not.toContain("db");
    expect(api.calls[0]?.args[0]).toEqual({ namespace: "default" });
  });

  it("get warns on stderr about parts of the spec directory that are not watched", async () => {
    api.conditions = [
      {
        type: "SpecsWatched",
        status: "False",
        reason: "TreeTooLarge",
        message: "the spec directory holds more than 20000 entries; the rest is not watched",
        lastTransitionTime: "2026-01-01T00:00:00Z",
      },
    ];
    try {
      const io = captureIo();
      expect(await run(io, "get")).toBe(0);
      expect(io.stderr).toContain("warning: TreeTooLarge: the spec directory holds more than 20000 entries");
      expect(io.stdout).toContain("web");
    } finally {
      api.conditions = [];
    }
  });

  it("get -A adds the namespace column; -o json and -o yaml print resources", async () => {
    const all = captureIo();
    expect(await run(all, "get", "-A")).toBe(0);
    expect(all.stdout).toMatch(/^prod +db +Running/m);
    const json = captureIo();
    expect(await run(json, "get", "prod/db", "-o", "json")).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      kind: "Project",
      metadata: { name: "db", namespace: "prod" },
    });
    const yaml = captureIo();
    expect(await run(yaml, "get", "-o", "yaml", "-l", "team=web")).toBe(0);
    expect(parse(yaml.stdout)).toMatchObject({ kind: "ProjectList", items: [{ metadata: { name: "web" } }] });
    expect(api.calls.at(-1)?.args[0]).toEqual({ namespace: "default", labelSelector: "team=web" });
  });

  it("get of an unknown project exits 1 with the daemon's message", async () => {
    const io = captureIo();
    expect(await run(io, "get", "ghost")).toBe(1);
    expect(io.stderr).toMatch(
      /^berth: project default\/ghost not found; list the projects with `berth get -A`\n$/,
    );
  });

  it("get with no projects says so on stderr", async () => {
    api.views = [];
    const io = captureIo();
    expect(await run(io, "get")).toBe(0);
    expect(io.stderr).toBe("No projects found in namespace default.\n");
  });

  it("describe prints the project", async () => {
    const io = captureIo();
    expect(await run(io, "describe", "web")).toBe(0);
    expect(io.stdout).toMatch(/^Name: +web$/m);
    expect(io.stdout).toContain("Conditions:");
  });

  it("apply validates locally and sends nothing when a file is invalid", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: x}\nspec: {containers: [{name: c, image: i, ports: [{containerPort: 70000}]}]}\n",
    );
    const io = captureIo();
    expect(await run(io, "apply", "-f", bad)).toBe(1);
    expect(io.stderr).toMatch(
      /bad\.yaml:4:\d+ spec\.containers\[0\]\.ports\[0\]\.containerPort: 70000 is above the maximum 65535/,
    );
    expect(io.stderr).toContain("nothing was applied");
    expect(api.calls).toEqual([]);
  });

  it("apply sends every file of a directory in one request", async () => {
    const specs = mkdtempSync(join(dir, "specs-"));
    writeFileSync(join(specs, "a.yaml"), projectYaml("a"));
    writeFileSync(join(specs, "b.yml"), projectYaml("b"));
    const io = captureIo();
    expect(await run(io, "apply", "-f", specs, "--dry-run")).toBe(0);
    expect(io.stdout).toBe("project default/web configured (dry run)\n");
    const [text, opts] = api.calls[0]?.args ?? [];
    expect(text).toBe(`${projectYaml("a")}---\n${projectYaml("b")}`);
    expect(opts).toEqual({ dryRun: true });
  });

  it("apply --wait shows progress on stderr and the converged status", async () => {
    writeFileSync(join(dir, "w.yaml"), projectYaml("web"));
    api.wait = async (_r, o) => {
      o.onProgress?.("Progressing: pulling");
      return { outcome: "converged", message: "Running (1/1 ready)" };
    };
    const io = captureIo(true);
    expect(await run(io, "apply", "-f", join(dir, "w.yaml"), "--wait", "--timeout", "90s")).toBe(0);
    expect(io.stderr).toBe("\r\x1b[2Kdefault/web updated in /specs/web.yaml\r\x1b[2KProgressing: pulling\n");
    expect(io.stdout).toBe("project default/web configured\nproject default/web: Running (1/1 ready)\n");
    expect(api.calls.find((c) => c.method === "waitForWrites")?.args[1]).toBe(90_000);
  });

  it("stop --wait fails with the last status when the project fails", async () => {
    api.wait = async () => ({ outcome: "failed", message: "Failed: ImageNotFound - no such image" });
    const io = captureIo();
    expect(await run(io, "stop", "web", "--wait")).toBe(1);
    expect(api.calls[0]).toMatchObject({
      method: "setState",
      args: ["default", "web", "Stopped", { dryRun: false }],
    });
    expect(io.stdout).toBe("project default/web stopped\n");
    expect(io.stderr).toContain(
      "berth: default/web did not converge: Failed: ImageNotFound - no such image\n",
    );
  });

  it("restart --wait exits 1 on timeout", async () => {
    api.wait = async () => ({ outcome: "timeout", message: "timed out after 1s; last status: Progressing" });
    const io = captureIo();
    expect(await run(io, "restart", "-n", "prod", "db", "--wait", "--timeout", "1s")).toBe(1);
    expect(io.stderr).toMatch(/gave up waiting for prod\/db: timed out after 1s; last status: Progressing/);
  });

  it("start and delete call the daemon", async () => {
    const io = captureIo();
    expect(await run(io, "start", "web")).toBe(0);
    expect(await run(io, "delete", "prod/db")).toBe(0);
    expect(io.stdout).toBe("project default/web started\nproject prod/db deleted\n");
    expect(api.calls.map((c) => c.method)).toEqual(["setState", "delete"]);
    const missing = captureIo();
    expect(await run(missing, "delete", "missing-one")).toBe(1);
    expect(missing.stderr).toContain("not found");
  });

  it("rejects a bad --timeout before calling the daemon", async () => {
    const io = captureIo();
    expect(await run(io, "stop", "web", "--wait", "--timeout", "soon")).toBe(2);
    expect(api.calls).toEqual([]);
  });

  it("the client exposes error codes and spec errors", async () => {
    const client = new DaemonClient({ server: server.address.url });
    const err = await client.apply("invalid: yes").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonError);
    expect(err).toMatchObject({ status: 400, code: "SpecInvalid" });
    expect((err as DaemonError).message).toContain(
      "request:4:3 spec: must have required property 'containers'",
    );
  });
});

describe("without a daemon", () => {
  it("says how to start it when the connection is refused", async () => {
    const port = await closedPort();
    const io = captureIo();
    const code = await main(["node", "berth", "get"], io, { BERTH_SERVER: `http://127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(io.stderr).toBe(
      `berth: cannot reach the Berth daemon at http://127.0.0.1:${port} (connection refused); start it with: berth run --dir DIR\n`,
    );
  });

  it("--server overrides BERTH_SERVER", async () => {
    const port = await closedPort();
    const io = captureIo();
    await main(["node", "berth", "--server", `http://127.0.0.1:${port}/`, "describe", "x"], io, {
      BERTH_SERVER: "http://192.0.2.1:1",
    });
    expect(io.stderr).toContain(`at http://127.0.0.1:${port} (connection refused)`);
  });

  it("defaults to http://127.0.0.1:7420 and rejects a malformed URL", async () => {
    const help = captureIo();
    await main(["node", "berth", "--help"], help, {});
    expect(help.stdout).toContain('(default: "http://127.0.0.1:7420")');
    const io = captureIo();
    expect(await main(["node", "berth", "get"], io, { BERTH_SERVER: "127.0.0.1:7420" })).toBe(2);
    expect(io.stderr).toContain('invalid server URL "127.0.0.1:7420"');
  });
});
