/**
 * What holds a V8 heap snapshot's memory (from `node --heapsnapshot-signal`, see bench/footprint):
 * self size and count of objects grouped by node type and constructor (or string/code kind).
 *
 *   npx tsx bench/heapsnapshot-top.ts SNAPSHOT.heapsnapshot [N]
 */
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const [file, nArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: tsx bench/heapsnapshot-top.ts SNAPSHOT.heapsnapshot [N]");
  process.exit(2);
}
const n = Number(nArg ?? 30);
const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = fields.length;
const typeAt = fields.indexOf("type");
const nameAt = fields.indexOf("name");
const sizeAt = fields.indexOf("self_size");
const groups = new Map<string, { bytes: number; count: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + typeAt] ?? 0] ?? "?";
  const size = snap.nodes[i + sizeAt] ?? 0;
  total += size;
  // strings and code are grouped by kind; objects by constructor name
  const name = ["string", "concatenated string", "sliced string", "number", "code"].includes(type)
    ? ""
    : (snap.strings[snap.nodes[i + nameAt] ?? 0] ?? "").slice(0, 60);
  const key = `${type} ${name}`;
  const g = groups.get(key) ?? { bytes: 0, count: 0 };
  g.bytes += size;
  g.count++;
  groups.set(key, g);
}
console.log(`${file}: ${(total / 1024 / 1024).toFixed(1)} MB in ${snap.nodes.length / width} nodes`);
for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, n))
  console.log(`  ${(g.bytes / 1024).toFixed(0).padStart(8)} KB  ${String(g.count).padStart(8)}  ${key}`);
