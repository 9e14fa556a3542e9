import { describe, expect, it } from "vitest";
import { SpecInvalidError } from "../../../src/api/errors.js";
import { parseProjects } from "../../../src/api/parse.js";
import { toDesired } from "../../../src/kube/desired.js";
import { KubeSpecWriter } from "../../../src/kube/spec-writer.js";
import { BadRequestError, ConflictError, ProjectNotFoundError } from "../../../src/api/write-errors.js";
import { KubeApiError } from "../../../src/kube/errors.js";
import { FakeProjects, projectObject } from "../../helpers/fake-kube-api.js";

function item(name: string, image = "berth-test/busybox:1", labels?: Record<string, string>) {
  const text = `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}, namespace: team${labels ? `, labels: ${JSON.stringify(labels)}` : ""}}
spec:
  containers: [{name: web, image: ${image}}]
`;
  const p = parseProjects(text, "req").projects[0];
  if (!p) throw new Error("bad fixture");
  return { project: p.project };
}

const hashOf = (api: FakeProjects, key: string) => {
  const o = api.objects.get(key);
  return o ? toDesired(key, o, undefined).desired?.hash : undefined;
};

describe("KubeSpecWriter", () => {
  it("apply creates, then updates with the resourceVersion, and reports unchanged when nothing changes", async () => {
    const api = new FakeProjects();
    const w = new KubeSpecWriter(api);
    const [created] = await w.apply([item("a")]);
    expect(created).toMatchObject({ key: "team/a", action: "created", file: "projects.berth.dev/team/a" });
    expect(created?.hash).toBe(hashOf(api, "team/a"));
    const [same] = await w.apply([item("a")]);
    expect(same?.action).toBe("unchanged");
    expect(api.count("replace")).toBe(0);
    const [updated] = await w.apply([item("a", "other:1", { team: "x" })]);
    expect(updated?.action).toBe("updated");
    const stored = api.objects.get("team/a");
    expect(stored?.metadata.generation).toBe(2);
    expect(stored?.metadata.labels).toEqual({ team: "x" });
    expect(api.calls.find((c) => c.method === "replace")?.body).toMatchObject({
      metadata: { resourceVersion: "101" },
    });
    expect(updated?.hash).toBe(hashOf(api, "team/a"));
  });

  it("reports the generation from the apiserver's answer, not a guess", async () => {
    const api = new FakeProjects();
    const w = new KubeSpecWriter(api);
    api.seed(projectObject("a", { namespace: "team", generation: 7 }));
    const [replaced] = await w.apply([item("a", "other:1")]);
    expect(replaced).toMatchObject({ action: "updated", generation: 8 });
    expect(api.objects.get("team/a")?.metadata.generation).toBe(8);
    const labelled = await w.patch("team/a", { metadata: { labels: { t: "1" } } });
    expect(labelled).toMatchObject({ action: "updated", generation: 8 });
    const [same] = await w.apply([item("a", "other:1", { t: "1" })]);
    expect(same).toMatchObject({ action: "unchanged", generation: 8 });
    const [created] = await w.apply([item("b")]);
    expect(created).toMatchObject({ action: "created", generation: 1 });
    const [wouldChange] = await w.apply([item("b", "other:2")], { dryRun: true });
    expect(wouldChange?.generation).toBeUndefined();
    expect((await w.delete("team/b")).generation).toBeUndefined();
  });

  it("dry runs write nothing", async () => {
    const api = new FakeProjects();
    const w = new KubeSpecWriter(api);
    const [r] = await w.apply([item("a")], { dryRun: true });
    expect(r).toMatchObject({ action: "created", dryRun: true });
    expect(api.objects.size).toBe(0);
  });

  it("turns a stale expectedHash or a moved resourceVersion into ConflictError", async () => {
    const api = new FakeProjects();
    const w = new KubeSpecWriter(api);
    await w.apply([item("a")]);
    await expect(w.setState("team/a", "Stopped", { expectedHash: "beef" })).rejects.toBeInstanceOf(
      ConflictError,
    );
    api.faults.patch = [];
    api.faults.replace = [new KubeApiError("modified", 409, "Conflict")];
    await expect(w.setState("team/a", "Stopped")).rejects.toBeInstanceOf(ConflictError);
    const ok = await w.setState("team/a", "Stopped", { expectedHash: hashOf(api, "team/a") ?? "" });
    expect(ok.action).toBe("updated");
    expect(api.objects.get("team/a")?.spec?.["state"]).toBe("Stopped");
  });

  it("restart stamps the annotation without a new generation; each call restarts again", async () => {
    const api = new FakeProjects();
    const w = new KubeSpecWriter(api);
    await w.apply([item("a")]);
    const now = new Date("2030-01-01T00:00:00.000Z");
    const first = await w.restart("team/a", now);
    const second = await w.restart("team/a", now);
    expect(first.restartedAt).toBe("2030-01-01T00:00:00.000Z");
    expect(second.restartedAt).toBe("2030-01-01T00:00:00.001Z");
    const o = api.objects.get("team/a");
    expect(o?.metadata.annotations?.["berth.dev/restartedAt"]).toBe(second.restartedAt);
    expect(o?.metadata.generation).toBe(1);
  });

  it("patch merges named items and validates before writing", async () => {
    const api = new FakeProjects();
    const w = new KubeSpecWriter(api);
    await w.apply([item("a")]);
    await w.patch("team/a", {
      spec: { containers: { web: { env: { GREETING: "hi" } } } },
      metadata: { labels: { t: "1" } },
    });
    const o = api.objects.get("team/a");
    expect(o?.spec?.["containers"]).toEqual([
      expect.objectContaining({ name: "web", env: [{ name: "GREETING", value: "hi" }] }),
    ]);
    expect(o?.metadata.labels).toEqual({ t: "1" });
    const writes = api.count("replace");
    await expect(
      w.patch("team/a", { spec: { containers: { web: { restartPolicy: "sometimes" } } } }),
    ).rejects.toBeInstanceOf(SpecInvalidError);
    expect(api.count("replace")).toBe(writes);
  });

  it("delete carries preconditions; missing projects and namespaces get service errors", async () => {
    const api = new FakeProjects();
    const w = new KubeSpecWriter(api);
    api.seed(projectObject("a", { namespace: "team" }));
    const r = await w.delete("team/a");
    expect(r.action).toBe("deleted");
    expect(api.calls.find((c) => c.method === "delete")?.body).toEqual({
      resourceVersion: "101",
      uid: "uid-a",
    });
    await expect(w.delete("team/a")).rejects.toBeInstanceOf(ProjectNotFoundError);
    api.faults.create = [new KubeApiError('namespaces "nope" not found', 404, "NotFound")];
    await expect(w.apply([item("b")])).rejects.toBeInstanceOf(BadRequestError);
  });
});
