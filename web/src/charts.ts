/**
 * Live metrics charts of a project (CPU, memory, network): the kept samples from
 * `GET .../metrics`, then each sample of the SSE stream `.../metrics/stream` as it arrives.
 */
import { followEvents, getJson, projectPath } from "./api.js";
import { h, replace, svg } from "./dom.js";
import { formatBytes, formatCpu, formatRate } from "./format.js";
import { linePath, MetricSeries, niceMax, type ChartField } from "./series.js";
import type { MetricSample } from "./types.js";

const WIDTH = 300;
const HEIGHT = 80;
const WINDOW_MS = 5 * 60_000;
const MIN_SPAN_MS = 20_000;
const COLOURS = ["c0", "c1", "c2", "c3", "c4", "c5"];

interface ChartDef {
  id: string;
  title: string;
  fields: Array<{ field: ChartField; suffix: string }>;
  format: (v: number) => string;
}

const CHARTS: ChartDef[] = [
  { id: "cpu", title: "CPU (of one core)", fields: [{ field: "cpuCores", suffix: "" }], format: formatCpu },
  {
    id: "memory",
    title: "Memory (working set)",
    fields: [{ field: "memoryBytes", suffix: "" }],
    format: formatBytes,
  },
  {
    id: "network",
    title: "Network (receive / transmit)",
    fields: [
      { field: "rxBytesPerSecond", suffix: " rx" },
      { field: "txBytesPerSecond", suffix: " tx" },
    ],
    format: formatRate,
  },
];

/** Mounts the charts into `root`; returns the function that stops the stream. */
export function mountCharts(
  root: HTMLElement,
  namespace: string,
  name: string,
  enabled: boolean,
): () => void {
  if (!enabled) {
    replace(
      root,
      h("p", { class: "muted" }, "Metrics are off for this project (spec.metrics.enabled: false)."),
    );
    return () => {};
  }
  const series = new MetricSeries(150);
  const figures = CHARTS.map((def) => {
    const plot = svg("svg", {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      preserveAspectRatio: "none",
      "aria-hidden": "true",
    });
    const caption = h("figcaption", {}, h("span", { class: "chart-title" }, def.title));
    const values = h("ul", { class: "legend", "aria-live": "off" });
    const fig = h("figure", { class: "chart", id: `chart-${def.id}` }, caption, plot, values);
    return { def, plot, values, fig };
  });
  const status = h("p", { class: "muted", id: "metrics-state" }, "waiting for samples…");
  replace(root, h("div", { class: "charts" }, ...figures.map((f) => f.fig)), status);

  const draw = () => {
    const containers = series.containers();
    const now = Date.now();
    // the axis starts at the oldest kept point (at most WINDOW_MS back) so a fresh chart is not a sliver
    let first = now;
    for (const c of containers) first = Math.min(first, series.of(c)[0]?.time ?? now);
    const t0 = Math.max(now - WINDOW_MS, Math.min(first, now - MIN_SPAN_MS));
    for (const { def, plot, values } of figures) {
      let max = 0;
      const lines: Array<{
        label: string;
        colour: string;
        points: Array<{ time: number; value: number }>;
        last: number;
      }> = [];
      containers.forEach((c, ci) => {
        def.fields.forEach((f, fi) => {
          const points = series
            .of(c)
            .filter((p) => p.time >= t0)
            .map((p) => ({ time: p.time, value: p[f.field] }));
          for (const p of points) max = Math.max(max, p.value);
          const colour = COLOURS[(ci * def.fields.length + fi) % COLOURS.length] ?? "c0";
          lines.push({ label: `${c}${f.suffix}`, colour, points, last: points.at(-1)?.value ?? 0 });
        });
      });
      const yMax = niceMax(max);
      const box = { width: WIDTH, height: HEIGHT, t0, t1: now, yMax };
      plot.replaceChildren(
        svg("line", { x1: 0, y1: HEIGHT / 2, x2: WIDTH, y2: HEIGHT / 2, class: "grid" }),
        ...lines.map((l) => svg("path", { d: linePath(l.points, box), class: `series ${l.colour}` })),
      );
      replace(
        values,
        ...lines.map((l) =>
          h("li", {}, h("span", { class: `swatch ${l.colour}` }), `${l.label}: ${def.format(l.last)}`),
        ),
        h("li", { class: "muted" }, `scale ${def.format(yMax)}`),
      );
    }
    status.textContent = containers.length === 0 ? "waiting for samples…" : "";
  };

  const stop = new AbortController();
  void (async () => {
    try {
      const kept = await getJson<{
        items: Array<{ container: string; points: Array<Omit<MetricSample, "container">> }>;
      }>(projectPath(namespace, name, "/metrics"), stop.signal);
      for (const c of kept.items) for (const p of c.points) series.add({ ...p, container: c.container });
      draw();
    } catch {
      // the live stream below fills the charts anyway
    }
    await followEvents(
      projectPath(namespace, name, "/metrics/stream"),
      {
        onOpen: () => {},
        onEvent: (e) => {
          if (e.event !== "sample") return;
          if (series.add(JSON.parse(e.data) as MetricSample)) draw();
        },
        onDown: () => {
          status.textContent = "metrics stream interrupted; reconnecting…";
        },
      },
      stop.signal,
    );
  })();
  return () => stop.abort();
}
