import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Vitest globalSetup of the integration project: brings up Docker, the test image, Redis and NATS
 * with `scripts/test-env.sh up` (idempotent). Skipped when BERTH_TEST_ENV_SKIP_SETUP=1, which
 * `scripts/test.sh` sets after running it itself.
 */
export default async function setup(): Promise<void> {
  if (process.env.BERTH_TEST_ENV_SKIP_SETUP === "1") return;
  const script = fileURLToPath(new URL("../../scripts/test-env.sh", import.meta.url));
  // Progress goes to stderr; the settings on stdout are read later through readTestEnv().
  execFileSync("bash", [script, "up"], { stdio: ["ignore", "ignore", "inherit"], timeout: 15 * 60_000 });
}
