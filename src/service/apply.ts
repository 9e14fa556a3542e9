/**
 * Applying a request of Project documents, for the project service: the request is parsed and
 * validated once, then written all or nothing (`atomic`, the default) or project by project,
 * with a result or an error for each. HTTP, MCP and the CLI all apply through this path.
 */
import { parseAllDocuments, type Document } from "yaml";
import { documentKey } from "../files/spec-yaml.js";
import {
  API_VERSION,
  type ApplyItem,
  BadRequestError,
  type ParsedProject,
  parseProjects,
  projectKey,
  type SpecError,
  SpecInvalidError,
  type SpecWriter,
  splitDuplicates,
  type WriteResult,
  keyOf,
} from "../api/index.js";

/** Options of an apply. */
export interface ApplyOptions {
  dryRun?: boolean;
  /** Optimistic concurrency for a request with exactly one project. */
  expectedHash?: string;
  /** The name errors give the request text; default "request". */
  source?: string;
  /**
   * True (the default): any failure rejects the whole request (SpecInvalidError lists every
   * spec error; a write error is thrown as it is) and nothing is written. False: every project
   * is written on its own, and the ones that fail are listed in `failures` with their error.
   */
  atomic?: boolean;
}

/** A project of the request that was not written, with why. */
export interface ApplyFailure {
  /** `namespace/name`, when the failed document names a project. */
  key?: string;
  /**
   * SpecInvalidError with the document's spec errors, or the error the write failed with (a
   * ServiceError, or an unexpected one).
   */
  error: unknown;
}

/**
 * What an apply did: one result per project written or unchanged (`action`), in document order,
 * and one failure per project that was not written (always empty when atomic).
 */
export interface ApplyResponse {
  dryRun: boolean;
  results: WriteResult[];
  failures: ApplyFailure[];
  /** The validated project behind each entry of `results`, in the same order (for dry-run plans). */
  projects: ParsedProject[];
}

/**
 * Parses and validates `text` once and writes its projects with `writer`; see
 * {@link ApplyOptions}. Throws BadRequestError for a request without projects or with an
 * `expectedHash` and several projects, whatever `atomic` says.
 */
export async function applyDocuments(
  writer: SpecWriter,
  text: string,
  options: ApplyOptions = {},
): Promise<ApplyResponse> {
  const source = options.source ?? "request";
  const atomic = options.atomic !== false;
  const dryRun = options.dryRun === true;
  const parsed = parseProjects(text, source);
  const { unique, duplicates } = splitDuplicates(parsed.projects);
  const errors = [...parsed.errors, ...duplicates];
  if (atomic && errors.length > 0) throw new SpecInvalidError(errors);
  const failures = specFailures(errors);
  const what = source === "request" ? "the request" : source;
  if (unique.length === 0 && failures.length === 0) {
    throw new BadRequestError(
      `${what} holds no Project documents`,
      `send YAML or JSON with apiVersion: ${API_VERSION}, kind: Project, metadata.name and spec.containers`,
    );
  }
  const named = unique.length + failures.length;
  if (options.expectedHash !== undefined && named > 1) {
    throw new BadRequestError(
      `an expected version (expectedHash, resourceVersion, If-Match) applies to one project, ${what} holds ${named}`,
      "apply the projects one by one to pass a version each",
    );
  }
  const items = writerItems(text, unique, options.expectedHash);
  if (atomic) {
    const results = await writer.apply(items, { dryRun });
    return { dryRun, results, failures: [], projects: unique };
  }
  const outcomes = await Promise.all(
    items.map((item) =>
      writer.apply([item], { dryRun }).then(
        (results) => ({ results }),
        (error: unknown) => ({ error }),
      ),
    ),
  );
  const out: ApplyResponse = { dryRun, results: [], failures, projects: [] };
  outcomes.forEach((o, i) => {
    const project = unique[i];
    if (!project) return;
    if ("error" in o) out.failures.push({ key: projectKey(project.project), error: o.error });
    else {
      out.results.push(...o.results);
      out.projects.push(...o.results.map(() => project));
    }
  });
  return out;
}

/** The spec errors of a request as failures, one per project (or per unnamed document line). */
function specFailures(errors: readonly SpecError[]): ApplyFailure[] {
  const byProject = new Map<string, { key?: string; errors: SpecError[] }>();
  for (const e of errors) {
    const key = e.project ? keyOf(e.project.namespace, e.project.name) : undefined;
    const group = key ?? `line ${e.line}`;
    const entry = byProject.get(group) ?? { ...(key !== undefined ? { key } : {}), errors: [] };
    entry.errors.push(e);
    byProject.set(group, entry);
  }
  return [...byProject.values()].map((g) => ({
    ...(g.key !== undefined ? { key: g.key } : {}),
    error: new SpecInvalidError(g.errors),
  }));
}

/** The writer's items: each valid project with the user's document, so that key order is kept. */
function writerItems(
  text: string,
  projects: readonly ParsedProject[],
  expectedHash: string | undefined,
): ApplyItem[] {
  const docs = requestDocuments(text);
  return projects.map((p) => {
    const doc = docs.get(projectKey(p.project));
    return {
      project: p.project,
      ...(doc ? { source: doc } : {}),
      ...(expectedHash !== undefined ? { expectedHash } : {}),
    };
  });
}

/** The request's documents by project key, so that the writer keeps the user's key order. */
function requestDocuments(text: string): Map<string, Document> {
  const docs = parseAllDocuments(text);
  const out = new Map<string, Document>();
  for (const doc of Array.isArray(docs) ? docs : []) {
    const key = documentKey(doc);
    if (key !== undefined && !out.has(key)) out.set(key, doc);
  }
  return out;
}
