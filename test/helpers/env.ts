import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { DockerOptions } from "dockerode";

/** Where the real services of the integration tests answer; written by `scripts/test-env.sh up`. */
export interface TestEnv {
  /** Docker endpoint, e.g. `unix:///var/run/docker.sock` or `tcp://127.0.0.1:2375`. */
  dockerHost: string;
  /** Local test image (busybox with httpd, nc, wget, sh, ...); never pulled. */
  image: string;
  /** e.g. `redis://127.0.0.1:6399` */
  redisUrl: string;
  /** e.g. `nats://127.0.0.1:4299` */
  natsUrl: string;
}

const FIELDS = ["dockerHost", "image", "redisUrl", "natsUrl"] as const;
const HINT = "run: bash scripts/test-env.sh up";

/**
 * Reads the test environment file: `$BERTH_TEST_ENV_FILE`, or `<repo>/.cache/test-env.json`.
 * Synchronous; throws an Error naming the file and the fix when it is missing or malformed.
 */
export function readTestEnv(): TestEnv {
  const file = process.env.BERTH_TEST_ENV_FILE
    ? resolve(process.env.BERTH_TEST_ENV_FILE)
    : fileURLToPath(new URL("../../.cache/test-env.json", import.meta.url));
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new Error(`test environment file ${file} is missing or not JSON; ${HINT}`, { cause });
  }
  if (typeof data !== "object" || data === null) {
    throw new Error(`test environment file ${file} does not hold a JSON object; ${HINT}`);
  }
  const record = data as Record<string, unknown>;
  for (const field of FIELDS) {
    const value = record[field];
    if (typeof value !== "string" || value === "") {
      throw new Error(`test environment file ${file} has no string "${field}"; ${HINT}`);
    }
  }
  return {
    dockerHost: record.dockerHost as string,
    image: record.image as string,
    redisUrl: record.redisUrl as string,
    natsUrl: record.natsUrl as string,
  };
}

/** Turns `TestEnv.dockerHost` (`unix://` or `tcp://`) into dockerode constructor options. */
export function dockerOptions(env: TestEnv): DockerOptions {
  const url = new URL(env.dockerHost);
  if (url.protocol === "unix:") return { socketPath: url.pathname };
  if (url.protocol === "tcp:" || url.protocol === "http:") {
    return { protocol: "http", host: url.hostname, port: Number(url.port || 2375) };
  }
  throw new Error(`unsupported dockerHost ${env.dockerHost}: use unix:// or tcp://`);
}
