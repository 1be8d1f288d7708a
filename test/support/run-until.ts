import type { LocalRuntime } from '#lib/local/local-runtime.ts';

/** Moves the runtime's clock from one wake-up or queued send to the next, running each, until `until`. */
export async function runUntil(runtime: LocalRuntime, until: number): Promise<void> {
  for (;;) {
    await runtime.drainSendQueue();
    const next = [runtime.sendQueue.nextVisibleAt(), runtime.nextJourneyAt()].filter((t): t is number => t !== undefined).reduce((a, b) => Math.min(a, b), Infinity);
    if (next > until) break;
    runtime.clock.set(Math.max(next, runtime.clock.epochMs));
  }
  runtime.clock.set(until);
}
