import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { campaignsWithoutJourneys } from '../support/campaigns-without-journeys.ts';
import type { Catalog } from '#domain/catalog.ts';
import { buildSendRequest, type SendRequest } from '#domain/send-request.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { peakPerSecond } from '#cli/run/run-summary.ts';

/**
 * The send-time guarantees against dynalite and aws-ses-v2-local, through the real send
 * handler and the SQS-like local queue (which, like SQS, delays a message 15 minutes at most).
 */
const repoRoot = new URL('../..', import.meta.url).pathname;
const SEND_RATE = 25;
let runtime: LocalRuntime;
let catalog: Catalog;

const put = (detailType: string, detail: unknown) =>
  runtime.bus.putEvents('shop', [{ Source: SHOP_EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), Time: new Date(runtime.clock.now()) }]);
const outbox = async () => ((await (await fetch(`${runtime.services.ses.endpoint}/store`)).json()) as { emails: { destination: { to: string[] } }[] }).emails;
const register = (customerId: string, timeZone = 'UTC') =>
  put('Customer Registered', { customerId, email: `${customerId}@example.com`, marketingConsent: true, timeZone, registeredAt: runtime.clock.now() });
const campaign = (id: string) => catalog.campaigns.find((c) => c.id === id)!;

/** Moves the clock from one queue wake-up to the next, draining each time, until `until`. Returns the wake-ups. */
async function runQueueUntil(until: string): Promise<number> {
  let wakeUps = 0;
  for (let next = runtime.sendQueue.nextVisibleAt(); next !== undefined && next <= Date.parse(until); next = runtime.sendQueue.nextVisibleAt()) {
    runtime.clock.set(Math.max(next, Date.parse(runtime.clock.now())));
    await runtime.drainSendQueue();
    wakeUps++;
  }
  return wakeUps;
}

beforeAll(async () => {
  const base = campaignsWithoutJourneys(await buildCatalog(projectPaths(repoRoot)));
  const welcome = base.campaigns.find((c) => c.id === 'welcome')!;
  // Four look-alike campaigns, so one customer qualifies for several at once; one is exempt from the caps.
  const lookAlikes = ['cap-a', 'cap-b', 'cap-c', 'receipt'].map((id) => ({ ...welcome, id, trigger: { type: 'schedule' as const, cron: '0 9 * * *', timeZone: 'UTC' } }));
  catalog = {
    ...base,
    campaigns: [...base.campaigns, ...lookAlikes],
    config: {
      ...base.config,
      frequency: { minHoursBetweenMarketing: 0, maxPerWindow: 2, windowDays: 7, exempt: ['receipt'] },
      quietHours: { start: '21:00', end: '08:00', exempt: ['receipt'] },
    },
  };
  runtime = await LocalRuntime.start({ catalog, start: '2026-10-10T12:00:00.000Z', sendRate: SEND_RATE });
}, 60_000);
afterAll(async () => runtime?.stop());
beforeEach(async () => {
  await fetch(`${runtime.services.ses.endpoint}/clear-store`, { method: 'POST' });
});

describe('global frequency cap', () => {
  it('holds when sends for one customer race: of four capped campaigns at once, exactly maxPerWindow go out', async () => {
    runtime.clock.set('2026-10-10T12:00:00.000Z');
    await register('cap1');
    await runQueueUntil('2026-10-10T12:00:00.000Z'); // the welcome email
    await fetch(`${runtime.services.ses.endpoint}/clear-store`, { method: 'POST' });
    // The welcome email already took one of the two slots of the week.
    const requests = ['cap-a', 'cap-b', 'cap-c'].map((id) => buildSendRequest(campaign(id), 'cap1', runtime.clock.now(), 'schedule'));
    // One batch, as SQS may hand a standard queue's messages of one customer together: the handler
    // processes them concurrently. (The local queue itself hands one customer's sends out one at a
    // time, so that a replay repeats its decisions; this calls the function as AWS would.)
    const batch = { Records: requests.map((r, i) => ({ messageId: `race-${i}`, receiptHandle: `race-${i}`, body: JSON.stringify(r), attributes: { ApproximateReceiveCount: '1' } })) } as unknown as SQSEvent;
    expect((await runtime.handlers.send(batch)).batchItemFailures).toEqual([]);

    expect((await outbox()).length).toBe(1);
    const profile = (await runtime.customers.get('cap1'))!;
    expect(profile.cappedSends).toHaveLength(2);
    const ledger = await Promise.all(requests.map((r) => runtime.ledger.get(r.sendId)));
    expect(ledger.filter((e) => e?.status === 'sent')).toHaveLength(1);
    expect(ledger.filter((e) => e === undefined)).toHaveLength(2); // the others gave their period back
    expect([...runtime.sendSkips.entries()].filter(([k]) => k.endsWith('|frequency-cap')).reduce((s, [, n]) => s + n, 0)).toBeGreaterThanOrEqual(2);

    // A campaign the config exempts still goes; it takes no slot.
    await runtime.sendQueue.enqueue([buildSendRequest(campaign('receipt'), 'cap1', runtime.clock.now(), 'schedule')]);
    await runtime.drainSendQueue();
    expect((await outbox()).length).toBe(2);
    expect((await runtime.customers.get('cap1'))!.cappedSends).toHaveLength(2);

    // Seven days after the first send the window has room again.
    runtime.clock.set('2026-10-17T12:00:00.001Z');
    const later = buildSendRequest(campaign('cap-c'), 'cap1', runtime.clock.now(), 'schedule');
    await runtime.sendQueue.enqueue([later]);
    await runtime.drainSendQueue();
    expect((await runtime.ledger.get(later.sendId))?.status).toBe('sent');
  });
});

