/**
 * The list+watch loop against the real apiserver: events in order, relist after 410 Gone
 * (provoked by watching from a resourceVersion the server no longer has), and the watchdog.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WatchOptions } from "../../../src/kube/api.js";
import { createKubeApis, loadKubeConfig } from "../../../src/kube/client-node.js";
import type { ProjectObject } from "../../../src/kube/objects.js";
import { ListWatch, type RestartReason } from "../../../src/kube/watch.js";
import { nopLogger } from "../../../src/util/logger.js";
import { kubeEnv } from "../../helpers/kube.js";
import { eventually } from "../operator/daemon.js";
import { emptyNamespace, kc, projectYaml, setupKube } from "./operator-harness.js";

const NS = "kube-watch";

beforeAll(async () => {
  await setupKube([NS]);
}, 40 * 60_000);

afterAll(async () => {
  await emptyNamespace(NS);
}, 120_000);

function start(opts: { firstWatchFrom?: string; stallMs?: number }) {
  const apis = createKubeApis(loadKubeConfig({ kubeconfig: kubeEnv().kubeconfig }));
  const events: string[] = [];
  const lists: string[][] = [];
  const restarts: RestartReason[] = [];
  let first = true;
  const api = {
    list: apis.projects.list,
    // Fault injection: the first watch starts from a resourceVersion long compacted away.
    watch: (
      ns: string | undefined,
      o: WatchOptions,
      onEvent: Parameters<typeof apis.projects.watch>[2],
      sig: AbortSignal,
    ) => {
      const options = first && opts.firstWatchFrom ? { ...o, resourceVersion: opts.firstWatchFrom } : o;
      first = false;
      return apis.projects.watch(ns, options, onEvent, sig);
    },
  };
  const stop = new AbortController();
  const lw = new ListWatch({
    api,
    namespace: NS,
    handler: {
      replace: (items: readonly ProjectObject[]) => lists.push(items.map((i) => i.metadata.name).sort()),
      event: (type, o) => events.push(`${type} ${o.metadata.name}`),
    },
    logger: nopLogger,
    stallMs: opts.stallMs ?? 60_000,
    onRestart: (r) => restarts.push(r),
  });
  lw.start(stop.signal);
  return { lw, events, lists, restarts, stop };
}

describe("ListWatch against the apiserver", () => {
  it("lists, then sees creates, updates and deletes in order", async () => {
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-w1"));
    const w = start({});
    try {
      await w.lw.synced();
      expect(w.lists[0]).toEqual(["kube-w1"]);
      await kc(["apply", "-f", "-"], projectYaml(NS, "kube-w2"));
      await kc(["label", "bproj", "kube-w1", "-n", NS, "x=y"]);
      await kc(["delete", "bproj", "kube-w2", "-n", NS]);
      await eventually(() => w.events.length >= 3, 10_000, "three events");
      expect(w.events).toEqual(["ADDED kube-w2", "MODIFIED kube-w1", "DELETED kube-w2"]);
    } finally {
      w.stop.abort();
      await w.lw.stopped();
    }
  });

  it("relists after 410 Gone and keeps following", async () => {
    const w = start({ firstWatchFrom: "1" });
    try {
      await eventually(
        () => w.restarts.includes("expired") && w.lists.length >= 2,
        15_000,
        "a relist after 410",
      );
      await kc(["apply", "-f", "-"], projectYaml(NS, "kube-w3"));
      await eventually(() => w.events.includes("ADDED kube-w3"), 10_000, "the event after the relist");
    } finally {
      w.stop.abort();
      await w.lw.stopped();
    }
  });

  it("relists when the watch stays silent for longer than the stall limit", async () => {
    const w = start({ stallMs: 1500 });
    try {
      await w.lw.synced();
      await eventually(
        () => w.restarts.includes("stalled") && w.lists.length >= 2,
        10_000,
        "a relist by the watchdog",
      );
      await kc(["apply", "-f", "-"], projectYaml(NS, "kube-w4"));
      await eventually(
        () => w.events.includes("ADDED kube-w4") || w.lists.at(-1)?.includes("kube-w4"),
        10_000,
      );
    } finally {
      w.stop.abort();
      await w.lw.stopped();
    }
  });
});
