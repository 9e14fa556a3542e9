import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { parseProjects } from "../../../src/api/index.js";
import type { ContainerSpec } from "../../../src/api/types.js";
import { containerHash, createSpec, type ContainerInputs } from "../../../src/reconcilers/container-spec.js";
import { DotenvSyntaxError, parseDotenv } from "../../../src/reconcilers/dotenv.js";
import { HiddenEnv, resolveEnv } from "../../../src/reconcilers/env.js";
import { PathPolicyError, PathResolver } from "../../../src/reconcilers/mounts.js";

const SECRET = "hunter2-very-secret";

function container(extra: string, volumes = ""): ContainerSpec {
  const yaml = `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: p}\nspec:\n${volumes}  containers:\n    - {name: api, image: img:1${extra}}\n`;
  const parsed = parseProjects(yaml, "p.yaml");
  const c = parsed.projects[0]?.project.spec.containers[0];
  if (!c) throw new Error(`invalid fixture: ${JSON.stringify(parsed.errors)}`);
  return c;
}

function inputs(c: ContainerSpec, over: Partial<ContainerInputs> = {}): ContainerInputs {
  return {
    key: "default/p",
    instance: "i",
    spec: c,
    ports: [],
    imageID: "sha256:abc",
    network: "berth-default-p",
    publishAddress: "127.0.0.1",
    hostPaths: [],
    restartedAt: undefined,
    ...over,
  };
}

describe("dotenv files", () => {
  it("reads NAME=value lines as compose does", () => {
    const text =
      '# comment\n\nexport A=1\nB = two words  # note\nC=\'lit $x \\n\'\nD="line\\nnext \\"q\\""\nE=\nF="multi\nline"\n';
    expect(Object.fromEntries(parseDotenv(text))).toEqual({
      A: "1",
      B: "two words",
      C: "lit $x \\n",
      D: 'line\nnext "q"',
      E: "",
      F: "multi\nline",
    });
  });

  it("names the line of an error and never quotes it", () => {
    const err = (() => {
      try {
        parseDotenv(`A=1\n${SECRET}\n`);
      } catch (e) {
        return e as DotenvSyntaxError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DotenvSyntaxError);
    expect(err?.message).toBe("line 2: expected NAME=value (a bare name is not supported)");
    expect(() => parseDotenv('A="open\n')).toThrow('line 1: the " quote is never closed');
  });
});

describe("resolved environments", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "berth-env-")));
  mkdirSync(join(dir, "secrets"));
  writeFileSync(join(dir, "secrets", "pg"), `${SECRET}\n`);
  writeFileSync(join(dir, "app.env"), "MODE=file\nFROM_FILE=1\n");
  const paths = new PathResolver({ allowedRoots: [dir] });
  const where = { namespace: "default", specDir: dir };
  const sources = { secretEnv: (n: string) => (n === "OP_SECRET" ? "from-op" : undefined) };
  const c = container(
    ", envFrom: [{file: ./app.env}], env: [{name: MODE, value: spec}, {name: PG, valueFrom: {secret: {file: ./secrets/pg}}}, {name: T, valueFrom: {secret: {env: OP_SECRET}}}]",
  );

  it("layers env files under env entries, with secrets from files and the operator's environment", async () => {
    const env = await resolveEnv(c, 0, where, paths, sources);
    expect(env?.values.reveal()).toEqual(["MODE=spec", "FROM_FILE=1", `PG=${SECRET}`, "T=from-op"]);
    expect(env?.files).toEqual([join(dir, "app.env"), join(dir, "secrets", "pg")]);
    const body = createSpec(inputs(c, env ? { env } : {}), "n", "h");
    expect(body.Env).toContain(`PG=${SECRET}`);
  });

  it("hides the values from JSON, inspect and strings; the hash follows a digest", async () => {
    const env = await resolveEnv(c, 0, where, paths, sources);
    if (!env) throw new Error("no env");
    const shown = [JSON.stringify({ env }), inspect({ env }, { depth: 5 }), `${env.values}`].join("\n");
    expect(shown).not.toContain(SECRET);
    expect(shown).toContain("values hidden");
    const before = containerHash(inputs(c, { env }));
    writeFileSync(join(dir, "secrets", "pg"), "changed\n");
    const after = await resolveEnv(c, 0, where, paths, sources);
    expect(after && containerHash(inputs(c, { env: after }))).not.toBe(before);
    writeFileSync(join(dir, "secrets", "pg"), `${SECRET}\n`);
  });

  it("names the field of a missing variable or file, never a value", async () => {
    const missing = container(", env: [{name: T, valueFrom: {secret: {env: NOPE}}}]");
    await expect(resolveEnv(missing, 0, where, paths, sources)).rejects.toThrow(
      "spec.containers[0].env[0].valueFrom.secret.env: NOPE is not set in the operator's environment",
    );
    const gone = container(", env: [{name: T, valueFrom: {secret: {file: ./secrets/gone}}}]");
    const err = await resolveEnv(gone, 0, where, paths, sources).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PathPolicyError);
    expect((err as PathPolicyError).reason).toBe("PathMissing");
    const kube = container(", env: [{name: T, valueFrom: {secretKeyRef: {name: db, key: pw}}}]");
    await expect(resolveEnv(kube, 0, where, paths, sources)).rejects.toThrow("secretKeyRef needs kube mode");
    writeFileSync(join(dir, "bad.env"), `${SECRET}\n`);
    const bad = container(", envFrom: [{file: ./bad.env}]");
    const badErr = (await resolveEnv(bad, 0, where, paths, sources).catch((e: unknown) => e)) as Error;
    expect(badErr.message).toContain("line 1");
    expect(badErr.message).not.toContain(SECRET);
  });

  it("leaves a spec without env files or secrets to its own values", async () => {
    expect(
      await resolveEnv(container(", env: [{name: A, value: b}]"), 0, where, paths, sources),
    ).toBeUndefined();
    expect(new HiddenEnv(["A=b"]).size).toBe(1);
  });
});

describe("named volume mounts", () => {
  it("bind the Docker volume berth-<ns>-<name>-<volume> beside host paths", () => {
    const c = container(
      ", volumes: [{volume: pgdata, mountPath: /var/lib/pg}, {hostPath: ./d, mountPath: /d, readOnly: true}]",
      "  volumes: [{name: pgdata}]\n",
    );
    const body = createSpec(inputs(c, { hostPaths: ["", "/real/d"] }), "n", "h");
    expect(body.HostConfig?.Binds).toEqual(["berth-default-p-pgdata:/var/lib/pg", "/real/d:/d:ro"]);
  });
});
