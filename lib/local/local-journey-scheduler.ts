import type { JourneyMessage } from '#adapters/journey-queue.ts';
import type { JourneyScheduler } from '#adapters/journey-scheduler.ts';

interface Pending {
  at: number;
  /** The order it was scheduled in: wake-ups due at the same moment are handed out in that order. */
  seq: number;
  name: string;
  message: JourneyMessage;
}

const earlier = (a: Pending, b: Pending) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/**
 * EventBridge Scheduler's one-time schedules on the simulated clock: each holds its message
 * until its time, then the runtime hands it to the journey queue (the schedule's target) and
 * the schedule is gone (ActionAfterCompletion DELETE).
 */
export class LocalJourneyScheduler implements JourneyScheduler {
  private readonly pending = new Map<string, Pending>();
  /**
   * The pending schedules as a binary min-heap by (time, order): the replay asks for the next
   * wake-up before every event, and a replay of a large shop holds tens of thousands. A cancelled
   * schedule stays in the heap until it reaches the top, where it is dropped (it is no longer the
   * one `pending` holds under its name).
   */
  private readonly heap: Pending[] = [];
  private seq = 0;
  /** Schedules created and cancelled over the run. */
  created = 0;
  cancelled = 0;

  async schedule(name: string, at: string, message: JourneyMessage): Promise<void> {
    if (this.pending.has(name)) return;
    const entry: Pending = { at: Date.parse(at), seq: this.seq++, name, message };
    this.pending.set(name, entry);
    this.push(entry);
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
    return this.top()?.at;
  }

  /** The messages due by `until` (ms), oldest first; their schedules are deleted. */
  takeDue(until: number): JourneyMessage[] {
    const due: JourneyMessage[] = [];
    for (let next = this.top(); next !== undefined && next.at <= until; next = this.top()) {
      this.pop();
      this.pending.delete(next.name);
      due.push(next.message);
    }
    return due;
  }

  /** The earliest schedule still pending, cancelled ones above it dropped. */
  private top(): Pending | undefined {
    while (this.heap.length && this.pending.get(this.heap[0]!.name) !== this.heap[0]) this.pop();
    return this.heap[0];
  }

  private push(entry: Pending): void {
    const heap = this.heap;
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && earlier(heap[right]!, heap[left]!) ? right : left;
      if (!earlier(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
