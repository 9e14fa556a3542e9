import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as parse from "../../../src/api/parse.js";
import { readSpecFile } from "../../../src/api/spec-file.js";
import { DesiredStore } from "../../../src/files/desired-store.js";
import { FileSource } from "../../../src/files/file-source.js";
import { FileSpecWriter } from "../../../src/files/spec-writer.js";
import type { McpBackend } from "../../../src/mcp/backend.js";
import type { ToolContext } from "../../../src/mcp/tool.js";
import { patchProject } from "../../../src/mcp/tools/write.js";
import { ProjectService } from "../../../src/service/service.js";
import { nopLogger } from "../../../src/util/logger.js";
import { FakeStatus, projectYaml } from "../../helpers/fake-state.js";
import { eventually } from "../../helpers/poll.js";

vi.mock("../../../src/api/parse.js", async (importOriginal) => {
  const original = await importOriginal<typeof parse>();
  return { ...original, parseProjects: vi.fn(original.parseProjects) };
});

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  await eventually(check, ms, what, 5);
}

/**
 * One patch_project call, as an MCP client makes it (with the resourceVersion it read), through
 * the tool, the project service, the file spec writer and the file source into the desired store:
 * the spec file is parsed and validated once. (Before the writer handed its parse over, the same
 * path parsed it three times: the writer for resourceVersion and for validation, the file source
 * once more after the write.)
 */
describe("patch_project parses the spec file once", () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => cleanup.splice(0).forEach((c) => c()));

  it("counts one parse and validation from the tool call to the desired store", async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), "berth-parse-count-")));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "web.yaml"), projectYaml("web"));
    const store = new DesiredStore();
    const reads: string[] = [];
    const source = new FileSource({
      dir,
      store,
      logger: nopLogger,
      debounceMs: 20,
      readSpec: async (path, root) => {
        const text = await readSpecFile(path, { root });
        reads.push(path);
        return text;
      },
    });
    const stop = new AbortController();
    cleanup.push(() => stop.abort());
    source.start(stop.signal, () => {});
    await source.ready();
    const writer = new FileSpecWriter(dir, store, { handOver: source });
    const service = new ProjectService({
      desired: store,
      status: new FakeStatus(),
      writer,
      ready: () => true,
      info: { dir, version: "0.0.0-test", pid: 1, http: "http://127.0.0.1:0" },
    });
    const backend: McpBackend = {
      service,
      logs: () => [],
      metrics: () => [],
      observed: () => [],
      publishAddress: "127.0.0.1",
    };
    const ctx: ToolContext = { backend, signal: stop.signal, progress: () => {} };
    const before = store.get("default/web")!;
    const parses = vi.mocked(parse.parseProjects);
    parses.mockClear();
    reads.length = 0;

    const out = await patchProject.run(
      {
        name: "web",
        resourceVersion: before.hash,
        patch: { spec: { containers: { app: { env: { GREETING: "hi" } } } } },
      },
      ctx,
    );
    expect(out.isError).toBeFalsy();
    // the generation the store gave the write, read back, not computed from the one before
    expect((out.structured as { results: unknown[] }).results).toEqual([
      expect.objectContaining({
        action: "updated",
        generation: 2,
        resourceVersion: store.get("default/web")?.hash,
      }),
    ]);
    expect(store.get("default/web")?.generation).toBe(2);
    // the watcher's read of the written file finds the digest the store already holds
    await until(() => reads.length > 0, "the file source's read of the write");
    await new Promise((r) => setTimeout(r, 50));
    expect(parses).toHaveBeenCalledTimes(1);
    expect(parses.mock.calls[0]?.[1]).toBe(join(dir, "web.yaml"));
  });
});
