#!/usr/bin/env node
// Launcher: runs the compiled CLI when built, otherwise the TypeScript sources through tsx.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const built = `${root}dist/cli/main.js`;
if (existsSync(built)) {
  const { main } = await import(pathToFileURL(built).href);
  process.exitCode = await main(process.argv);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import(pathToFileURL(`${root}src/cli/main.ts`).href);
  process.exitCode = await main(process.argv);
}
