import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A private nats-server child process (never the shared one) that tests stop and start. */
export class NatsServerProcess {
  private proc: ChildProcess | undefined;
  readonly storeDir = mkdtempSync(join(tmpdir(), "berth-it-nats-"));

  constructor(
    readonly port: number,
    private readonly jetstream = false,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts the server and waits until its port accepts connections. */
  async start(): Promise<void> {
    const bin = ["/usr/sbin/nats-server", "/usr/bin/nats-server"].find((p) => p) ?? "nats-server";
    const args = ["-a", "127.0.0.1", "-p", String(this.port)];
    if (this.jetstream) args.push("-js", "-sd", this.storeDir);
    this.proc = spawn(bin, args, { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    while (!(await this.accepts())) {
      if (this.proc.exitCode !== null)
        throw new Error(`nats-server on ${this.port} exited with ${this.proc.exitCode}`);
      if (Date.now() > deadline) throw new Error(`nats-server on ${this.port} did not start in 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the server (SIGTERM) and waits for it to exit. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }

  private accepts(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port: this.port });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
  }
}
