import type { OutgoingEmail } from '#domain/compose-email.ts';
import { type Mailer, RetryableSendError } from './mailer.ts';

/** Slack on the one-second guard window, for the time between a grant and its SES call. */
export const WINDOW_MARGIN_MS = 25;

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PacingOptions {
  /** Messages per second; sends start at least 1/rate seconds apart. */
  ratePerSecond: number;
  /** Retries of a throttled send within one invocation before it goes back to the queue. */
  maxThrottleRetries?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Holds sends to a rate. Sends are spaced 1/rate apart (smooth, no bursts), and a hard guard
 * on the grants actually made keeps any one-second window at or below the rate even when
 * timers fire late and spaced sends bunch up.
 */
export class SendPacer {
  // Slots are base + k/rate, computed from the count rather than summed, so rounding cannot creep a slot early.
  private base = Number.NEGATIVE_INFINITY;
  private k = 0;
  private readonly rate: number;
  /** Grants within the guard window, oldest first. */
  private readonly grants: number[] = [];
  private readonly capacity: number;
  private readonly window: number;
  constructor(
    ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = sleepFor,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`send rate must be positive, got ${ratePerSecond}`);
    this.rate = ratePerSecond;
    this.capacity = Math.max(1, Math.floor(ratePerSecond));
    // A little over a second, so a grant and the SES call it starts a moment later (a GC pause,
    // a busy event loop) stay inside the bound. Costs throughput only when the guard binds.
    this.window = (ratePerSecond >= 1 ? 1000 : 1000 / ratePerSecond) + WINDOW_MARGIN_MS;
  }

  private get nextSlot(): number {
    return this.base + (this.k * 1000) / this.rate;
  }

  /** Waits for a slot. */
  acquire(): Promise<void> {
    return this.start(() => Promise.resolve());
  }

  /**
   * Waits for a slot, then calls `call` in the same tick as the grant: no other sender can move
   * the clock in between, so the call starts at the moment granted (on a simulated timeline, where
   * a wait returns at once, an `await` between the two would let the next grants jump ahead).
   */
  async start<T>(call: () => Promise<T>): Promise<T> {
    const now = this.now();
    if (now > this.nextSlot) {
      this.base = now;
      this.k = 0;
    }
    const slot = this.nextSlot;
    this.k++;
    if (slot > now) await this.sleep(slot - now);
    for (;;) {
      const t = this.now();
      while (this.grants.length && this.grants[0]! <= t - this.window + 1e-6) this.grants.shift(); // epsilon: float rounding must not stall
      if (this.grants.length < this.capacity) {
        this.grants.push(t);
        return call();
      }
      await this.sleep(this.grants[0]! + this.window - t);
    }
  }

  /** Nobody starts before `ms` from now (SES throttled us: everyone waits, not just the one told). */
  holdFor(ms: number): void {
    const until = this.now() + ms;
    if (until > this.nextSlot) {
      this.base = until;
      this.k = 0;
    }
  }
}

/**
 * A Mailer that never exceeds the send rate and backs off from SES throttling with full
 * jitter (random wait up to base·2^attempt, capped), holding every sender of this instance,
 * before handing a still-throttled send back to the queue.
 */
export class PacedMailer implements Mailer {
  readonly stats = { sent: 0, throttled: 0, backoffMs: 0 };
  private readonly pacer: SendPacer;
  private readonly options: Required<Omit<PacingOptions, 'now'>>;

  constructor(
    private readonly inner: Mailer,
    options: PacingOptions,
  ) {
    this.options = { maxThrottleRetries: 4, baseBackoffMs: 100, maxBackoffMs: 5_000, random: Math.random, sleep: sleepFor, ...options };
    this.pacer = new SendPacer(options.ratePerSecond, options.now, this.options.sleep);
  }

  async send(email: OutgoingEmail): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        const messageId = await this.pacer.start(() => this.inner.send(email));
        this.stats.sent++;
        return messageId;
      } catch (error) {
        const throttled = error instanceof RetryableSendError && error.throttled && error.accepted === 'no';
        if (!throttled) throw error;
        this.stats.throttled++;
        if (attempt >= this.options.maxThrottleRetries) throw error;
        const o = this.options;
        const wait = o.random() * Math.min(o.maxBackoffMs, o.baseBackoffMs * 2 ** attempt);
        this.stats.backoffMs += wait;
        this.pacer.holdFor(wait);
      }
    }
  }
}
