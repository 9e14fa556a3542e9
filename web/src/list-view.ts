/** The project table at `#/`: filter box, phase menu, and one row per project, updated in place. */
import { h, replace } from "./dom.js";
import { matchesFilter, parseFilter } from "./filter.js";
import { formatAge, phaseTone, portLinks, projectKey, readyText } from "./format.js";
import type { ProjectStore } from "./store.js";
import { PHASES, type ProjectView } from "./types.js";

/** A phase badge; `data-phase` lets tests and styles find it. */
export function phaseBadge(phase: string | undefined): HTMLElement {
  const p = phase ?? "Pending";
  return h("span", { class: `badge tone-${phaseTone(p)}`, "data-phase": p }, p);
}

/** Links to a project's published ports. */
export function portList(view: ProjectView): HTMLElement {
  const links = portLinks(view.status.ports);
  if (links.length === 0) return h("span", { class: "muted" }, "—");
  return h(
    "span",
    { class: "ports" },
    ...links.map((l) =>
      l.href
        ? h("a", { href: l.href, target: "_blank", rel: "noopener noreferrer" }, l.label)
        : h("span", {}, l.label),
    ),
  );
}

export function projectHref(view: Pick<ProjectView, "namespace" | "name">): string {
  return `#/p/${encodeURIComponent(view.namespace)}/${encodeURIComponent(view.name)}`;
}

/** Mounts the list view into `root`; returns the function that unmounts it. */
export function mountList(
  root: HTMLElement,
  store: ProjectStore,
  filterState: { text: string; phase: string },
): () => void {
  const filterInput = h("input", {
    id: "filter",
    type: "search",
    placeholder: "name, team=payments, phase:running",
    value: filterState.text,
    "aria-describedby": "filter-help",
    autocomplete: "off",
    spellcheck: "false",
  });
  const phaseSelect = h(
    "select",
    { id: "phase-filter" },
    h("option", { value: "" }, "all phases"),
    ...PHASES.map((p) => h("option", { value: p, selected: p === filterState.phase }, p)),
  );
  const count = h("p", { id: "count", class: "muted", role: "status" });
  const tbody = h("tbody");
  const empty = h("p", { class: "empty", hidden: true });
  const table = h(
    "table",
    { class: "projects", id: "projects" },
    h("caption", { class: "sr-only" }, "Projects"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Name"),
        h("th", { scope: "col" }, "Namespace"),
        h("th", { scope: "col" }, "Phase"),
        h("th", { scope: "col" }, "Ready"),
        h("th", { scope: "col" }, "Ports"),
        h("th", { scope: "col" }, "Age"),
      ),
    ),
    tbody,
  );
  replace(
    root,
    h("h1", {}, "Projects"),
    h(
      "div",
      { class: "toolbar", role: "search" },
      h("label", { for: "filter" }, "Filter"),
      filterInput,
      h("label", { for: "phase-filter" }, "Phase"),
      phaseSelect,
    ),
    h(
      "p",
      { id: "filter-help", class: "help" },
      "Words match names and labels; key=value and key!=value match labels; phase:NAME a phase. Press / to focus.",
    ),
    count,
    h("div", { class: "table-wrap" }, table),
    empty,
  );

  const rows = new Map<string, HTMLTableRowElement>();
  const renderRow = (tr: HTMLTableRowElement, v: ProjectView, now: number) => {
    replace(
      tr,
      h("th", { scope: "row", "data-label": "Name" }, h("a", { href: projectHref(v) }, v.name)),
      h("td", { "data-label": "Namespace" }, v.namespace),
      h("td", { "data-label": "Phase", class: "phase" }, phaseBadge(v.status.phase)),
      h("td", { "data-label": "Ready" }, readyText(v)),
      h("td", { "data-label": "Ports" }, portList(v)),
      h(
        "td",
        { "data-label": "Age", class: "age", "data-since": v.creationTimestamp },
        formatAge(v.creationTimestamp, now),
      ),
    );
  };

  const render = (changed: ReadonlySet<string>, all: boolean) => {
    const now = Date.now();
    const filter = parseFilter(filterState.text);
    const visible = store.list().filter((v) => matchesFilter(v, filter, filterState.phase));
    const keep = new Set(visible.map(projectKey));
    for (const [key, tr] of rows) {
      if (!keep.has(key)) {
        tr.remove();
        rows.delete(key);
      }
    }
    let previous: HTMLTableRowElement | undefined;
    for (const v of visible) {
      const key = projectKey(v);
      let tr = rows.get(key);
      if (!tr) {
        tr = h("tr", { "data-key": key });
        rows.set(key, tr);
        renderRow(tr, v, now);
      } else if (all || changed.has(key)) renderRow(tr, v, now);
      const want: Element | null = previous ? previous.nextElementSibling : tbody.firstElementChild;
      if (want !== tr) tbody.insertBefore(tr, want);
      previous = tr;
    }
    const total = store.list().length;
    count.textContent = store.loaded
      ? `${visible.length} of ${total} project${total === 1 ? "" : "s"}`
      : "loading…";
    empty.hidden = !store.loaded || visible.length > 0;
    empty.textContent =
      total === 0
        ? "No projects yet: add a spec file to the watched directory."
        : "No project matches the filter.";
  };

  filterInput.addEventListener("input", () => {
    filterState.text = filterInput.value;
    render(new Set(), false);
  });
  phaseSelect.addEventListener("change", () => {
    filterState.phase = phaseSelect.value;
    render(new Set(), false);
  });
  const onKey = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement | null;
    if (e.key === "/" && target?.tagName !== "INPUT" && target?.tagName !== "TEXTAREA") {
      e.preventDefault();
      filterInput.focus();
    }
  };
  document.addEventListener("keydown", onKey);
  const ages = setInterval(() => {
    const now = Date.now();
    for (const td of tbody.querySelectorAll<HTMLElement>("td.age"))
      td.textContent = formatAge(td.dataset["since"], now);
  }, 5000);
  render(new Set(), true);
  const off = store.subscribe(render);
  return () => {
    off();
    clearInterval(ages);
    document.removeEventListener("keydown", onKey);
  };
}
