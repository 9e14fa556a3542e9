/**
 * The live log panel of a project: the log WebSocket (kept lines, then live ones), with pause,
 * search (plain text or /regex/) and stdout/stderr colouring. Reconnects after a drop, resuming
 * after the last line it has.
 */
import { openSocket, projectPath } from "./api.js";
import { h, replace } from "./dom.js";
import { formatLogTime } from "./format.js";
import { compileSearch, highlight, LogWindow, type LogSearch } from "./log-search.js";
import type { LogLine } from "./types.js";

const LIMIT = 2000;
const TAIL = 200;

/** Mounts the panel for one project into `root`; returns the function that closes it. */
export function mountLogPanel(
  root: HTMLElement,
  namespace: string,
  name: string,
  containers: string[],
): () => void {
  const window_ = new LogWindow(LIMIT);
  let search: LogSearch | undefined;
  let container = "";
  let closed = false;
  let socket: WebSocket | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let lastTs: string | undefined;

  const output = h("div", {
    id: "log-lines",
    class: "log-lines",
    role: "log",
    "aria-live": "off",
    "aria-label": "Log lines",
    tabindex: "0",
  });
  const state = h("span", { id: "log-state", class: "muted", role: "status" });
  const pauseButton = h("button", { type: "button", id: "log-pause", "aria-pressed": "false" }, "Pause");
  const searchInput = h("input", {
    id: "log-search",
    type: "search",
    placeholder: "text or /regex/",
    autocomplete: "off",
    spellcheck: "false",
  });
  const searchError = h("span", { id: "log-search-error", class: "error-text", role: "alert" });
  const containerSelect = h(
    "select",
    { id: "log-container" },
    h("option", { value: "" }, "all containers"),
    ...containers.map((c) => h("option", { value: c }, c)),
  );
  const clearButton = h("button", { type: "button", id: "log-clear" }, "Clear");

  replace(
    root,
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: "log-container" }, "Container"),
      containerSelect,
      h("label", { for: "log-search" }, "Search"),
      searchInput,
      pauseButton,
      clearButton,
      state,
    ),
    searchError,
    output,
  );

  const lineElement = (l: LogLine): HTMLElement => {
    const el = h(
      "div",
      { class: `log-line ${l.stream}`, "data-stream": l.stream },
      h("span", { class: "log-time" }, formatLogTime(l.ts)),
      containers.length > 1 ? h("span", { class: "log-container" }, l.container) : undefined,
    );
    const text = h("span", { class: "log-text" });
    for (const part of highlight(l.line, search))
      text.append(part.match ? h("mark", {}, part.text) : part.text);
    el.append(text);
    if (search && !search.test(l.line)) el.hidden = true;
    return el;
  };

  const atBottom = () => output.scrollHeight - output.scrollTop - output.clientHeight < 24;
  const show = (change: { added: LogLine[]; dropped: number }) => {
    const follow = atBottom();
    for (let i = 0; i < change.dropped && output.firstChild; i++) output.firstChild.remove();
    if (change.added.length > 0) {
      const frag = document.createDocumentFragment();
      for (const l of change.added) frag.append(lineElement(l));
      output.append(frag);
    }
    if (follow) output.scrollTop = output.scrollHeight;
    updateState();
  };
  const rerender = () => {
    output.replaceChildren();
    show({ added: [...window_.shown], dropped: 0 });
    output.scrollTop = output.scrollHeight;
  };
  const updateState = (note?: string) => {
    const pending = window_.pending;
    if (note) state.textContent = note;
    else if (window_.isPaused)
      state.textContent = `paused, ${pending.count} new line${pending.count === 1 ? "" : "s"} waiting${pending.dropped ? ` (${pending.dropped} dropped)` : ""}`;
    else state.textContent = "live";
  };

  const connect = () => {
    if (closed) return;
    const q = new URLSearchParams();
    if (container) q.set("container", container);
    if (lastTs) q.set("since", lastTs);
    else q.set("tail", String(TAIL));
    const ws = openSocket(projectPath(namespace, name, `/logs/stream?${q.toString()}`));
    socket = ws;
    ws.addEventListener("open", () => updateState());
    ws.addEventListener("message", (e: MessageEvent<string>) => {
      const m = JSON.parse(e.data) as { lines?: LogLine[]; notice?: string };
      if (m.notice) updateState(m.notice);
      if (!m.lines) return;
      // a resumed stream repeats lines at exactly the `since` time
      const fresh = lastTs ? m.lines.filter((l) => l.ts > (lastTs ?? "")) : m.lines;
      if (fresh.length === 0) return;
      lastTs = fresh[fresh.length - 1]?.ts;
      show(window_.push(fresh));
    });
    ws.addEventListener("close", () => {
      if (closed || socket !== ws) return;
      updateState("disconnected; reconnecting…");
      retry = setTimeout(connect, 1000);
    });
  };
  const reconnect = () => {
    const old = socket;
    socket = undefined;
    old?.close();
    clearTimeout(retry);
    connect();
  };

  pauseButton.addEventListener("click", () => {
    if (window_.isPaused) {
      pauseButton.textContent = "Pause";
      pauseButton.setAttribute("aria-pressed", "false");
      show(window_.resume());
      output.scrollTop = output.scrollHeight;
    } else {
      window_.pause();
      pauseButton.textContent = "Resume";
      pauseButton.setAttribute("aria-pressed", "true");
      updateState();
    }
  });
  clearButton.addEventListener("click", () => {
    window_.clear();
    rerender();
  });
  searchInput.addEventListener("input", () => {
    const compiled = compileSearch(searchInput.value);
    searchError.textContent = compiled.error ? `invalid regular expression: ${compiled.error}` : "";
    searchInput.setAttribute("aria-invalid", compiled.error ? "true" : "false");
    if (compiled.error) return;
    search = compiled.search;
    rerender();
  });
  containerSelect.addEventListener("change", () => {
    container = containerSelect.value;
    lastTs = undefined;
    window_.clear();
    rerender();
    reconnect();
  });

  connect();
  return () => {
    closed = true;
    clearTimeout(retry);
    socket?.close();
  };
}
