/**
 * What the dashboard tests and bench/dashboard.ts share: Chromium (installed by
 * scripts/chromium.sh), the dashboard build, and copies of examples/ with prefixed project names.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { parseAllDocuments } from "yaml";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Where screenshots and other test artifacts go (gitignored). */
export const ARTIFACTS = join(ROOT, ".cache", "artifacts");

/** Installs Chromium when missing (apt-get as root) and returns its path. */
export function ensureChromium(): string {
  return execFileSync("bash", [join(ROOT, "scripts", "chromium.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 15 * 60_000,
  })
    .toString()
    .trim();
}

/** Builds web/dist when it is missing or older than its sources. */
export function ensureDashboardBuild(): void {
  execFileSync("bash", [join(ROOT, "scripts", "build-web.sh"), "--if-stale"], {
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 5 * 60_000,
  });
}

/** Headless Chromium; `--no-sandbox` because Debian's chromium cannot sandbox itself as root in a container. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = ensureChromium();
  return chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

/**
 * Copies the examples into a new directory with every project renamed `<prefix><name>`, and
 * returns the directory and the renamed project keys (`namespace/name`).
 */
export function copyExamples(prefix: string): { dir: string; keys: string[] } {
  const dir = mkdtempSync(join(tmpdir(), `berth-${prefix}specs-`));
  const keys: string[] = [];
  for (const file of readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".yaml"))) {
    const text = readFileSync(join(ROOT, "examples", file), "utf8");
    const out = parseAllDocuments(text).map((doc) => {
      const name = String(doc.getIn(["metadata", "name"]));
      const ns = String(doc.getIn(["metadata", "namespace"]) ?? "default");
      doc.setIn(["metadata", "name"], `${prefix}${name}`);
      keys.push(`${ns}/${prefix}${name}`);
      return doc.toString();
    });
    writeFileSync(join(dir, file), out.join("---\n"));
  }
  return { dir, keys };
}

/** The Docker label value (`ns.name`) of a project key. */
export function projectLabel(key: string): string {
  return key.replace("/", ".");
}

/** Makes the artifacts directory and returns the path of `name` in it. */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
