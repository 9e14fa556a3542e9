/**
 * Berth's layering, checked by `npm run check` (`npm run deps`). Every folder of src/ is one
 * concept; a folder may import only from the folders below it in LAYERS (and from itself), there
 * are no import cycles between files, and other folders reach src/api through its public entry,
 * src/api/index.ts. The README's "Architecture" section shows the same table.
 */
const LAYERS = [
  "cli",
  "operator",
  "mcp",
  "http",
  "service",
  "kube",
  "files",
  "compose",
  "reconcilers",
  "ports",
  "streams",
  "cache",
  "controller",
  "runtime",
  "api",
  "util",
];

const upward = LAYERS.slice(1).map((layer, i) => ({
  name: `${layer}-not-upward`,
  comment: `src/${layer} may import only from the folders below it: ${LAYERS.slice(i + 2).join(", ")}`,
  severity: "error",
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${LAYERS.slice(0, i + 1).join("|")})/` },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "no import cycles, between folders or files",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    ...upward,
    {
      name: "api-through-its-entry",
      comment: "other folders import the shared contracts from src/api/index.ts, its public surface",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/api/" },
      to: { path: "^src/api/", pathNot: "^src/api/index\\.ts$" },
    },
    {
      name: "no-unknown-folder",
      comment: "every folder of src/ has its place in the layer table",
      severity: "error",
      from: { path: "^src/", pathNot: `^src/(${LAYERS.join("|")})/` },
      to: {},
    },
    {
      name: "src-not-to-tests",
      comment: "the product never imports tests, benchmarks or scripts",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench|scripts)/" },
    },
    {
      name: "src-not-to-dev-dependencies",
      comment: "src/ runs with the production dependencies only",
      severity: "error",
      from: { path: "^src/" },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      extensions: [".ts", ".js"],
    },
    reporterOptions: {
      archi: { collapsePattern: "^src/[^/]+" },
      text: { highlightFocused: true },
    },
  },
};
