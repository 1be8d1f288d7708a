import { describe, expect, it } from 'vitest';
import type { OutgoingEmail } from '#domain/compose-email.ts';
import { type Mailer, RetryableSendError } from '#adapters/mailer.ts';
import { PacedMailer, SendPacer, WINDOW_MARGIN_MS } from '#adapters/paced-mailer.ts';
import { peakPerSecond } from '#cli/run/run-summary.ts';
import { SimulatedSendTimeline } from '#lib/local/send-timeline.ts';
import { SimulatedClock } from '#lib/local/simulated-clock.ts';

/** A clock that only moves when someone sleeps: pacing is checked exactly, with no real waiting. */
function virtualTime() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

const email = { to: 'x@example.com' } as OutgoingEmail;

describe('SendPacer', () => {
  it('never lets more than the rate start in any one-second window, at full throughput', async () => {
    const time = virtualTime();
    const pacer = new SendPacer(14, time.now, time.sleep);
    const starts: number[] = [];
    for (let i = 0; i < 140; i++) {
      await pacer.acquire();
      starts.push(time.now());
    }
    expect(peakPerSecond(starts)).toBe(14);
    // 140 sends at 14/s take 10 s (the first goes at once), plus at most the guard's margin each second.
    expect(starts.at(-1)).toBeGreaterThanOrEqual((139 * 1000) / 14);
    expect(starts.at(-1)).toBeLessThanOrEqual((139 * 1000) / 14 + 10 * WINDOW_MARGIN_MS);
  });

  it('keeps the bound when timers fire late and spaced sends bunch up', async () => {
    let t = 0;
    let late = true;
    // Every other sleep overshoots by 300 ms, as a blocked event loop would make it.
    const pacer = new SendPacer(10, () => t, async (ms) => void (t += ms + ((late = !late) ? 300 : 0)));
    const starts: number[] = [];
    for (let i = 0; i < 100; i++) {
      await pacer.acquire();
      starts.push(t);
    }
    expect(peakPerSecond(starts)).toBeLessThanOrEqual(10);
  });

  it('spaces concurrent callers too', async () => {
    const starts: number[] = [];
    const t0 = performance.now();
    const pacer = new SendPacer(50);
    await Promise.all(Array.from({ length: 25 }, async () => {
      await pacer.acquire();
      starts.push(performance.now() - t0);
    }));
    expect(peakPerSecond(starts)).toBeLessThanOrEqual(50);
    expect(Math.max(...starts)).toBeGreaterThanOrEqual((24 * 1000) / 50 - 5); // timers may fire a little early, never by a slot
  });
});

describe('PacedMailer', () => {
  const throttle = () => new RetryableSendError('TooManyRequestsException: slow down', 'no', { throttled: true });

  it('backs off from throttling with full jitter, holding every sender, then succeeds', async () => {
    const time = virtualTime();
    let calls = 0;
    const inner: Mailer = { send: async () => (++calls <= 3 ? Promise.reject(throttle()) : 'mid-1') };
    const randoms = [0.5, 1, 0.25];
    const mailer = new PacedMailer(inner, { ratePerSecond: 1000, baseBackoffMs: 100, random: () => randoms.shift()!, ...time });
    await expect(mailer.send(email)).resolves.toBe('mid-1');
    // waits: 0.5·100, 1·200, 0.25·400 ms — each drawn at random below a doubling cap
    expect(mailer.stats).toEqual({ sent: 1, throttled: 3, backoffMs: 50 + 200 + 100 });
    expect(time.now()).toBeGreaterThanOrEqual(350);
  });

  it('gives a send that stays throttled back to the queue after its retries', async () => {
    const time = virtualTime();
    let calls = 0;
    const mailer = new PacedMailer({ send: async () => (calls++, Promise.reject(throttle())) }, { ratePerSecond: 100, maxThrottleRetries: 2, random: () => 1, ...time });
    await expect(mailer.send(email)).rejects.toMatchObject({ throttled: true, accepted: 'no' });
    expect(calls).toBe(3);
  });

  it('does not retry an error SES may have accepted, nor a permanent one', async () => {
    const time = virtualTime();
    for (const error of [new RetryableSendError('timeout', 'unknown'), new RetryableSendError('InternalFailure', 'no'), new Error('MessageRejected')]) {
      let calls = 0;
      const mailer = new PacedMailer({ send: async () => (calls++, Promise.reject(error)) }, { ratePerSecond: 100, ...time });
      await expect(mailer.send(email)).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });
});

describe('PacedMailer on the simulated send timeline (a replay)', () => {
  it('keeps the rate in simulated seconds for concurrent senders, and never runs behind the replay clock', async () => {
    const clock = new SimulatedClock('2026-10-10T12:00:00.000Z');
    const timeline = new SimulatedSendTimeline(clock);
    const starts: number[] = [];
    // As the SES client stamps a call: the timeline's now at the moment the inner mailer is called.
    const inner: Mailer = { send: async () => (starts.push(timeline.now()), 'mid') };
    const mailer = new PacedMailer(inner, { ratePerSecond: 14, now: () => timeline.now(), sleep: (ms) => timeline.sleep(ms) });
    await Promise.all(Array.from({ length: 140 }, () => mailer.send(email)));
    expect(starts).toHaveLength(140);
    expect(peakPerSecond(starts)).toBe(14);
    expect(Math.min(...starts)).toBe(clock.epochMs);
    expect(Math.max(...starts) - clock.epochMs).toBeGreaterThanOrEqual((139 * 1000) / 14);

    // The replay moves on an hour: the next send starts then, not where the last burst ended.
    clock.set('2026-10-10T13:00:00.000Z');
    await mailer.send(email);
    expect(starts.at(-1)).toBe(clock.epochMs);
  });
});
