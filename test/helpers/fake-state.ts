import { dirname } from "node:path";
import { parseProjects } from "../../src/api/parse.js";
import type { SpecError } from "../../src/api/errors.js";
import type { ProjectStatus } from "../../src/api/types.js";
import type { DesiredProject, DesiredReader } from "../../src/api/desired.js";
import type { StatusEntry, StatusReader, Transition } from "../../src/api/status.js";

/** A project document with the given name, namespace and extra spec lines. */
export function projectYaml(
  name: string,
  opts: { namespace?: string; state?: string; image?: string } = {},
): string {
  return [
    "apiVersion: berth.dev/v1alpha1",
    "kind: Project",
    "metadata:",
    `  name: ${name}`,
    ...(opts.namespace ? [`  namespace: ${opts.namespace}`] : []),
    "spec:",
    ...(opts.state ? [`  state: ${opts.state}`] : []),
    "  containers:",
    "    - name: app",
    `      image: ${opts.image ?? "berth-test/busybox:1"}`,
    "",
  ].join("\n");
}

/** In-memory DesiredReader; `load` indexes a file's text the way the file source would. */
export class FakeDesired implements DesiredReader {
  readonly items = new Map<string, DesiredProject>();
  fileErrors: SpecError[] = [];

  /** Indexes every valid project in `text` as coming from `file`; bumps generation on spec change. */
  load(file: string, text: string): void {
    for (const p of parseProjects(text, file).projects) {
      const key = `${p.project.metadata.namespace}/${p.project.metadata.name}`;
      const prev = this.items.get(key);
      const generation = prev ? (prev.hash === p.hash ? prev.generation : prev.generation + 1) : 1;
      this.items.set(key, {
        key,
        project: { ...p.project, metadata: { ...p.project.metadata, generation } },
        generation,
        hash: p.hash,
        origin: { kind: "file", path: file, line: p.line, document: p.document },
        specDir: dirname(file),
        specChangedAt: 0,
        creationTimestamp: prev?.creationTimestamp ?? "2024-01-01T00:00:00Z",
        specErrors: [],
      });
    }
  }

  remove(key: string): void {
    this.items.delete(key);
  }

  get(key: string): DesiredProject | undefined {
    return this.items.get(key);
  }
  keys(): string[] {
    return [...this.items.keys()];
  }
  list(): DesiredProject[] {
    return [...this.items.values()];
  }
  errors(): SpecError[] {
    return this.fileErrors;
  }
}

/** In-memory StatusReader whose `set`/`remove` notify watchers synchronously, like the store. */
export class FakeStatus implements StatusReader {
  readonly entries = new Map<string, StatusEntry>();
  private readonly listeners = new Set<(key: string) => void>();

  set(key: string, status: ProjectStatus, transitions: Transition[] = []): void {
    this.entries.set(key, { status, transitions });
    for (const l of [...this.listeners]) l(key);
  }

  remove(key: string): void {
    this.entries.delete(key);
    for (const l of [...this.listeners]) l(key);
  }

  get(key: string): StatusEntry | undefined {
    return this.entries.get(key);
  }

  watch(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get watchers(): number {
    return this.listeners.size;
  }
}
