/**
 * One project at `#/p/{ns}/{name}`: phase, actions (start, stop, restart, delete; the same REST
 * writes as the CLI), conditions, containers, ports, live metrics and the live log panel.
 */
import { ApiError, projectPath, send } from "./api.js";
import { mountCharts } from "./charts.js";
import { confirmAction } from "./dialogs.js";
import { h, replace } from "./dom.js";
import { containerReason, formatAge } from "./format.js";
import { phaseBadge, portList } from "./list-view.js";
import { mountLogPanel } from "./log-panel.js";
import type { ProjectStore } from "./store.js";
import type { ContainerStatus, ProjectView } from "./types.js";

/** Mounts the view of `namespace/name` into `root`; returns the function that unmounts it. */
export function mountProject(
  root: HTMLElement,
  store: ProjectStore,
  namespace: string,
  name: string,
): () => void {
  const key = `${namespace}/${name}`;
  const heading = h("h1", { id: "project-title" }, h("span", { class: "ns" }, `${namespace}/`), name);
  const phase = h("span", { id: "project-phase" });
  const actions = h("div", { class: "actions", role: "group", "aria-label": "Actions" });
  const message = h("p", { id: "action-message", role: "status", class: "muted" });
  const summary = h("dl", { class: "summary" });
  const conditions = h("div", { id: "conditions" });
  const containers = h("div", { id: "containers" });
  const charts = h("div", { id: "charts" });
  const logs = h("div", { id: "logs", class: "logs" });
  const gone = h(
    "p",
    { class: "empty", hidden: true },
    "This project no longer exists. ",
    h("a", { href: "#/" }, "Back to projects"),
  );
  replace(
    root,
    h(
      "nav",
      { class: "crumbs", "aria-label": "Breadcrumb" },
      h("a", { href: "#/" }, "Projects"),
      " / ",
      name,
    ),
    h("div", { class: "title-row" }, heading, phase),
    actions,
    message,
    gone,
    summary,
    h(
      "section",
      { "aria-labelledby": "h-conditions" },
      h("h2", { id: "h-conditions" }, "Conditions"),
      conditions,
    ),
    h(
      "section",
      { "aria-labelledby": "h-containers" },
      h("h2", { id: "h-containers" }, "Containers"),
      containers,
    ),
    h("section", { "aria-labelledby": "h-metrics" }, h("h2", { id: "h-metrics" }, "Metrics"), charts),
    h("section", { "aria-labelledby": "h-logs" }, h("h2", { id: "h-logs" }, "Logs"), logs),
  );

  let busy = false;
  const act = async (label: string, run: () => Promise<void>) => {
    if (busy) return;
    busy = true;
    message.textContent = `${label}…`;
    for (const b of actions.querySelectorAll("button")) b.disabled = true;
    try {
      await run();
      message.textContent = `${label}: saved to the spec; Berth is converging.`;
    } catch (err) {
      message.textContent =
        err instanceof ApiError
          ? `${label} failed: ${err.message}${err.hint ? ` (${err.hint})` : ""}`
          : `${label} failed: ${String(err)}`;
    } finally {
      busy = false;
      for (const b of actions.querySelectorAll("button")) b.disabled = false;
    }
  };
  const setState = (state: "Running" | "Stopped") =>
    act(state === "Running" ? "Start" : "Stop", () =>
      send("PUT", projectPath(namespace, name, "/state"), { state }),
    );

  const renderActions = (v: ProjectView) => {
    const stopped = v.spec.state === "Stopped";
    replace(
      actions,
      stopped
        ? h(
            "button",
            { type: "button", id: "action-start", onclick: () => void setState("Running") },
            "Start",
          )
        : h("button", { type: "button", id: "action-stop", onclick: () => void setState("Stopped") }, "Stop"),
      h(
        "button",
        {
          type: "button",
          id: "action-restart",
          disabled: stopped,
          onclick: () => void act("Restart", () => send("POST", projectPath(namespace, name, "/restart"))),
        },
        "Restart",
      ),
      h(
        "button",
        {
          type: "button",
          id: "action-delete",
          class: "danger",
          onclick: () =>
            void confirmAction(
              `Delete ${key}?`,
              `This removes the project's document from ${v.file} and its containers, network and ports.`,
              "Delete",
            ).then((ok) =>
              ok ? act("Delete", () => send("DELETE", projectPath(namespace, name))) : undefined,
            ),
        },
        "Delete…",
      ),
    );
  };

  const render = (v: ProjectView) => {
    const now = Date.now();
    replace(phase, phaseBadge(v.status.phase));
    renderActions(v);
    replace(
      summary,
      ...pair("Desired state", v.spec.state),
      ...pair("Ready", v.status.ready ?? `0/${v.spec.containers.length}`),
      ...pair("Ports", portList(v)),
      ...pair(
        "Labels",
        Object.entries(v.labels)
          .map(([k, val]) => `${k}=${val}`)
          .join(", ") || "—",
      ),
      ...pair("Spec", `${v.file}:${v.line} (generation ${v.generation})`),
      ...pair("Age", formatAge(v.creationTimestamp, now)),
    );
    const errors = v.specErrors.map((e) =>
      h("li", {}, `${e.file}:${e.line}:${e.column} ${e.path}: ${e.message}`),
    );
    replace(
      conditions,
      errors.length > 0 ? h("ul", { class: "spec-errors", role: "alert" }, ...errors) : undefined,
      table(
        ["Type", "Status", "Reason", "Message", "Since"],
        (v.status.conditions ?? []).map((c) => [
          c.type,
          h("span", { class: `cond cond-${conditionTone(c.type, c.status)}` }, c.status),
          c.reason,
          c.message || "—",
          formatAge(c.lastTransitionTime, now),
        ]),
        "No conditions yet.",
      ),
    );
    replace(
      containers,
      table(
        ["Name", "State", "Health", "Restarts", "Reason", "Image", "Started"],
        v.spec.containers.map((spec) => {
          const s = v.status.containers?.find((c) => c.name === spec.name);
          return [
            spec.name,
            s?.state ?? "—",
            s?.health ?? "—",
            String(s?.restartCount ?? 0),
            reasonCell(s),
            spec.image,
            formatAge(s?.startedAt, now),
          ];
        }),
        "No containers.",
      ),
    );
  };

  let stopLogs: (() => void) | undefined;
  let stopCharts: (() => void) | undefined;
  const update = () => {
    const v = store.get(key);
    gone.hidden = v !== undefined || !store.loaded;
    if (!v) {
      for (const b of actions.querySelectorAll("button")) b.disabled = true;
      return;
    }
    render(v);
    // the streams start with the first view (they need the container names and metrics setting)
    stopLogs ??= mountLogPanel(
      logs,
      namespace,
      name,
      v.spec.containers.map((c) => c.name),
    );
    stopCharts ??= mountCharts(charts, namespace, name, v.spec.metrics.enabled);
  };
  update();
  const off = store.subscribe((changed, all) => {
    if (all || changed.has(key)) update();
  });
  return () => {
    off();
    stopLogs?.();
    stopCharts?.();
  };
}

/** The reason, with a failure's last log lines below it (text only, never HTML). */
function reasonCell(status: ContainerStatus | undefined): Node | string {
  const reason = containerReason(status);
  if (!reason) return "—";
  if (reason.detail.length === 0) return reason.text;
  return h("div", {}, reason.text, ...reason.detail.map((line) => h("div", { class: "log-line" }, line)));
}

function pair(term: string, value: Node | string): [HTMLElement, HTMLElement] {
  return [h("dt", {}, term), h("dd", {}, value)];
}

function table(head: string[], rows: Array<Array<Node | string>>, emptyText: string): HTMLElement {
  if (rows.length === 0) return h("p", { class: "muted" }, emptyText);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, ...head.map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        ...rows.map((r) => h("tr", {}, ...r.map((c, i) => h("td", { "data-label": head[i] ?? "" }, c)))),
      ),
    ),
  );
}

/** Progressing=True is a passing state, not a fault; every other condition is good when True. */
function conditionTone(type: string, status: string): "good" | "bad" | "neutral" {
  if (status === "Unknown") return "neutral";
  if (type === "Progressing") return "neutral";
  return status === "True" ? "good" : "bad";
}
