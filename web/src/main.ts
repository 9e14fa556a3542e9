/**
 * The dashboard's entry point: follows `/api/v1/events` (phase and
 * status pushes; the project list is loaded on every (re)connect), and routes `#/` (the table)
 * and `#/p/{ns}/{name}` (one project).
 */
import { followEvents, getJson, logIn, setUnauthorizedHandler } from "./api.js";
import { askForToken } from "./dialogs.js";
import { byId } from "./dom.js";
import { mountList } from "./list-view.js";
import { mountProject } from "./project-view.js";
import { ProjectStore } from "./store.js";
import type { PhaseEvent, ProjectView, StatusEvent } from "./types.js";

const store = new ProjectStore();
const main = byId("main");
const connection = byId("connection");
const filterState = { text: "", phase: "" };
let unmount: (() => void) | undefined;
let events: AbortController | undefined;

function route(): void {
  unmount?.();
  const m = /^#\/p\/([^/]+)\/([^/]+)$/.exec(window.location.hash);
  if (m?.[1] && m[2]) {
    const ns = decodeURIComponent(m[1]);
    const name = decodeURIComponent(m[2]);
    document.title = `${name} · Berth`;
    unmount = mountProject(main, store, ns, name);
  } else {
    document.title = "Projects · Berth";
    unmount = mountList(main, store, filterState);
  }
  main.focus({ preventScroll: true });
}

function setConnection(text: string, ok: boolean): void {
  connection.textContent = text;
  connection.dataset["state"] = ok ? "live" : "down";
}

async function reload(): Promise<void> {
  store.beginLoad();
  try {
    const list = await getJson<{ items: ProjectView[] }>("/api/v1/projects");
    store.replaceAll(list.items);
  } catch (err) {
    store.replaceAll(store.list());
    setConnection(`cannot list projects: ${err instanceof Error ? err.message : String(err)}`, false);
  }
}

function follow(): void {
  events?.abort();
  events = new AbortController();
  void followEvents(
    "/api/v1/events",
    {
      onOpen: () => {
        setConnection("live", true);
        void reload();
      },
      onEvent: (e) => {
        if (e.event === "phase") store.applyPhase(JSON.parse(e.data) as PhaseEvent);
        else if (e.event === "status") store.applyStatus(JSON.parse(e.data) as StatusEvent);
      },
      onDown: (err, retryMs) =>
        setConnection(
          `disconnected (${err instanceof Error ? err.message : String(err)}); retrying in ${Math.round(retryMs / 100) / 10} s`,
          false,
        ),
    },
    events.signal,
  );
}

setUnauthorizedHandler(() =>
  askForToken((token) => {
    logIn(token).then(
      () => {
        follow();
        route();
      },
      (err: unknown) =>
        setConnection(`login failed: ${err instanceof Error ? err.message : String(err)}`, false),
    );
  }),
);
window.addEventListener("hashchange", route);
setConnection("connecting…", false);
route();
follow();
