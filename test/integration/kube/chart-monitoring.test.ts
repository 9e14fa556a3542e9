import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { helm, kubeEnv } from "../../helpers/kube.js";

/*
 * The chart's monitoring objects, rendered by the real helm: the dashboard ConfigMap and the
 * PrometheusRule appear only when asked, and carry exactly the files they ship.
 */

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const CHART = `${ROOT}helm/berth`;
const BUILD_TIMEOUT_MS = 40 * 60_000;

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: { groups: { name: string; rules: { alert: string; annotations: Record<string, string> }[] }[] };
}

async function template(args: readonly string[]): Promise<K8sObject[]> {
  const res = await helm(["template", "mon", CHART, "-n", "mon-ns", ...args]);
  expect(res.code, res.stderr).toBe(0);
  return parseAllDocuments(res.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const RULE_API = ["--api-versions", "monitoring.coreos.com/v1/PrometheusRule"];

describe("helm template: dashboards and alert rules", () => {
  beforeAll(() => void kubeEnv(), BUILD_TIMEOUT_MS);

  it("renders neither by default, not even when the cluster could take a PrometheusRule", async () => {
    const kinds = (await template(RULE_API)).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).not.toContain("PrometheusRule/mon-berth");
    expect(kinds).not.toContain("ConfigMap/mon-berth-dashboards");
  });

  it("renders the dashboard ConfigMap labelled for Grafana's sidecar, with the dashboard file", async () => {
    const all = await template([
      "--set",
      "grafana.dashboards.enabled=true,grafana.dashboards.labels.team=ops",
    ]);
    const cm = all.find((o) => o.kind === "ConfigMap" && o.metadata.name === "mon-berth-dashboards");
    expect(cm?.metadata.labels).toMatchObject({ grafana_dashboard: "1", team: "ops" });
    expect(cm?.metadata.namespace).toBe("mon-ns");
    const shipped = readFileSync(`${CHART}/dashboards/berth.json`, "utf8");
    expect(JSON.parse(cm?.data?.["berth.json"] ?? "null")).toEqual(JSON.parse(shipped));
    expect(all.map((o) => o.kind)).not.toContain("PrometheusRule");
  });

  it("renders the PrometheusRule with the rules file's groups, and refuses it on a cluster without the CRD", async () => {
    const refused = await helm(["template", "mon", CHART, "--set", "prometheusRule.enabled=true"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      "prometheusRule.enabled needs the monitoring.coreos.com/v1 PrometheusRule CRD",
    );
    const all = await template([
      "--set",
      "prometheusRule.enabled=true,prometheusRule.labels.release=prom,prometheusRule.runbookBaseUrl=https://docs.example/berth",
      ...RULE_API,
    ]);
    const rule = all.find((o) => o.kind === "PrometheusRule");
    expect(rule?.metadata.labels?.["release"]).toBe("prom");
    const file = parse(readFileSync(`${CHART}/rules/berth-rules.yaml`, "utf8")) as NonNullable<
      K8sObject["spec"]
    >;
    const rendered = rule?.spec?.groups ?? [];
    expect(rendered.map((g) => g.rules.map((r) => r.alert))).toEqual(
      file.groups.map((g) => g.rules.map((r) => r.alert)),
    );
    for (const [gi, group] of file.groups.entries()) {
      for (const [ri, r] of group.rules.entries()) {
        const out = rendered[gi]?.rules[ri];
        const anchor = r.annotations["runbook_url"]?.replace(/^README\.md/, "");
        expect(out).toEqual({
          ...r,
          annotations: { ...r.annotations, runbook_url: `https://docs.example/berth${anchor}` },
        });
      }
    }
    expect(all.map((o) => `${o.kind}/${o.metadata.name}`)).not.toContain("ConfigMap/mon-berth-dashboards");
  });
});
