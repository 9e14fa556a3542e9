import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseProjects } from "../../../src/api/index.js";
import type { ContainerSpec } from "../../../src/api/types.js";
import { PathPolicyError, PathResolver, realHostPaths } from "../../../src/reconcilers/mounts.js";

/** Every test gets `<tmp>/base` holding `watched/` (the allowed root) and `outside/`. */
let base: string;
let watched: string;
let outside: string;

beforeEach(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), "berth-mounts-")));
  watched = join(base, "watched");
  outside = join(base, "outside");
  await mkdir(join(watched, "data"), { recursive: true });
  await mkdir(outside);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const ref = (path: string, field = "spec.containers[0].volumes[0].hostPath") => ({
  field,
  path,
  baseDir: watched,
});

async function refusal(p: Promise<unknown>): Promise<PathPolicyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PathPolicyError);
  return err as PathPolicyError;
}

function container(extra: string): ContainerSpec {
  const yaml = `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: img:1}\n    - {name: b, image: img:1${extra}}\n`;
  const c = parseProjects(yaml, "p.yaml").projects[0]?.project.spec.containers[1];
  if (!c) throw new Error("invalid fixture");
  return c;
}

describe("PathResolver", () => {
  it("refuses a relative path when the spec has no directory (a custom resource without --build-root)", async () => {
    const resolver = new PathResolver({ allowedRoots: [watched] });
    const err = await refusal(resolver.resolve({ ...ref("./data"), baseDir: undefined }));
    expect(err.reason).toBe("PathNotAllowed");
    expect(err.message).toContain("--build-root");
    expect(await resolver.resolve({ ...ref(join(watched, "data")), baseDir: undefined })).toBe(
      join(watched, "data"),
    );
  });

  it("accepts relative and absolute paths inside the root and returns the real path", async () => {
    const r = new PathResolver({ allowedRoots: [watched] });
    expect(await r.resolve(ref("./data"))).toBe(join(watched, "data"));
    expect(await r.resolve(ref("data/../data"))).toBe(join(watched, "data"));
    expect(await r.resolve(ref(join(watched, "data")))).toBe(join(watched, "data"));
    expect(await r.resolve(ref("."))).toBe(watched);
  });

  it("follows a link that stays inside and returns its target", async () => {
    await symlink(join(watched, "data"), join(watched, "link"));
    await symlink("data", join(watched, "relative-link"));
    const r = new PathResolver({ allowedRoots: [watched] });
    expect(await r.resolve(ref("./link"))).toBe(join(watched, "data"));
    expect(await r.resolve(ref("relative-link"))).toBe(join(watched, "data"));
  });

  it("refuses a link inside that leads outside, naming the link, its target and the fix", async () => {
    await symlink(outside, join(watched, "link"));
    const r = new PathResolver({ allowedRoots: [watched] });
    const err = await refusal(r.resolve(ref("./link", "spec.containers[0].volumes[1].hostPath")));
    expect(err).toMatchObject({
      reason: "PathNotAllowed",
      field: "spec.containers[0].volumes[1].hostPath",
      path: "./link",
      target: outside,
    });
    expect(err.message).toContain(
      `"./link" (${join(watched, "link")}) resolves through a symbolic link to ${outside}`,
    );
    expect(err.message).toContain(`outside the allowed roots (${watched})`);
    expect(err.message).toContain(
      "use a path inside the watched directory, or start berth with --allow-host-path DIR",
    );
  });

  it("refuses a path below a linked directory that leads outside", async () => {
    await mkdir(join(outside, "sub"));
    await symlink(outside, join(watched, "link"));
    const r = new PathResolver({ allowedRoots: [watched] });
    const err = await refusal(r.resolve(ref("link/sub")));
    expect(err.target).toBe(join(outside, "sub"));
  });

  it("refuses plain paths outside, relative or absolute, and a sibling sharing the root's prefix", async () => {
    await mkdir(`${watched}-sibling`);
    const r = new PathResolver({ allowedRoots: [watched] });
    const up = await refusal(r.resolve(ref("../outside")));
    expect(up).toMatchObject({ reason: "PathNotAllowed", target: outside });
    expect(up.message).toContain(`"../outside" is ${outside}, outside the allowed roots`);
    expect((await refusal(r.resolve(ref(outside)))).target).toBe(outside);
    expect((await refusal(r.resolve(ref(`${watched}-sibling`)))).reason).toBe("PathNotAllowed");
  });

  it("accepts a name inside the root that merely starts with two dots", async () => {
    await mkdir(join(watched, "..cache"));
    const r = new PathResolver({ allowedRoots: [watched] });
    expect(await r.resolve(ref("./..cache"))).toBe(join(watched, "..cache"));
  });

  it("refuses a missing path and says to create it", async () => {
    const r = new PathResolver({ allowedRoots: [watched] });
    const err = await refusal(r.resolve(ref("./nope")));
    expect(err).toMatchObject({ reason: "PathMissing", path: "./nope", target: undefined });
    expect(err.message).toContain(`(${join(watched, "nope")}) does not exist; create it`);
  });

  it("refuses a dangling link as missing and names what it points to", async () => {
    await symlink(join(outside, "gone"), join(watched, "dangling"));
    const r = new PathResolver({ allowedRoots: [watched] });
    const err = await refusal(r.resolve(ref("dangling")));
    expect(err).toMatchObject({ reason: "PathMissing", target: undefined });
    expect(err.message).toContain(`is a symbolic link to ${join(outside, "gone")}, which does not exist`);
  });

  it("treats a path through a regular file as missing", async () => {
    await writeFile(join(watched, "file"), "x");
    const r = new PathResolver({ allowedRoots: [watched] });
    expect((await refusal(r.resolve(ref("file/sub")))).reason).toBe("PathMissing");
  });

  it("compares against the real path of a root that is itself a link", async () => {
    const rootLink = join(base, "root-link");
    await symlink(watched, rootLink);
    const r = new PathResolver({ allowedRoots: [rootLink] });
    // spec file reached through the link, volume written relative to it
    expect(await r.resolve({ ...ref("./data"), baseDir: rootLink })).toBe(join(watched, "data"));
    expect(await r.resolve(ref(join(watched, "data")))).toBe(join(watched, "data"));
    const err = await refusal(r.resolve(ref(outside)));
    expect(err.message).toContain(`outside the allowed roots (${rootLink})`);
  });

  it("handles a root below a linked parent and a root nested in another", async () => {
    const parentLink = join(base, "parent-link");
    await symlink(base, parentLink);
    await mkdir(join(outside, "extra"));
    const r = new PathResolver({
      allowedRoots: [join(parentLink, "watched"), join(parentLink, "outside", "extra")],
    });
    expect(await r.resolve(ref("./data"))).toBe(join(watched, "data"));
    expect(await r.resolve(ref(join(parentLink, "outside", "extra")))).toBe(join(outside, "extra"));
    expect((await refusal(r.resolve(ref(outside)))).reason).toBe("PathNotAllowed");
    const nested = new PathResolver({ allowedRoots: [watched, join(watched, "data")] });
    expect(await nested.resolve(ref("data"))).toBe(join(watched, "data"));
  });

  it("resolves each root once, and looks again for a root that did not exist", async () => {
    const rootLink = join(base, "root-link");
    await symlink(watched, rootLink);
    const later = join(base, "later");
    const r = new PathResolver({ allowedRoots: [rootLink, later] });
    expect(await r.resolve(ref("data"))).toBe(join(watched, "data"));
    // the root link now points elsewhere; the remembered real root still applies
    await rm(rootLink);
    await symlink(outside, rootLink);
    expect(await r.resolve(ref("data"))).toBe(join(watched, "data"));
    expect((await refusal(r.resolve(ref(outside)))).reason).toBe("PathNotAllowed");
    await mkdir(later);
    expect(await r.resolve(ref(later))).toBe(later);
  });

  it("accepts any existing path when no roots are configured, still by its real path", async () => {
    await symlink(outside, join(watched, "link"));
    const r = new PathResolver({ allowedRoots: [] });
    expect(await r.resolve(ref("./link"))).toBe(outside);
    expect((await refusal(r.resolve(ref("./nope")))).reason).toBe("PathMissing");
  });
});

