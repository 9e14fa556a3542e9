import type { Registry } from "prom-client";

/**
 * Reads one sample from `registry`: `name` is the sample name (e.g. `x_total`, `x_seconds_sum`);
 * the first sample whose labels include `labels` wins. Undefined when there is none.
 */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const sample of metric.values) {
      const sampleName = "metricName" in sample ? sample.metricName : metric.name;
      if (sampleName !== name) continue;
      const sampleLabels = sample.labels as Record<string, unknown>;
      if (Object.entries(labels).every(([k, v]) => sampleLabels[k] === v)) return sample.value;
    }
  }
  return undefined;
}
