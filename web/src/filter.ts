/**
 * The project filter of the list view: one text box whose words all have to match. Pure.
 *
 *   shop            name or namespace contains "shop" (case-insensitive), or a label does
 *   team=payments   label team is payments      team!=payments   it is not (or absent)
 *   team            label team exists           phase:running    phase is Running
 */
import type { ProjectView } from "./types.js";

export interface LabelTerm {
  key: string;
  op: "=" | "!=" | "exists";
  value: string;
}

export interface ProjectFilter {
  /** Lowercased free words. */
  words: string[];
  labels: LabelTerm[];
  /** Lowercased phases; a project matches any of them. */
  phases: string[];
}

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** Parses the filter text. Never throws: anything unrecognised is a free word. */
export function parseFilter(text: string): ProjectFilter {
  const filter: ProjectFilter = { words: [], labels: [], phases: [] };
  for (const token of text.trim().split(/\s+/)) {
    if (token === "") continue;
    const phase = /^phase:(.+)$/i.exec(token);
    if (phase?.[1]) {
      filter.phases.push(...phase[1].toLowerCase().split(",").filter(Boolean));
      continue;
    }
    const label = /^([^=!]+)(!=|=)(.*)$/.exec(token);
    if (label?.[1] && LABEL_KEY.test(label[1])) {
      filter.labels.push({ key: label[1], op: label[2] === "!=" ? "!=" : "=", value: label[3] ?? "" });
      continue;
    }
    filter.words.push(token.toLowerCase());
  }
  return filter;
}

/** Whether `view` passes `filter` and the phase picked in the phase menu ("" for all). */
export function matchesFilter(view: ProjectView, filter: ProjectFilter, phase = ""): boolean {
  const current = view.status.phase ?? "Pending";
  if (phase !== "" && current !== phase) return false;
  if (filter.phases.length > 0 && !filter.phases.includes(current.toLowerCase())) return false;
  for (const term of filter.labels) {
    const value = view.labels[term.key];
    if (term.op === "=" && value !== term.value) return false;
    if (term.op === "!=" && value === term.value) return false;
  }
  if (filter.words.length === 0) return true;
  const haystack = [
    `${view.namespace}/${view.name}`,
    ...Object.entries(view.labels).map(([k, v]) => `${k}=${v}`),
  ]
    .join("\n")
    .toLowerCase();
  return filter.words.every((w) => haystack.includes(w));
}

/** Projects that pass, in the given order. */
export function filterProjects(views: readonly ProjectView[], text: string, phase = ""): ProjectView[] {
  const filter = parseFilter(text);
  return views.filter((v) => matchesFilter(v, filter, phase));
}