describe("PathResolver.container", () => {
  it("returns the real path of every volume in order and of the build context", async () => {
    await mkdir(join(watched, "ctx"));
    await symlink(join(watched, "data"), join(watched, "link"));
    const spec = container(
      ", volumes: [{hostPath: ./link, mountPath: /a}, {hostPath: data, mountPath: /b}], build: {context: ./ctx}",
    );
    const r = new PathResolver({ allowedRoots: [watched] });
    expect(await r.container(spec, 1, watched)).toEqual({
      hostPaths: [join(watched, "data"), join(watched, "data")],
      buildContext: join(watched, "ctx"),
    });
    expect(await r.container(container(""), 1, watched)).toEqual({ hostPaths: [], buildContext: undefined });
  });

  it("names the field of the first refused path in spec order", async () => {
    await symlink(outside, join(watched, "link"));
    const r = new PathResolver({ allowedRoots: [watched] });
    const volume = await refusal(
      r.container(
        container(", volumes: [{hostPath: data, mountPath: /a}, {hostPath: ./link, mountPath: /b}]"),
        1,
        watched,
      ),
    );
    expect(volume.field).toBe("spec.containers[1].volumes[1].hostPath");
    const build = await refusal(r.container(container(", build: {context: ./link}"), 1, watched));
    expect(build).toMatchObject({ field: "spec.containers[1].build.context", target: outside });
    const missing = await refusal(r.container(container(", build: {context: ./nope}"), 1, watched));
    expect(missing).toMatchObject({ field: "spec.containers[1].build.context", reason: "PathMissing" });
  });
});

describe("realHostPaths", () => {
  it("maps containers to the real paths of their volumes and leaves out unresolvable ones", async () => {
    await symlink(outside, join(watched, "link"));
    const ok = { ...container(", volumes: [{hostPath: ./link, mountPath: /a}]"), name: "ok" };
    const bad = { ...container(", volumes: [{hostPath: ./nope, mountPath: /a}]"), name: "bad" };
    const paths = await realHostPaths([ok, bad], watched);
    expect(paths.get("ok")).toEqual([outside]);
    expect(paths.has("bad")).toBe(false);
  });
});
