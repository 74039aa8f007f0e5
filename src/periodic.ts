import type { Logger } from "pino";
import { safeError } from "./safe-error.ts";

/**
 * A background task run every `everyMs` (pruning ended rate-limit windows, analytics
 * retention): never two runs at once, never what keeps the process alive, a failure logged
 * and tried again next time. close() stops the timer and waits for a run in progress.
 */
export class Periodic {
  private running: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly name: string,
    private readonly task: () => Promise<unknown>,
    everyMs: number,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.run(), everyMs);
    this.timer.unref();
  }

  /** Runs the task now, or joins the run in progress. */
  run(): Promise<void> {
    this.running ??= this.task()
      .then(
        () => {},
        (error: unknown) => this.logger.error({ err: safeError(error), task: this.name }, `${this.name} failed; trying again later`),
      )
      .finally(() => (this.running = null));
    return this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
