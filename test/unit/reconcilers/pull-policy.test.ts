import { describe, expect, it } from "vitest";
import { pullDecision } from "../../../src/reconcilers/pull-policy.js";
import { Images, type ImagesDocker } from "../../../src/reconcilers/images.js";
import type { ContainerSpec } from "../../../src/api/index.js";

const REPO_DIGEST = "registry.example/app@sha256:aaa";

describe("pullDecision (imagePullPolicy: Always)", () => {
  it("pulls an absent image", () => {
    expect(
      pullDecision({ localId: undefined, localDigests: [], registry: { digest: "sha256:aaa" } }),
    ).toEqual({
      pull: true,
      reason: "absent",
    });
  });
  it("does not pull when the registry digest is the one the local image came with", () => {
    const d = pullDecision({
      localId: "sha256:local",
      localDigests: [REPO_DIGEST],
      registry: { digest: "sha256:aaa" },
    });
    expect(d).toEqual({ pull: false, reason: "unchanged" });
  });
  it("pulls when the registry digest changed", () => {
    const d = pullDecision({
      localId: "sha256:local",
      localDigests: [REPO_DIGEST],
      registry: { digest: "sha256:bbb" },
    });
    expect(d).toEqual({ pull: true, reason: "changed" });
  });
  it("keeps the local image when the registry cannot be reached", () => {
    const d = pullDecision({
      localId: "sha256:local",
      localDigests: [REPO_DIGEST],
      registry: { error: new Error("no such host") },
    });
    expect(d).toEqual({ pull: false, reason: "registry-unreachable" });
  });
});

/** A registry and engine in memory: the registry's digest can change between resyncs. */
class FakeRegistryDocker implements ImagesDocker {
  registry = "sha256:aaa";
  local = { id: "sha256:one", digest: "sha256:aaa" };
  pulls = 0;
  calls = 0;
  inspectImage() {
    this.calls++;
    return Promise.resolve(this.local.id);
  }
  pullImage() {
    this.pulls++;
    this.local = { id: `sha256:pulled-${this.pulls}`, digest: this.registry };
    return Promise.resolve();
  }
  buildImage(): Promise<string> {
    return Promise.reject(new Error("no builds here"));
  }
  tagImage() {
    return Promise.resolve();
  }
  localRepoDigests() {
    this.calls++;
    return Promise.resolve([`registry.example/app@${this.local.digest}`]);
  }
  registryDigest() {
    this.calls++;
    return Promise.resolve(this.registry);
  }
}

describe("Images under imagePullPolicy: Always", () => {
  const spec = { name: "app", image: "registry.example/app:1", imagePullPolicy: "Always" } as ContainerSpec;

  it("re-pulls on a resync only when the registry digest changed, and checks at most once per interval", async () => {
    let now = 0;
    const docker = new FakeRegistryDocker();
    const images = new Images(docker, { registryCheckMs: 1000, now: () => now });
    expect(await images.resolve(spec, undefined, {})).toBe("sha256:one");
    expect(docker.pulls).toBe(0);
    // within the interval: served from memory, no Docker call
    docker.calls = 0;
    now = 500;
    expect(await images.resolve(spec, undefined, {})).toBe("sha256:one");
    expect(docker.calls).toBe(0);
    // interval passed, registry unchanged: no pull
    now = 1500;
    expect(await images.resolve(spec, undefined, {})).toBe("sha256:one");
    expect(docker.pulls).toBe(0);
    // registry moved on: the next due check pulls, and the new image ID is returned
    docker.registry = "sha256:bbb";
    now = 3000;
    expect(await images.resolve(spec, undefined, {})).toBe("sha256:pulled-1");
    expect(docker.pulls).toBe(1);
  });
});
