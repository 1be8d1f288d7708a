import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import type { Catalog } from '#domain/catalog.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import { campaignsById } from '#domain/catalog.ts';
import { createJourneyHandler, type JourneyIdentities } from '../../functions/journey/handler.ts';
import { runUntil as runUntilOn } from '../support/run-until.ts';

/**
 * Journeys in the local runtime, against dynalite and aws-ses-v2-local: shop events through the
 * bus, wake-ups as one-time schedules on the simulated clock, sends through the send function.
 */
const repoRoot = new URL('../..', import.meta.url).pathname;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-03-02T10:00:00.000Z');
let runtime: LocalRuntime;
let catalog: Catalog;

const put = (detailType: string, detail: unknown, at: number) => {
  runtime.clock.set(at);
  return runtime.bus.putEvents('shop', [{ Source: SHOP_EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), Time: new Date(at) }]);
};
const registration = (customerId: string, at: number) => ({ customerId, email: `${customerId}@example.com`, marketingConsent: true, timeZone: 'UTC', registeredAt: new Date(at).toISOString() });

const runUntil = (until: number) => runUntilOn(runtime, until);

/** What went out to one customer: the campaigns and when (from the ledger, as the send function recorded them). */
async function sentTo(customerId: string): Promise<{ campaignId: string; sentAt: string }[]> {
  const items = (await runtime.db.send(new ScanCommand({ TableName: runtime.tables['send-ledger'] }))).Items ?? [];
  return items
    .filter((i) => i.customerId === customerId && i.status === 'sent')
    .map((i) => ({ campaignId: String(i.campaignId), sentAt: String(i.sentAt) }))
    .sort((a, b) => a.sentAt.localeCompare(b.sentAt));
}

beforeAll(async () => {
  const base = await buildCatalog(projectPaths(repoRoot));
  catalog = { ...base, config: { ...base.config, quietHours: undefined } };
  runtime = await LocalRuntime.start({ catalog, start: new Date(START).toISOString(), sendRate: 100 });
}, 60_000);
afterAll(async () => runtime?.stop());

describe('journeys in the local runtime', () => {
  it('welcome series over 8 simulated days: three sends, then the entry completes', async () => {
    await put('Customer Registered', registration('w1', START), START);
    await runUntil(START + 8 * DAY);
    const sent = await sentTo('w1');
    expect(sent.map((s) => s.campaignId)).toEqual(['welcome', 'first-order-nudge', 'welcome-best-sellers']);
    expect(Date.parse(sent[1]!.sentAt) - Date.parse(sent[0]!.sentAt)).toBe(3 * DAY);
    expect(Date.parse(sent[2]!.sentAt) - Date.parse(sent[1]!.sentAt)).toBe(4 * DAY);
    expect((await runtime.journeys.entries.get('w1', 'welcome-series'))?.status).toBe('completed');
  });

  it('a redelivered registration starts no second entry and sends no second welcome', async () => {
    const at = START + 10 * DAY;
    await put('Customer Registered', registration('w2', at), at);
    await put('Customer Registered', registration('w2', at), at + 60_000);
    await runUntil(at + HOUR);
    const entries = await runtime.journeys.entries.listForCustomer('w2');
    expect(entries.filter((e) => e.journeyId === 'welcome-series').map((e) => e.entryNumber)).toEqual([1]);
    expect((await sentTo('w2')).map((s) => s.campaignId)).toEqual(['welcome']);
  });

  it('cart at t, order at t+3h: one reminder near t+1h, and the order ends the entry before its second send', async () => {
    // Registered long before, so the welcome series is over when the cart is left.
    await put('Customer Registered', registration('c1', START), START);
    await runUntil(START + 9 * DAY);
    const t = START + 9 * DAY;
    const items = [{ sku: 'tea-1', name: 'Green tea', quantity: 2, price: 40 }];
    await put('Cart Abandoned', { customerId: 'c1', cartId: 'cart-1', abandonedAt: new Date(t).toISOString(), value: 80, items }, t);
    await runUntil(t + 3 * HOUR);
    await put('Order Placed', { customerId: 'c1', orderId: 'o-1', placedAt: new Date(t + 3 * HOUR).toISOString(), total: 80, items }, t + 3 * HOUR);
    await runUntil(t + 3 * DAY);
    const cartSends = (await sentTo('c1')).filter((s) => ['abandoned-cart', 'cart-incentive', 'cart-reminder'].includes(s.campaignId));
    expect(cartSends.map((s) => s.campaignId)).toEqual(['abandoned-cart']);
    expect(Date.parse(cartSends[0]!.sentAt) - t).toBe(HOUR);
    const entry = await runtime.journeys.entries.get('c1', 'abandoned-cart');
    expect(entry).toMatchObject({ status: 'exited', exitReason: 'goal: Order Placed', endedAt: new Date(t + 3 * HOUR).toISOString() });
    // The waitFor's wake-up was cancelled with the exit.
    expect(runtime.journeys.tally.figures('abandoned-cart').exited.get('goal: Order Placed')).toBe(1);
  });
});

describe('the journey function and old shop events', () => {
  /** Stores that throw on any use: an event too old for any journey needs none of them. */
  const untouchable = <T extends object>(name: string) =>
    new Proxy({} as T, {
      get: (_target, property) => () => Promise.reject(new Error(`${name}.${String(property)} was called`)),
    });
  const handlerAt = (now: number) =>
    createJourneyHandler({
      journeys: catalog.journeys,
      campaigns: campaignsById(catalog),
      config: catalog.config,
      customers: untouchable('customers'),
      entries: untouchable('entries'),
      sendQueue: untouchable('sendQueue'),
      scheduler: untouchable('scheduler'),
      identities: untouchable<JourneyIdentities>('identities'),
      clock: { now: () => new Date(now).toISOString() },
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    });
  const registered = (at: number) => ({ version: '0', id: 'old-1', 'detail-type': 'Customer Registered', source: SHOP_EVENT_SOURCE, account: '0', time: new Date(at).toISOString(), region: 'local', resources: [], detail: registration('o1', at) });

  it('ignores a shop event older than a day without looking up whose it is', async () => {
    const result = await handlerAt(START + 2 * DAY)(registered(START));
    expect(result).toEqual(catalog.journeys.map((j) => ({ journeyId: j.id, outcome: 'ignored', reason: 'event older than 24 h' })));
    // A fresh one is looked up (the identities table says whose profile it is).
    await expect(handlerAt(START + HOUR)(registered(START))).rejects.toThrow(/identities\.customerOfSource was called/);
  });
});
