/**
 * The functions that used the most CPU in a V8 `.cpuprofile` (from `node --cpu-prof`), by self
 * time and by total time of their call trees, with their file and line.
 *
 *   npx tsx bench/cpuprofile-top.ts PROFILE.cpuprofile [N] [LAST_SECONDS]
 *
 * With LAST_SECONDS only the samples of the profile's last seconds count (bench/footprint stops the
 * daemon right after its idle window, so its length leaves start-up out).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, nArg, lastArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: tsx bench/cpuprofile-top.ts PROFILE.cpuprofile [N] [LAST_SECONDS]");
  process.exit(2);
}
const n = Number(nArg ?? 25);
const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(p.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of p.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
const from = lastArg === undefined ? -Infinity : p.endTime - Number(lastArg) * 1e6;
const self = new Map<number, number>();
let at = p.startTime;
for (const [i, id] of p.samples.entries()) {
  at += p.timeDeltas[i] ?? 0;
  if (at >= from) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
}
const label = (node: ProfileNode) => {
  const f = node.callFrame;
  const where = f.url.replace(/^.*\/(node_modules\/|dist\/|src\/)/, "$1");
  return `${f.functionName || "(anonymous)"} ${where}:${f.lineNumber + 1}`;
};
const selfBy = new Map<string, number>();
const totalBy = new Map<string, number>();
for (const [id, us] of self) {
  const node = byId.get(id);
  if (!node) continue;
  selfBy.set(label(node), (selfBy.get(label(node)) ?? 0) + us);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur) as ProfileNode);
    if (seen.has(l)) continue;
    seen.add(l);
    totalBy.set(l, (totalBy.get(l) ?? 0) + us);
  }
}
const wall = (p.endTime - Math.max(p.startTime, from)) / 1e6;
const busy = [...self.entries()]
  .filter(([id]) => !["(idle)", "(program)"].includes(byId.get(id)?.callFrame.functionName ?? ""))
  .reduce((a, [, us]) => a + us, 0);
console.log(
  `${file}: ${wall.toFixed(1)} s profiled, ${(busy / 1e6).toFixed(2)} s on the CPU outside (idle)/(program)`,
);
const top = (m: Map<string, number>, title: string) => {
  console.log(title);
  for (const [l, us] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n))
    console.log(`  ${(us / 1000).toFixed(0).padStart(8)} ms  ${l}`);
};
top(selfBy, "self time:");
top(totalBy, "total time:");
