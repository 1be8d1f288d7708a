import type { JourneyMessage } from '#adapters/journey-queue.ts';
import type { JourneyScheduler } from '#adapters/journey-scheduler.ts';

/**
 * EventBridge Scheduler's one-time schedules on the simulated clock: each holds its message
 * until its time, then the runtime hands it to the journey queue (the schedule's target) and
 * the schedule is gone (ActionAfterCompletion DELETE).
 */
export class LocalJourneyScheduler implements JourneyScheduler {
  private readonly pending = new Map<string, { at: number; message: JourneyMessage }>();
  /** Schedules created and cancelled over the run. */
  created = 0;
  cancelled = 0;

  async schedule(name: string, at: string, message: JourneyMessage): Promise<void> {
    if (this.pending.has(name)) return;
    this.pending.set(name, { at: Date.parse(at), message });
    this.created++;
  }

  async cancel(name: string): Promise<void> {
    if (this.pending.delete(name)) this.cancelled++;
  }

  get size(): number {
    return this.pending.size;
  }

  /** The earliest pending wake-up (ms), if any. */
  nextAt(): number | undefined {
    let min: number | undefined;
    for (const { at } of this.pending.values()) if (min === undefined || at < min) min = at;
    return min;
  }

  /** The messages due by `until` (ms), oldest first; their schedules are deleted. */
  takeDue(until: number): JourneyMessage[] {
    const due = [...this.pending.entries()].filter(([, s]) => s.at <= until).sort((a, b) => a[1].at - b[1].at);
    for (const [name] of due) this.pending.delete(name);
    return due.map(([, s]) => s.message);
  }
}
