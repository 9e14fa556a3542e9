/**
 * The projects the page knows, kept current from `/api/v1/events`: `status` events replace a
 * project's view, `phase` events update its phase at once. Listeners hear which keys changed.
 * No DOM.
 */
import { projectKey } from "./format.js";
import type { PhaseEvent, ProjectView, StatusEvent } from "./types.js";

export type ChangeListener = (changed: ReadonlySet<string>, all: boolean) => void;

export class ProjectStore {
  private readonly projects = new Map<string, ProjectView>();
  private readonly listeners = new Set<ChangeListener>();
  /** Events that arrived while a full list was loading, applied on top of it. */
  private queued: Array<["phase", PhaseEvent] | ["status", StatusEvent]> | undefined;
  loaded = false;

  /** Sorted by namespace, then name. */
  list(): ProjectView[] {
    return [...this.projects.values()].sort(
      (a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
    );
  }

  get(key: string): ProjectView | undefined {
    return this.projects.get(key);
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Starts a reload: events from now on are queued until {@link replaceAll}. */
  beginLoad(): void {
    this.queued = [];
  }

  /** Replaces everything with a fresh list, then applies the events queued since beginLoad. */
  replaceAll(views: readonly ProjectView[]): void {
    this.projects.clear();
    for (const v of views) this.projects.set(projectKey(v), v);
    this.loaded = true;
    const queued = this.queued ?? [];
    this.queued = undefined;
    for (const [kind, e] of queued) {
      if (kind === "phase") this.applyPhase(e, false);
      else this.applyStatus(e, false);
    }
    this.emit(new Set(), true);
  }

  /** A phase event: the phase shows at once; the full view follows with the status event. */
  applyPhase(e: PhaseEvent, notify = true): void {
    if (this.queued) {
      this.queued.push(["phase", e]);
      return;
    }
    const current = this.projects.get(e.project);
    if (e.phase === "Deleted") {
      if (!this.projects.delete(e.project)) return;
    } else {
      if (!current) return; // a new project: its status event brings the whole view
      this.projects.set(e.project, { ...current, status: { ...current.status, phase: e.phase } });
    }
    if (notify) this.emit(new Set([e.project]), false);
  }

  /** A status event: the project as the API shows it now, or gone. */
  applyStatus(e: StatusEvent, notify = true): void {
    if (this.queued) {
      this.queued.push(["status", e]);
      return;
    }
    if (e.view === null) {
      if (!this.projects.delete(e.project)) return;
    } else this.projects.set(e.project, e.view);
    if (notify) this.emit(new Set([e.project]), false);
  }

  private emit(changed: ReadonlySet<string>, all: boolean): void {
    for (const l of this.listeners) l(changed, all);
  }
}
