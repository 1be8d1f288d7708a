import { describe, expect, it } from 'vitest';
import type { JourneyMessage } from '#adapters/journey-queue.ts';
import { LocalJourneyScheduler } from '#lib/local/local-journey-scheduler.ts';

/** What the scheduler must do, written plainly: every pending schedule looked at on every call. */
class Reference {
  readonly pending = new Map<string, { at: number; message: JourneyMessage }>();
  schedule(name: string, at: string, message: JourneyMessage) {
    if (!this.pending.has(name)) this.pending.set(name, { at: Date.parse(at), message });
  }
  cancel(name: string) {
    this.pending.delete(name);
  }
  nextAt() {
    let min: number | undefined;
    for (const { at } of this.pending.values()) if (min === undefined || at < min) min = at;
    return min;
  }
  takeDue(until: number) {
    const due = [...this.pending.entries()].filter(([, s]) => s.at <= until).sort((a, b) => a[1].at - b[1].at);
    for (const [name] of due) this.pending.delete(name);
    return due.map(([, s]) => s.message);
  }
}

/** A small seeded generator (mulberry32), so a failure replays. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const START = Date.parse('2026-10-01T00:00:00.000Z');
const message = (name: string, n: number) => ({ journeyId: 'j', customerId: name, entryId: `${name}-${n}`, kind: 'wake' }) as unknown as JourneyMessage;

describe('the local journey scheduler', () => {
  it('hands out what is due in time order, ties in the order scheduled, as a plain scan would, over random schedules, cancels and reschedules', async () => {
    for (const seed of [1, 2, 3, 42]) {
      const next = random(seed);
      const scheduler = new LocalJourneyScheduler();
      const reference = new Reference();
      let clock = START;
      for (let step = 0; step < 3000; step++) {
        const name = `s${Math.floor(next() * 300)}`;
        const roll = next();
        if (roll < 0.5) {
          // Coarse times, so many fall due at the same moment.
          const at = new Date(clock + Math.floor(next() * 48) * 3_600_000).toISOString();
          await scheduler.schedule(name, at, message(name, step));
          reference.schedule(name, at, message(name, step));
        } else if (roll < 0.7) {
          await scheduler.cancel(name);
          reference.cancel(name);
        } else if (roll < 0.9) {
          expect(scheduler.nextAt()).toBe(reference.nextAt());
        } else {
          clock += Math.floor(next() * 12) * 3_600_000;
          expect(scheduler.takeDue(clock)).toEqual(reference.takeDue(clock));
        }
        expect(scheduler.size).toBe(reference.pending.size);
      }
      expect(scheduler.takeDue(Infinity)).toEqual(reference.takeDue(Infinity));
      expect(scheduler.nextAt()).toBeUndefined();
    }
  });

  it('keeps the first schedule of a name, and a name cancelled and scheduled again falls due at its new time only', async () => {
    const scheduler = new LocalJourneyScheduler();
    await scheduler.schedule('a', '2026-10-01T05:00:00.000Z', message('a', 1));
    await scheduler.schedule('a', '2026-10-01T01:00:00.000Z', message('a', 2)); // already pending: kept as it was
    expect(scheduler.nextAt()).toBe(Date.parse('2026-10-01T05:00:00.000Z'));
    await scheduler.cancel('a');
    expect(scheduler.nextAt()).toBeUndefined();
    await scheduler.schedule('a', '2026-10-01T09:00:00.000Z', message('a', 3));
    expect(scheduler.takeDue(Date.parse('2026-10-01T06:00:00.000Z'))).toEqual([]);
    expect(scheduler.takeDue(Date.parse('2026-10-01T09:00:00.000Z'))).toEqual([message('a', 3)]);
    expect([scheduler.created, scheduler.cancelled, scheduler.size]).toEqual([2, 1, 0]);
  });
});
