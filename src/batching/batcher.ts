const MAX_BATCH = 500;

/**
 * Calls in flight at once. While they are, new items wait and go together into the next
 * one: under load that is one call for many requests, not one per request (with a flush
 * every turn of the event loop, 16 connections made batches of two).
 */
const IN_FLIGHT = 2;

export interface BatcherOptions {
  /**
   * A batch that fails is done again item by item, so one item the other side refuses fails
   * its own caller and no one else's. Right for statements (a failed one wrote nothing: each
   * runs on its own); wrong where a failure is the service's, not an item's (each retry would
   * wait out the same timeout).
   */
  retryEachOnFailure: boolean;
  /** Most items one call carries (default 500). */
  maxBatch?: number;
}

/**
 * Items submitted while earlier ones are in flight go together into one call (`run` takes a
 * batch and answers one result per item, in order), and each caller's promise settles with
 * its item's result. For writes it is group commit: nothing is acknowledged before it is
 * durable, and under load many requests share one round trip and one commit instead of
 * queueing for one each.
 */
export class Batcher<I, O> {
  private queue: { item: I; settle: (result: { ok: O } | { error: unknown }) => void }[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly run: (batch: I[]) => Promise<O[]>,
    private readonly options: BatcherOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, settle: (result) => ("ok" in result ? resolve(result.ok) : reject(result.error)) });
      this.schedule();
    });
  }

  /** A flush on the next turn (so items of this turn go together), unless one is due or the calls in flight will pick them up. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= IN_FLIGHT || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch ?? MAX_BATCH);
    if (batch.length === 0) return;
    this.inFlight++;
    try {
      const results = await this.run(batch.map((b) => b.item));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} got ${results.length} results`);
      batch.forEach((b, i) => b.settle({ ok: results[i]! }));
    } catch (error) {
      if (batch.length === 1 || !this.options.retryEachOnFailure) for (const b of batch) b.settle({ error: error ?? new Error("batch failed") });
      else await Promise.all(batch.map((b) => this.run([b.item]).then(([ok]) => b.settle({ ok: ok! }), (e: unknown) => b.settle({ error: e ?? new Error("batch failed") }))));
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}
