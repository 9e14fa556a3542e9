import { readFileSync } from "node:fs";

const ROOT = new URL("../../", import.meta.url);

/** One query of a panel of helm/berth/dashboards/berth.json. */
export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

interface Dashboard {
  panels: { title: string; targets?: { refId: string; expr?: string }[] }[];
}

/**
 * Every panel query of the shipped dashboard, with Grafana's variables replaced the way Grafana
 * would for "All" and a 1-minute rate interval (or `rateInterval`), so Prometheus can run them.
 */
export function dashboardQueries(rateInterval = "1m"): PanelQuery[] {
  const dashboard = JSON.parse(
    readFileSync(new URL("helm/berth/dashboards/berth.json", ROOT), "utf8"),
  ) as Dashboard;
  return dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      panel: p.title,
      refId: t.refId,
      expr: (t.expr ?? "")
        .replaceAll("$__rate_interval", rateInterval)
        .replaceAll("$job", ".+")
        .replaceAll("$instance", ".+"),
    })),
  );
}

/** The panels of the dashboard, by title, with how many queries each has. */
export function dashboardPanels(): { title: string; targets: number }[] {
  const dashboard = JSON.parse(
    readFileSync(new URL("helm/berth/dashboards/berth.json", ROOT), "utf8"),
  ) as Dashboard;
  return dashboard.panels.map((p) => ({ title: p.title, targets: p.targets?.length ?? 0 }));
}
