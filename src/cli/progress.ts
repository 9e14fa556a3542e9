import type { CliIo } from "./io.js";

/**
 * The progress line of `--wait` on stderr. On a terminal the line is rewritten in place; otherwise
 * each change is printed on its own line. Call `end()` before printing anything else.
 */
export class ProgressLine {
  private last = "";
  private open = false;

  constructor(
    private readonly io: CliIo,
    private readonly tty: boolean,
  ) {}

  /** Shows `message` unless it is the one already shown. */
  update(message: string): void {
    if (message === this.last) return;
    this.last = message;
    if (this.tty) {
      this.io.err(`\r\x1b[2K${message}`);
      this.open = true;
    } else this.io.err(`${message}\n`);
  }

  /** Finishes the line on a terminal, so that the next output starts on a new line. */
  end(): void {
    if (this.open) this.io.err("\n");
    this.open = false;
  }
}
