/**
 * core/v1 Events about Projects, visible in `kubectl describe project`. An event repeated with
 * the same type, reason and message patches `count` and `lastTimestamp` of the one recorded
 * before instead of creating another (as client-go's recorder does). Recording never blocks and
 * never throws: events are best effort, a failure is logged at debug level.
 */
import { randomBytes } from "node:crypto";
import { LRUCache } from "lru-cache";
import { keyOf } from "../api/index.js";
import type { Logger } from "../util/logger.js";
import type { EventsApi } from "./api.js";
import { KubeApiError } from "./errors.js";
import type { KubeEvent, ProjectObject } from "./objects.js";

/** One event to record. */
export interface EventNote {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** Options of {@link EventRecorder}. */
export interface EventRecorderOptions {
  api: EventsApi;
  /** `reportingInstance` and `source.host`: the operator's identity. */
  instance: string;
  logger: Logger;
  now?: () => Date;
  /** Called after each attempt (the metric). */
  onRecorded?: (result: "created" | "patched" | "error") => void;
}

interface Recorded {
  name: string;
  count: number;
  first: string;
}

const COMPONENT = "berth";
const MAX_MESSAGE = 1024;

/** Records events with deduplication; see the module comment. */
export class EventRecorder {
  private readonly seen = new LRUCache<string, Recorded>({ max: 4096, ttl: 60 * 60_000 });
  /** Writes per dedup key are chained so that a repeat never races its first creation. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly now: () => Date;

  constructor(private readonly o: EventRecorderOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** Records `note` about `object`; returns at once. */
  record(object: ProjectObject, note: EventNote): void {
    const message =
      note.message.length > MAX_MESSAGE ? `${note.message.slice(0, MAX_MESSAGE - 3)}...` : note.message;
    const m = object.metadata;
    const dedup = `${m.namespace}/${m.name}/${m.uid ?? ""}/${note.type}/${note.reason}/${message}`;
    const prev = this.chains.get(dedup) ?? Promise.resolve();
    const next = prev.then(() => this.write(dedup, object, { ...note, message }));
    this.chains.set(dedup, next);
    void next.finally(() => {
      if (this.chains.get(dedup) === next) this.chains.delete(dedup);
    });
  }

  /** Resolves when every event recorded so far has been written or has failed. */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private async write(dedup: string, object: ProjectObject, note: EventNote): Promise<void> {
    const namespace = object.metadata.namespace ?? "default";
    const now = this.now().toISOString();
    const known = this.seen.get(dedup);
    try {
      if (known) {
        try {
          await this.o.api.patch(namespace, known.name, { count: known.count + 1, lastTimestamp: now });
          known.count++;
          this.o.onRecorded?.("patched");
          return;
        } catch (err) {
          if (!(err instanceof KubeApiError && err.notFound)) throw err;
          // expired on the server (events live an hour): record afresh
        }
      }
      const event = this.build(object, note, now);
      await this.o.api.create(event);
      this.seen.set(dedup, { name: event.metadata.name, count: 1, first: now });
      this.o.onRecorded?.("created");
    } catch (err) {
      this.o.onRecorded?.("error");
      this.o.logger.debug("recording an event failed", {
        project: keyOf(namespace, object.metadata.name),
        reason: note.reason,
        error: (err as Error).message,
      });
    }
  }

  private build(object: ProjectObject, note: EventNote, now: string): KubeEvent {
    const m = object.metadata;
    const namespace = m.namespace ?? "default";
    return {
      metadata: { name: `${m.name}.${randomBytes(8).toString("hex")}`, namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: m.name,
        namespace,
        ...(m.uid ? { uid: m.uid } : {}),
        ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      },
      reason: note.reason,
      message: note.message,
      type: note.type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: COMPONENT, host: this.o.instance },
      reportingComponent: `${COMPONENT}.dev/operator`,
      reportingInstance: this.o.instance,
    };
  }
}
