import { inOrderPerKey } from '#lib/local/in-order-per-key.ts';
import type { LocalRuntime } from '#lib/local/local-runtime.ts';
import { firingsBetween } from '#lib/local/local-scheduler.ts';
import type { ShopEventInput } from './shop-event-input.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Five receives, 180 s apart, fit in half an hour. */
const RETRY_GRACE = HOUR / 2;

export interface ReplayWindow {
  /** Go-live: events before it are history, imported without triggering campaigns or schedules. */
  from: number;
  /** The replay ends here. */
  to: number;
}

export interface ReplayProgress {
  phase(name: string, total: number): void;
  tick(n?: number): void;
  done(): void;
}

const toEntry = (e: ShopEventInput) => ({ Source: SHOP_EVENT_SOURCE, DetailType: e.detailType, Detail: JSON.stringify(e.detail), Time: new Date(e.time) });

/**
 * Replays a shop's history through the pipeline on the simulated clock.
 * 1. History before go-live is imported through the same bus and ingest handler (per
 *    customer in order, customers in parallel), with the clock at go-live.
 * 2. From go-live on, hour by hour: the hour's shop events, the schedules that fire in
 *    it, the sends that fall due, and the SES events (deliveries, opens, clicks) they cause.
 */
export async function replay(
  runtime: LocalRuntime,
  events: readonly ShopEventInput[],
  window: ReplayWindow,
  progress: ReplayProgress,
  onDayEnd?: () => Promise<void>,
  onLive?: () => Promise<void>,
  /** Shop events caused during the replay (the demo's response orders to clicks), placed at their own time. */
  reactions?: { nextAt(): number | undefined; takeDue(until: number): ShopEventInput[] },
) {
  const history = events.filter((e) => Date.parse(e.time) < window.from);
  const live = events.filter((e) => Date.parse(e.time) >= window.from && Date.parse(e.time) < window.to);

  runtime.clock.set(window.from);
  progress.phase('importing history', history.length);
  await runtime.importHistory(() =>
    inOrderPerKey(history, (e) => String((e.detail as { customerId?: unknown }).customerId ?? ''), 16, async (e) => {
      await putShopEvent(runtime, e);
      progress.tick();
    }),
  );
  progress.done();
  await onLive?.();

  const days = Math.ceil((window.to - window.from) / DAY);
  progress.phase('replaying days', days);
  const firings = firingsBetween(runtime.schedules, window.from, window.to);
  let nextEvent = 0;
  let nextFiring = 0;
  for (let hour = window.from; hour < window.to; hour += HOUR) {
    const hourEnd = Math.min(hour + HOUR, window.to);
    // Everything in this hour, in time order: shop events, schedule firings, journey wake-ups, SES events.
    for (;;) {
      const e = live[nextEvent];
      const f = firings[nextFiring];
      const eAt = e && Date.parse(e.time) < hourEnd ? Date.parse(e.time) : Infinity;
      const fAt = f && f.at < hourEnd ? f.at : Infinity;
      const wake = runtime.nextJourneyAt();
      const wAt = wake !== undefined && wake < hourEnd ? Math.max(wake, runtime.clock.epochMs) : Infinity;
      const reaction = reactions?.nextAt();
      const rAt = reaction !== undefined && reaction < hourEnd ? Math.max(reaction, runtime.clock.epochMs) : Infinity;
      if (eAt === Infinity && fAt === Infinity && wAt === Infinity && rAt === Infinity) break;
      await runtime.deliverSesEvents(Math.min(eAt, fAt, wAt, rAt));
      if (rAt < eAt && rAt < fAt && rAt <= wAt) {
        runtime.clock.set(rAt);
        for (const e of reactions!.takeDue(rAt)) await putShopEvent(runtime, e);
      } else if (wAt < eAt && wAt < fAt) {
        // A wake-up due before the next event: the journey's step runs at its own time.
        runtime.clock.set(Math.max(wAt, runtime.clock.epochMs));
      } else if (eAt <= fAt) {
        runtime.clock.set(eAt);
        await putShopEvent(runtime, e!);
        nextEvent++;
      } else {
        runtime.clock.set(fAt);
        await runtime.fireSchedule(f!.route.input);
        nextFiring++;
      }
      await runtime.drainSendQueue();
    }
    runtime.clock.set(hourEnd - 1);
    await runtime.drainSendQueue();
    await runtime.deliverSesEvents(hourEnd - 1);
    if ((hourEnd - window.from) % DAY === 0 || hourEnd === window.to) {
      await runtime.writeBehind('records');
      await onDayEnd?.();
      progress.tick();
    }
  }
  // Let the last sends' opens and clicks arrive (two simulated days), as a real inbox would.
  // Journey steps due from the window's end on belong to after it: those entries stay active.
  runtime.clock.set(window.to);
  await runtime.drainSendQueue({ journeys: false });
  // Retries still waiting out their visibility timeout come back within minutes: let them finish.
  for (let next = runtime.sendQueue.nextVisibleAt(); next !== undefined && next <= window.to + RETRY_GRACE; next = runtime.sendQueue.nextVisibleAt()) {
    runtime.clock.set(Math.max(next, Date.parse(runtime.clock.now())));
    await runtime.drainSendQueue({ journeys: false });
  }
  await runtime.deliverSesEvents(window.to + 2 * DAY);
  // The server is written while the caller reads the run's outcome (stop waits for it).
  await runtime.writeBehind('records');
  runtime.writeBehindInBackground();
  progress.done();
}

async function putShopEvent(runtime: LocalRuntime, e: ShopEventInput): Promise<void> {
  const result = await runtime.bus.putEvents('shop', [toEntry(e)]);
  if (result.FailedEntryCount > 0) throw new Error(`PutEvents refused an event: ${result.Entries[0]?.ErrorMessage ?? 'unknown'}`);
}
