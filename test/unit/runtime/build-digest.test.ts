import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BuildDigester, buildTag, repositoryOf } from "../../../src/runtime/build-digest.js";
import { tagOf } from "../../../src/reconcilers/image-build.js";

describe("BuildDigester", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "berth-digest-"));
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\nCOPY src /src\n");
    writeFileSync(join(dir, "src", "a.txt"), "a");
    writeFileSync(join(dir, "notes.md"), "ignored");
    writeFileSync(join(dir, ".dockerignore"), "notes.md\n*.log\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is stable, and ignores what .dockerignore excludes", async () => {
    const g = new BuildDigester();
    const first = await g.digest(dir);
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    writeFileSync(join(dir, "notes.md"), "edited");
    writeFileSync(join(dir, "debug.log"), "new ignored file");
    expect(await g.digest(dir)).toBe(first);
    expect(await new BuildDigester().digest(dir)).toBe(first);
  });

  it("leaves excluded paths (what the dev loop syncs) out, and only those", async () => {
    const g = new BuildDigester();
    const base = await g.digest(dir, { exclude: ["src"] });
    writeFileSync(join(dir, "src", "a.txt"), "synced edit");
    writeFileSync(join(dir, "src", "new.txt"), "new");
    expect(await g.digest(dir, { exclude: ["src"] })).toBe(base);
    expect(await g.digest(dir, { exclude: ["sr"] })).not.toBe(base);
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
    expect(await g.digest(dir, { exclude: ["src"] })).not.toBe(base);
  });

  it("changes with a sent file's content, even when size and mtime stay the same", async () => {
    const g = new BuildDigester();
    const first = await g.digest(dir);
    writeFileSync(join(dir, "src", "a.txt"), "b");
    utimesSync(join(dir, "src", "a.txt"), new Date(1000), new Date(1000));
    expect(await g.digest(dir)).not.toBe(first);
  });

  it("changes with a new file, a mode, a link target, the Dockerfile path and build args", async () => {
    const g = new BuildDigester();
    const base = await g.digest(dir);
    const seen = new Set([base]);
    writeFileSync(join(dir, "src", "b.txt"), "b");
    seen.add(await g.digest(dir));
    symlinkSync("a.txt", join(dir, "src", "link"));
    seen.add(await g.digest(dir));
    seen.add(await g.digest(dir, { dockerfile: "Dockerfile.dev" }));
    seen.add(await g.digest(dir, { args: { VERSION: "1" } }));
    expect(seen.size).toBe(5);
    expect(await g.digest(dir, { args: { A: "1", B: "2" } })).toBe(
      await g.digest(dir, { args: { B: "2", A: "1" } }),
    );
  });
});

describe("references", () => {
  it("splits repository and tag as Docker does", () => {
    expect(repositoryOf("registry:5000/team/app:1.2")).toBe("registry:5000/team/app");
    expect(repositoryOf("registry:5000/team/app")).toBe("registry:5000/team/app");
    expect(repositoryOf("app@sha256:abc")).toBe("app");
    expect(tagOf("registry:5000/team/app:1.2")).toBe("1.2");
    expect(tagOf("registry:5000/app")).toBe("latest");
    expect(buildTag("sha256:0123456789abcdef0123")).toBe("src-0123456789abcdef");
  });
});
