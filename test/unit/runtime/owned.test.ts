import type { ContainerInspectInfo } from "dockerode";
import { afterEach, describe, expect, it } from "vitest";
import { DockerObserver } from "../../../src/runtime/observer.js";
import { ownedContainers } from "../../../src/runtime/owned.js";
import { FakeDocker, inspectDoc, until } from "../../helpers/fake-docker.js";

function labelled(id: string, project: string, instance: string): ContainerInspectInfo {
  const doc = inspectDoc(id, project);
  (doc.Config.Labels as Record<string, string>)["berth.dev/instance"] = instance;
  return doc;
}

const aborts: AbortController[] = [];
afterEach(() => {
  for (const a of aborts.splice(0)) a.abort();
});

describe("ownedContainers", () => {
  it("shows only the containers labelled with its instance, and passes removals through", async () => {
    const docker = new FakeDocker();
    docker.containers.set("mine", labelled("mine", "default.shop", "host:aaa"));
    docker.containers.set("theirs", labelled("theirs", "default.shop", "host:bbb"));
    docker.containers.set("unlabelled", inspectDoc("unlabelled", "default.shop"));
    const abort = new AbortController();
    aborts.push(abort);
    const observer = new DockerObserver({ client: docker, minBackoffMs: 1, maxBackoffMs: 5 });
    const owned = ownedContainers(observer, "host:aaa");
    const changes: string[] = [];
    owned.onChange((_key, id) => changes.push(id));
    observer.start(abort.signal);
    await owned.waitSynced();

    expect(owned.synced).toBe(true);
    expect(observer.all()).toHaveLength(3);
    expect(owned.all().map((c) => c.id)).toEqual(["mine"]);
    expect(owned.byProject("default/shop").map((c) => c.id)).toEqual(["mine"]);
    expect(owned.get("mine")?.id).toBe("mine");
    expect(owned.get("theirs")).toBeUndefined();
    expect(changes).toEqual(["mine"]);

    docker.containers.delete("theirs");
    docker.emit("destroy", "theirs");
    await until(() => observer.get("theirs") === undefined);
    expect(changes).toEqual(["mine", "theirs"]);
    expect(owned.get("theirs")).toBeUndefined();

    docker.containers.set("theirs2", labelled("theirs2", "default.shop", "host:bbb"));
    docker.emit("create", "theirs2");
    await until(() => observer.get("theirs2") !== undefined);
    expect(changes).toEqual(["mine", "theirs"]);
  });
});
