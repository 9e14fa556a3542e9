/**
 * Benchmark runner: `npm run bench` runs every benchmark, `npm run bench -- NAME...` some.
 * Each benchmark measures its own baseline in the same run and prints medians and ratios.
 */
const BENCHES: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  validate: () => import("./validate.js"),
  streams: () => import("./streams.js"),
  converge: () => import("./converge.js"),
  compose: () => import("./compose.js"),
  devloop: () => import("./devloop.js"),
  concurrency: () => import("./concurrency.js"),
  cache: () => import("./cache.js"),
  kube: () => import("./kube.js"),
  mcp: () => import("./mcp.js"),
  dashboard: () => import("./dashboard.js"),
  footprint: () => import("./footprint.js"),
  load: () => import("./load.js"),
  gate: () => import("./gate.js"),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
// `npm run bench` runs every benchmark; the gate (`npm run bench:gate`) only when named
const names = wanted.length > 0 ? wanted : Object.keys(BENCHES).filter((n) => n !== "gate");
for (const name of names) {
  const load = BENCHES[name];
  if (!load) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(", ")}`);
    process.exitCode = 2;
    continue;
  }
  await (await load()).run();
}
