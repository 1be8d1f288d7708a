import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { attributeOrder, touchesOf } from '#domain/attribution.ts';
import type { Catalog } from '#domain/catalog.ts';
import { DEFAULT_HOLDOUT_SALT, isHeldOut } from '#domain/holdout.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import type { LedgerEntry } from '#adapters/send-ledger.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { runUntil as runUntilOn } from '../support/run-until.ts';

/**
 * Holdouts and attribution end to end in the local runtime (dynalite, aws-ses-v2-local, the SES
 * event emulator): held-out customers go through the send function's decision and get a
 * 'held-out' ledger entry per step, never an email; orders are credited at ingest to the send
 * of the last click or human open, once.
 */
const repoRoot = new URL('../..', import.meta.url).pathname;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-03-02T10:00:00.000Z');
const HOLDOUT = 30;
const CUSTOMERS = Array.from({ length: 40 }, (_, i) => `h${i}`);
let runtime: LocalRuntime;
let catalog: Catalog;

const put = (detailType: string, detail: unknown, at: number) => {
  runtime.clock.set(Math.max(at, runtime.clock.epochMs));
  return runtime.bus.putEvents('shop', [{ Source: SHOP_EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), Time: new Date(at) }]);
};

const runUntil = (until: number) => runUntilOn(runtime, until);

async function ledger(): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  for await (const e of runtime.ledger.all()) out.push(e);
  return out;
}
const mailbox = async () => ((await (await fetch(`${runtime.services.ses.endpoint}/store`)).json()) as { emails: { destination: { to: string[] } }[] }).emails;

beforeAll(async () => {
  const base = await buildCatalog(projectPaths(repoRoot));
  catalog = { ...base, config: { ...base.config, quietHours: undefined }, journeys: base.journeys.map((j) => (j.id === 'welcome-series' ? { ...j, holdout: HOLDOUT } : j)) };
  runtime = await LocalRuntime.start({ catalog, start: new Date(START).toISOString(), sendRate: 100, seed: 'holdouts-test' });
  for (const id of CUSTOMERS) await put('Customer Registered', { customerId: id, email: `${id}@example.com`, marketingConsent: true, timeZone: 'UTC', registeredAt: new Date(START).toISOString() }, START);
  await runUntil(START + 8 * DAY);
  // The emulated opens and clicks of those sends (within two days of each), after the sends.
  await runtime.deliverSesEvents(START + 10 * DAY);
}, 180_000);
afterAll(async () => runtime?.stop());

describe('holdouts in the local runtime', () => {
  // The config's default salt (the catalog is built in beforeAll).
  const heldOut = CUSTOMERS.filter((id) => isHeldOut(DEFAULT_HOLDOUT_SALT, { journeyId: 'welcome-series' }, id, HOLDOUT));

  it('draws some customers into the holdout and leaves most mailed', () => {
    expect(heldOut.length).toBeGreaterThan(3);
    expect(heldOut.length).toBeLessThan(CUSTOMERS.length / 2);
  });

  it('mails no held-out customer: nothing in the SES stand-in, a held-out ledger entry for every step instead', async () => {
    const to = new Set((await mailbox()).flatMap((e) => e.destination.to));
    for (const id of heldOut) expect(to.has(`${id}@example.com`), id).toBe(false);
    const entries = await ledger();
    for (const id of heldOut) {
      const mine = entries.filter((e) => e.customerId === id && e.journeyId === 'welcome-series');
      // The entry kept going: each of the series' three steps recorded its held-out moment.
      expect(mine.map((e) => e.status), id).toEqual(['held-out', 'held-out', 'held-out']);
      for (const e of mine) expect(e.heldOutAt).toBeDefined();
      expect(new Set(mine.map((e) => e.stepId)).size).toBe(3);
    }
    for (const id of CUSTOMERS.filter((c) => !heldOut.includes(c))) {
      expect(to.has(`${id}@example.com`), id).toBe(true);
      expect(entries.filter((e) => e.customerId === id && e.journeyId === 'welcome-series').every((e) => e.status === 'sent'), id).toBe(true);
    }
  });

  it('takes no cap slot for a held-out send, and notes it among the profile\'s recent sends', async () => {
    for (const id of heldOut) {
      const p = await runtime.customers.get(id);
      expect(p?.cappedSends, id).toEqual([]);
      expect(p?.recentSends.length, id).toBe(3);
    }
  });

  it('splits opens into human and machine per send', async () => {
    const sent = (await ledger()).filter((e) => e.status === 'sent');
    expect(sent.reduce((a, e) => a + e.opens, 0)).toBeGreaterThan(0);
    for (const e of sent) expect((e.humanOpens ?? 0) + (e.machineOpens ?? 0), e.sendId).toBe(e.opens);
  });

  it('credits each order to the send of its last touch at ingest, once even when the order is replayed', async () => {
    const orderAt = START + 10 * DAY + HOUR;
    const order = (id: string) => ({ customerId: id, orderId: `o-${id}`, placedAt: new Date(orderAt).toISOString(), total: 25, currency: 'USD', items: [{ sku: 'TEA-1', name: 'Tea', quantity: 1, price: 25 }] });
    const expected = new Map<string, string>();
    for (const id of CUSTOMERS) {
      const p = (await runtime.customers.get(id))!;
      const credit = attributeOrder(order(id).placedAt, touchesOf(p), catalog.config.attribution);
      if (credit) expected.set(`o-${id}`, credit.sendId);
    }
    for (const id of CUSTOMERS) await put('Order Placed', order(id), orderAt);
    // The same order again (a replay of the shop's webhook under a new event id).
    for (const id of CUSTOMERS) await put('Order Placed', order(id), orderAt + 60_000);
    await runUntil(orderAt + HOUR);
    const credited = new Map<string, string>();
    for (const e of await ledger()) for (const a of e.attributions ?? []) credited.set(a.orderId, e.sendId);
    const counts = (await ledger()).flatMap((e) => (e.attributedOrders ? [[e.sendId, e.attributedOrders, e.attributedRevenue] as const] : []));
    expect(credited).toEqual(expected);
    for (const [, n, revenue] of counts) expect(revenue).toBe(25 * n);
    expect(counts.reduce((a, [, n]) => a + n, 0)).toBe(expected.size);
    // The profile's order list keeps the order once.
    expect((await runtime.customers.get(CUSTOMERS[0]!))?.recentOrders.map((o) => o.orderId)).toEqual([`o-${CUSTOMERS[0]}`]);
  });
});
