import { describe, expect, it } from "vitest";
import { parseProjects } from "../../../src/api/index.js";
import { DesiredStore } from "../../../src/files/desired-store.js";

const doc = (name: string, env = "1", extra = "") =>
  `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: ${name}${extra}}\nspec:\n  containers: [{name: c, image: x, env: [{name: A, value: "${env}"}]}]\n`;

const parse = (file: string, text: string) => parseProjects(text, file);

describe("DesiredStore", () => {
  it("adds, changes and removes projects, bumping generation only on spec changes", () => {
    const s = new DesiredStore();
    expect(s.setFile("/d/a.yaml", parse("a.yaml", doc("web")))).toEqual(["default/web"]);
    expect(s.get("default/web")?.generation).toBe(1);
    expect(s.setFile("/d/a.yaml", parse("a.yaml", doc("web", "1", ", labels: {t: x}")))).toEqual([
      "default/web",
    ]);
    expect(s.get("default/web")?.generation).toBe(1);
    expect(s.get("default/web")?.project.metadata.labels).toEqual({ t: "x" });
    s.setFile("/d/a.yaml", parse("a.yaml", doc("web", "2")));
    expect(s.get("default/web")?.generation).toBe(2);
    expect(s.get("default/web")?.project.metadata.generation).toBe(2);
    expect(s.setFile("/d/a.yaml", parse("a.yaml", doc("other"))).sort()).toEqual([
      "default/other",
      "default/web",
    ]);
    expect(s.get("default/web")).toBeUndefined();
    expect(s.removeFile("/d/a.yaml")).toEqual(["default/other"]);
    expect(s.keys()).toEqual([]);
  });

  it("keeps the last good projects of a file with a syntax error and reports the error on them", () => {
    const s = new DesiredStore();
    s.setFile("/d/a.yaml", parse("a.yaml", `${doc("web")}---\n${doc("api")}`));
    const changed = s.setFile("/d/a.yaml", parse("a.yaml", `${doc("web")}  bad: [\n`));
    expect(changed.sort()).toEqual(["default/api", "default/web"]);
    const web = s.get("default/web");
    expect(web?.generation).toBe(1);
    expect(web?.specErrors[0]?.code).toBe("Syntax");
    expect(web?.specErrors[0]?.file).toBe("a.yaml");
    expect(s.get("default/api")?.specErrors).toHaveLength(1);
    s.setFile("/d/a.yaml", parse("a.yaml", `${doc("web")}---\n${doc("api")}`));
    expect(s.get("default/web")?.specErrors).toEqual([]);
  });

  it("keeps the last good spec of a project whose new document is invalid, and only that one", () => {
    const s = new DesiredStore();
    s.setFile("/d/a.yaml", parse("a.yaml", `${doc("web")}---\n${doc("api")}`));
    const broken = doc("api").replace("image: x", "image: x, restartPolicy: Sometimes");
    s.setFile("/d/a.yaml", parse("a.yaml", `${doc("web")}---\n${broken}`));
    expect(s.get("default/api")?.specErrors[0]?.path).toBe("spec.containers[0].restartPolicy");
    expect(s.get("default/api")?.specErrors[0]?.line).toBe(11);
    expect(s.get("default/web")?.specErrors).toEqual([]);
  });

  it("remembers the digest and parse each file's state was made from", () => {
    const s = new DesiredStore();
    const parsed = parse("a.yaml", doc("web"));
    s.setFile("/d/a.yaml", parsed, "d1");
    expect(s.content("/d/a.yaml")).toEqual({ digest: "d1", parsed });
    s.setFile("/d/a.yaml", { projects: [], errors: [] });
    expect(s.content("/d/a.yaml")).toBeUndefined(); // e.g. the file became unreadable
    expect(s.get("default/web")).toBeUndefined();
    s.setFile("/d/a.yaml", parsed, "d1");
    s.removeFile("/d/a.yaml");
    expect(s.content("/d/a.yaml")).toBeUndefined();
  });

  it("does not flip between two definitions of one project", () => {
    const s = new DesiredStore();
    s.setFile("/d/a.yaml", parse("a.yaml", doc("web", "from-a")));
    s.setFile("/d/b.yaml", parse("b.yaml", doc("web", "from-b")));
    expect(s.get("default/web")?.project.spec.containers[0]?.env?.[0]?.value).toBe("from-a");
    expect(s.errors().map((e) => [e.file, e.code])).toEqual([["b.yaml", "Duplicate"]]);
    s.setFile("/d/a.yaml", parse("a.yaml", doc("web", "from-a2")));
    expect(s.get("default/web")?.project.spec.containers[0]?.env?.[0]?.value).toBe("from-a2");
    s.removeFile("/d/a.yaml");
    expect(s.get("default/web")?.project.spec.containers[0]?.env?.[0]?.value).toBe("from-b");
    expect(s.errors()).toEqual([]);
  });
});
