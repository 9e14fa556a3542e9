import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Images, ImageUnavailableError, type ImagesDocker } from "../../../src/reconcilers/images.js";
import type { BuildImageSpec } from "../../../src/runtime/docker.js";
import type { ContainerSpec } from "../../../src/api/index.js";

/** An engine whose builds succeed (a new id each) or fail after printing steps. */
class FakeBuilder implements ImagesDocker {
  readonly tags = new Map<string, string>();
  builds: BuildImageSpec[] = [];
  retags: string[] = [];
  fail = false;
  inspectImage(ref: string) {
    return Promise.resolve(this.tags.get(ref));
  }
  pullImage() {
    return Promise.reject(new Error("no registry"));
  }
  buildImage(spec: BuildImageSpec): Promise<string> {
    this.builds.push(spec);
    spec.onProgress?.({ stream: "Step 1/2 : FROM base\n" });
    spec.onProgress?.({ stream: " ---> abc\nStep 2/2 : RUN make" });
    spec.onProgress?.({ stream: "\n" });
    if (this.fail)
      return Promise.reject(new Error("The command '/bin/sh -c make' returned a non-zero code: 2"));
    const id = `sha256:build-${this.builds.length}`;
    for (const t of [spec.tag, ...(spec.extraTags ?? [])]) this.tags.set(t, id);
    return Promise.resolve(id);
  }
  tagImage(id: string, repo: string, tag: string) {
    this.retags.push(`${repo}:${tag}`);
    this.tags.set(`${repo}:${tag}`, id);
    return Promise.resolve();
  }
  localRepoDigests() {
    return Promise.resolve([]);
  }
  registryDigest(): Promise<string> {
    return Promise.reject(new Error("no registry"));
  }
}

describe("Images with build:", () => {
  let dir: string;
  const spec = {
    name: "api",
    image: "shop/api:dev",
    imagePullPolicy: "IfNotPresent",
    build: { context: ".", dockerfile: "Dockerfile" },
  } as ContainerSpec;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "berth-build-"));
    writeFileSync(join(dir, "Dockerfile"), "FROM base\n");
    writeFileSync(join(dir, "main.go"), "package main\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("builds once per digest, rebuilds on a change, and reuses (retags) an earlier build on a revert", async () => {
    const docker = new FakeBuilder();
    const lines: string[] = [];
    const tracked: string[] = [];
    const images = new Images(docker, {
      buildOutput: (p, c, l) => lines.push(`${p} ${c} ${l}`),
      contexts: { track: (p, c, d) => tracked.push(`${p} ${c} ${d}`) },
    });
    const opts = { project: "default/shop" };
    const v1 = await images.resolve(spec, dir, opts);
    expect(await images.resolve(spec, dir, opts)).toBe(v1);
    expect(docker.builds).toHaveLength(1);
    expect(docker.builds[0]?.extraTags?.[0]).toMatch(/^shop\/api:src-[0-9a-f]{16}$/);
    expect(docker.builds[0]?.labels).toMatchObject({
      "berth.dev/project": "default.shop",
      "berth.dev/container": "api",
    });
    expect(lines).toContain("default/shop api Step 2/2 : RUN make");
    expect(tracked).toContain(`default/shop api ${dir}`);

    writeFileSync(join(dir, "main.go"), "package main // v2\n");
    const v2 = await images.resolve(spec, dir, opts);
    expect(v2).not.toBe(v1);
    expect(docker.builds).toHaveLength(2);

    writeFileSync(join(dir, "main.go"), "package main\n");
    expect(await images.resolve(spec, dir, opts)).toBe(v1);
    expect(docker.builds).toHaveLength(2);
    expect(docker.retags).toEqual(["shop/api:dev"]);
    expect(docker.tags.get("shop/api:dev")).toBe(v1);
  });

  it("names the failing step", async () => {
    const docker = new FakeBuilder();
    docker.fail = true;
    const lines: string[] = [];
    const images = new Images(docker, { buildOutput: (_p, _c, l) => lines.push(l) });
    const err = await images.resolve(spec, dir, { project: "default/shop" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageUnavailableError);
    expect((err as Error).message).toMatch(
      /^building shop\/api:dev from .* failed at "Step 2\/2 : RUN make": The command/,
    );
    expect(lines.at(-1)).toMatch(/^build failed at "Step 2\/2 : RUN make"/);
  });
});
