import type { SimulatedClock } from './simulated-clock.ts';

/** Where the local pacer's time comes from: simulated in a replay, the wall clock where a person watches. */
export type Pacing = 'simulated' | 'realtime';

export interface SendTimeline {
  /** Milliseconds on this timeline (the SES client stamps each SendEmail call with it). */
  now(): number;
  /** What the pacer waits with. */
  sleep(ms: number): Promise<void>;
}

/** Real time: the pacer really waits (`run --serve`, `--realtime`, the pacer's own real-time test). */
export const realTimeline: SendTimeline = {
  now: () => performance.now(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

/**
 * Sends spread over simulated time: a wait moves this timeline forward and returns at once, so a
 * replay keeps the SES rate (counted in simulated seconds) without sleeping. It never runs behind
 * the replay's clock; the clock itself is left alone, so the handlers decide exactly as before.
 */
export class SimulatedSendTimeline implements SendTimeline {
  private busyUntil = Number.NEGATIVE_INFINITY;
  constructor(private readonly clock: SimulatedClock) {}

  now(): number {
    return Math.max(this.clock.epochMs, this.busyUntil);
  }

  // The pacer asks for `ms` from the now() it just read (same tick): wake at that moment.
  sleep(ms: number): Promise<void> {
    this.busyUntil = Math.max(this.busyUntil, this.now() + Math.max(0, ms));
    return Promise.resolve();
  }
}
