/**
 * The containers one operator instance owns: a filtered view of the Docker observer. Several
 * operators may share a Docker engine (one per watched directory, or per kube host id); each
 * reconciles, follows logs of, samples and reports only the containers labelled with its own
 * `berth.dev/instance`.
 */
import { LABEL_INSTANCE } from "./labels.js";
import type { ObservedContainer, ObservedContainers } from "./observed.js";

/** A view of `all` that holds only containers whose instance label is `instance`. */
export function ownedContainers(all: ObservedContainers, instance: string): ObservedContainers {
  const owns = (c: ObservedContainer | undefined): c is ObservedContainer =>
    c !== undefined && c.labels[LABEL_INSTANCE] === instance;
  return {
    get synced() {
      return all.synced;
    },
    waitSynced: (signal) => all.waitSynced(signal),
    get: (id) => {
      const c = all.get(id);
      return owns(c) ? c : undefined;
    },
    byProject: (key) => all.byProject(key).filter(owns),
    all: () => all.all().filter(owns),
    // A removal passes through (the container is gone, so its labels cannot be checked); a
    // listener then finds nothing under the id, as it would for one of its own.
    onChange: (listener) =>
      all.onChange((key, id) => {
        const c = all.get(id);
        if (c === undefined || owns(c)) listener(key, id);
      }),
  };
}
