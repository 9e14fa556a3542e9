import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BadRequestError } from "../../../src/api/write-errors.js";
import { parseComposeSpec } from "../../../src/compose/index.js";
import { DesiredStore } from "../../../src/files/desired-store.js";
import { FileSpecWriter } from "../../../src/files/spec-writer.js";

const COMPOSE = "name: shop\nservices:\n  web: {image: 'berth-test/busybox:1', ports: ['8080:80']}\n";

describe("writes to a compose-backed project", () => {
  let dir = "";
  let path = "";
  let writer: FileSpecWriter;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), "berth-compose-writes-")));
    path = join(dir, "compose.yaml");
    writeFileSync(path, COMPOSE);
    const store = new DesiredStore();
    store.setFile(
      path,
      parseComposeSpec(path, COMPOSE, (p) => p, { env: () => ({}), allocatePorts: false }).result,
    );
    writer = new FileSpecWriter(dir, store);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("are refused with a hint, and the compose file is left as it was", async () => {
    const err = await writer.setState("default/shop", "Stopped").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toMatch(/compose file .*compose\.yaml/);
    expect((err as BadRequestError).hint).toMatch(/berth import compose/);
    await expect(writer.delete("default/shop")).rejects.toBeInstanceOf(BadRequestError);
    const project = {
      apiVersion: "berth.dev/v1alpha1" as const,
      kind: "Project" as const,
      metadata: { name: "shop", namespace: "default" },
      spec: { containers: [{ name: "web", image: "x" }] },
    };
    await expect(writer.apply([{ project } as never])).rejects.toBeInstanceOf(BadRequestError);
    expect(readFileSync(path, "utf8")).toBe(COMPOSE);
  });
});
