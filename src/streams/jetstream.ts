/**
 * JetStream replay of logs (`--nats-jetstream`): a stream `BERTH_LOGS` over `berth.logs.>` that
 * keeps the newest lines per subject (`max_msgs_per_subject`), so a late subscriber reads the
 * recent lines and then the live ones. Uses only stream features NATS 2.9 has.
 */
import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../util/logger.js";

/** Name of the log stream. */
export const LOG_STREAM = "BERTH_LOGS";

/**
 * Creates `BERTH_LOGS` or brings its `max_msgs_per_subject` to `linesPerSubject`. Idempotent;
 * called on every (re)connect. Throws the server's error when JetStream is not enabled there.
 */
export async function ensureLogStream(
  nc: NatsConnection,
  linesPerSubject: number,
  logger: Logger,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const existing = await jsm.streams.info(LOG_STREAM).catch(() => undefined);
  if (existing === undefined) {
    await jsm.streams.add({
      name: LOG_STREAM,
      subjects: ["berth.logs.>"],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: linesPerSubject,
    });
    logger.info("created JetStream stream", { stream: LOG_STREAM, linesPerSubject });
  } else if (existing.config.max_msgs_per_subject !== linesPerSubject) {
    await jsm.streams.update(LOG_STREAM, { ...existing.config, max_msgs_per_subject: linesPerSubject });
    logger.info("updated JetStream stream", { stream: LOG_STREAM, linesPerSubject });
  }
}
