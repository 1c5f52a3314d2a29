// Flow control for HTTP teachers: a semaphore bounding requests in flight and a token bucket
// for rates (requests/s, or LLM tokens/min). Both are FIFO, so no request starves.
// Leaves out: distributed rate limits (each process limits itself; divide the rate by workers).

/** At most `limit` holders at a time; `acquire` resolves with a release function. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`concurrency must be a whole number >= 1, got ${limit}`);
  }

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}

/**
 * A token bucket: `ratePerSecond` tokens refill per second up to `capacity` (default one second's
 * worth). `take(cost)` waits until the bucket holds `cost` tokens; a cost above the capacity is
 * served once the bucket is full (it cannot wait forever).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();
  readonly capacity: number;

  constructor(
    readonly ratePerSecond: number,
    capacity?: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`rate must be > 0, got ${ratePerSecond}`);
    this.capacity = capacity ?? Math.max(1, ratePerSecond);
    this.tokens = this.capacity;
    this.last = this.now();
  }

  take(cost = 1): Promise<void> {
    const turn = this.queue.then(() => this.wait(Math.min(cost, this.capacity)));
    this.queue = turn;
    return turn;
  }

  private async wait(cost: number): Promise<void> {
    for (;;) {
      const t = this.now();
      this.tokens = Math.min(
        this.capacity,
        this.tokens + ((t - this.last) / 1000) * this.ratePerSecond,
      );
      this.last = t;
      if (this.tokens >= cost) {
        this.tokens -= cost;
        return;
      }
      const ms = ((cost - this.tokens) / this.ratePerSecond) * 1000;
      await new Promise((r) => setTimeout(r, Math.max(1, Math.ceil(ms))));
    }
  }
}
