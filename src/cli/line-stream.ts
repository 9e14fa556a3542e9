/**
 * Readers of the daemon's streaming bodies: newline-delimited lines (NDJSON log follows) and
 * server-sent events (`/api/v1/events`). Both read until the body ends or the request's signal
 * aborts; a parse of one event never depends on how the bytes were chunked.
 */

/** One server-sent event: its `event:` name (default "message") and its joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Calls `onLine` with every complete line of `body` (without its newline), and with the last
 * unterminated one when the body ends. Resolves when the body ends; rejects when reading fails.
 */
export async function readLines(
  body: AsyncIterable<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n", start)) {
      onLine(buffer.slice(start, i).replace(/\r$/, ""));
      start = i + 1;
    }
    buffer = buffer.slice(start);
  }
  const rest = buffer + decoder.decode();
  if (rest !== "") onLine(rest);
}

/**
 * An incremental server-sent-events parser (the WHATWG rules Berth's server uses: `event:`,
 * `data:` (joined with newlines), comments starting with `:`, an empty line dispatches). Feed it
 * lines; it calls `onEvent` for each complete event.
 */
export function sseParser(onEvent: (e: SseEvent) => void): (line: string) => void {
  let event = "";
  let data: string[] = [];
  return (line) => {
    if (line === "") {
      if (data.length > 0) onEvent({ event: event || "message", data: data.join("\n") });
      event = "";
      data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  };
}