describe('quiet hours in the customer time zone', () => {
  it('holds a send due at 02:00 in Los Angeles until 08:00 there, hopping through the 15-minute queue delay', async () => {
    runtime.clock.set('2026-10-11T09:00:00.000Z'); // 02:00 PDT
    await register('la1', 'America/Los_Angeles'); // its welcome email is queued for 08:00 PDT
    const exempt = buildSendRequest(campaign('receipt'), 'la1', runtime.clock.now(), 'schedule');
    const held = buildSendRequest(campaign('cap-a'), 'la1', runtime.clock.now(), 'schedule');
    await runtime.sendQueue.enqueue([held, exempt]);
    await runtime.drainSendQueue();
    // The exempt one went at once; the other was put back by the send function.
    expect((await outbox()).length).toBe(1);
    expect((await runtime.ledger.get(exempt.sendId))?.status).toBe('sent');
    expect(await runtime.ledger.get(held.sendId)).toBeUndefined();

    const wakeUps = await runQueueUntil('2026-10-11T16:00:00.000Z');
    expect(wakeUps).toBeGreaterThanOrEqual(24); // six hours in hops of at most 15 minutes
    const entry = await runtime.ledger.get(held.sendId);
    expect(entry?.status).toBe('sent');
    expect(entry?.sentAt).toBe('2026-10-11T15:00:00.000Z'); // 08:00 PDT
  });

  it('waits for 08:00 local the morning Europe sets its clocks back (07:00Z, not 06:00Z)', async () => {
    runtime.clock.set('2026-10-24T19:30:00.000Z'); // 21:30 CEST, the evening before the change
    await register('be1', 'Europe/Berlin'); // the welcome email is due now, inside quiet hours
    await runtime.drainSendQueue();
    expect((await outbox()).length).toBe(0);
    await runQueueUntil('2026-10-25T12:00:00.000Z');
    const welcome = buildSendRequest(campaign('welcome'), 'be1', '2026-10-24T19:30:00.000Z', 'event');
    expect((await runtime.ledger.get(welcome.sendId))?.sentAt).toBe('2026-10-25T07:00:00.000Z');
    expect((await outbox()).map((e) => e.destination.to[0])).toEqual(['be1@example.com']);
  });

  it('queues an event-triggered send with its release time already set (no needless hops)', async () => {
    runtime.clock.set('2026-10-12T13:00:00.000Z'); // 22:00 in Tokyo
    const before = runtime.sendQueue.depth;
    await register('tk1', 'Asia/Tokyo');
    expect(runtime.sendQueue.depth).toBe(before + 1);
    await runQueueUntil('2026-10-13T01:00:00.000Z');
    const welcome = buildSendRequest(campaign('welcome'), 'tk1', '2026-10-12T13:00:00.000Z', 'event');
    expect((await runtime.ledger.get(welcome.sendId))?.sentAt).toBe('2026-10-12T23:00:00.000Z'); // 08:00 JST
  });
});

describe('send rate', () => {
  it(`never starts more than ${SEND_RATE} SES calls in any simulated second, measured at the SES client`, async () => {
    runtime.clock.set('2026-10-14T12:00:00.000Z');
    const from = runtime.sendStartTimes.length;
    for (let i = 0; i < 60; i++) await register(`rate${i}`);
    await runtime.drainSendQueue();
    expect((await outbox()).length).toBe(60);
    const starts = runtime.sendStartTimes.slice(from);
    expect(starts).toHaveLength(60);
    expect(peakPerSecond(starts)).toBeLessThanOrEqual(SEND_RATE);
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual((59 / SEND_RATE) * 1000 - 20);
  }, 30_000);
});
