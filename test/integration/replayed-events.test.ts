/**
 * Replays and late redeliveries against dynalite: the bus archive keeps events for 365 days
 * "for replay", and opens and clicks push an event's key out of the profile's recent-keys
 * window long before that. Neither consent nor counts may change on a replay.
 */
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { MAX_RECENT_EVENT_KEYS } from '#domain/customer-profile.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { signUnsubscribeToken } from '#signed-links/unsubscribe-token.ts';
import type { BusEvent } from '#lib/local/local-event-bus.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { catalogTopics, handleUnsubscribeRequest, type UnsubscribeDeps } from '../../functions/unsubscribe/unsubscribe.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const start = '2026-01-05T08:00:00.000Z';
const secret = randomBytes(32).toString('hex');
const DAY = 86_400_000;
let runtime: LocalRuntime;
let unsubscribeDeps: UnsubscribeDeps;

const shopEvent = (id: string, detailType: string, detail: Record<string, unknown>, time: string): BusEvent => ({
  version: '0', id, 'detail-type': detailType, source: SHOP_EVENT_SOURCE, account: '000000000000', time, region: 'local', resources: [], detail,
});
const opens = async (customerId: string, count: number) => {
  for (let i = 0; i < count; i++) {
    const at = new Date(runtime.clock.epochMs + i * 1000).toISOString();
    const mail = { timestamp: at, messageId: `m-${customerId}-${i}`, destination: [], tags: { customer: [customerId], send: [`newsletter_${i}_${customerId}`] } };
    await runtime.bus.deliver('default', { source: 'aws.ses', id: `open-${customerId}-${i}`, 'detail-type': 'Email Opened', time: at, detail: { eventType: 'Open', mail, open: { timestamp: at, userAgent: 'Mozilla/5.0 (X11)', ipAddress: '198.51.100.1' } } });
  }
};
const oneClickUnsubscribeAll = async (customerId: string) => {
  const token = signUnsubscribeToken({ customerId, topic: 'offers', expiresAt: Math.floor(runtime.clock.epochMs / 1000) + 86_400 }, secret);
  const response = await handleUnsubscribeRequest({ method: 'POST', query: { token }, body: 'action=all', contentType: 'application/x-www-form-urlencoded' }, unsubscribeDeps);
  expect(response.status).toBe(200);
};

beforeAll(async () => {
  runtime = await LocalRuntime.start({ catalog: await buildCatalog(projectPaths(repoRoot)), start, unsubscribeSecret: secret });
  unsubscribeDeps = {
    customers: runtime.customers,
    ledger: runtime.ledger,
    clock: runtime.clock,
    logger: new Logger({ serviceName: 'lifecycle-mailer', logLevel: 'SILENT' }),
    secret,
    topics: catalogTopics(runtime.catalog),
    onConfirmed: { campaigns: runtime.catalog.campaigns, config: runtime.catalog.config, sendQueue: runtime.sendQueue, failedEvents: runtime.failedEvents },
  };
}, 60_000);
afterAll(async () => runtime?.stop());

describe('a replayed or late event after 250 engagement events', () => {
  it('a replayed old registration leaves an unsubscribed customer unsubscribed', async () => {
    const registration = shopEvent('reg-r1', 'Customer Registered', { customerId: 'r1', email: 'r1@example.com', marketingConsent: true, topics: ['newsletter', 'offers'], registeredAt: start }, start);
    await runtime.bus.deliver('shop', registration);
    expect((await runtime.customers.get('r1'))?.consent.marketing).toBe(true);

    runtime.clock.set(Date.parse(start) + 30 * DAY);
    await oneClickUnsubscribeAll('r1');
    await opens('r1', 250);
    const before = await runtime.customers.get('r1');
    expect(before?.engagement?.opens).toBe(250);
    expect(before?.recentEventKeys.length).toBe(MAX_RECENT_EVENT_KEYS);
    expect(before?.recentEventKeys.some((k) => k.startsWith('registered'))).toBe(false); // pushed out of the window

    runtime.clock.set(Date.parse(start) + 200 * DAY);
    await runtime.bus.deliver('shop', registration); // the archive replays it, same id
    await runtime.bus.deliver('shop', { ...registration, id: 'replayed-under-a-new-id' });
    const after = await runtime.customers.get('r1');
    expect(after?.consent).toMatchObject({ marketing: false, updatedAt: before!.consent.updatedAt });
    expect(after?.consent).toEqual(before?.consent);
  });

  it('a registration stated before the unsubscribe but delivered late does not restore consent either', async () => {
    await runtime.bus.deliver('shop', shopEvent('reg-r2', 'Customer Registered', { customerId: 'r2', email: 'r2@example.com', marketingConsent: true, registeredAt: start }, start));
    runtime.clock.set(Date.parse(start) + 300 * DAY);
    await oneClickUnsubscribeAll('r2');
    // Never seen before (a new fact, not a replay), but its consent was stated a day before the unsubscribe.
    const lateStatement = new Date(runtime.clock.epochMs - DAY).toISOString();
    await runtime.bus.deliver('shop', shopEvent('reg-r2-late', 'Customer Registered', { customerId: 'r2', email: 'r2@example.com', marketingConsent: true, registeredAt: start, consentAt: lateStatement }, lateStatement));
    expect((await runtime.customers.get('r2'))?.consent.marketing).toBe(false);
  });

  it('a replayed order counts once (the idempotency table, not the evicted key, refuses it)', async () => {
    const order = shopEvent('order-r3', 'Order Placed', { customerId: 'r3', orderId: 'o-r3', placedAt: start, total: 40, email: 'r3@example.com' }, start);
    await runtime.bus.deliver('shop', order);
    await opens('r3', 250);
    const before = await runtime.customers.get('r3');
    expect(before?.recentEventKeys).not.toContain('order:o-r3');
    await runtime.bus.deliver('shop', order);
    const after = await runtime.customers.get('r3');
    expect(after).toMatchObject({ orderCount: 1, totalSpend: 40, version: before!.version });
  });

  it('a replayed open is not counted again after the window forgot it', async () => {
    await runtime.bus.deliver('shop', shopEvent('reg-r4', 'Customer Registered', { customerId: 'r4', email: 'r4@example.com', marketingConsent: true, registeredAt: start }, start));
    await opens('r4', 250);
    const before = await runtime.customers.get('r4');
    await opens('r4', 1); // open 0 again: its key left the window 50 opens ago
    expect((await runtime.customers.get('r4'))?.engagement?.opens).toBe(before?.engagement?.opens);
  });
});

describe('deliveries, handled without an idempotency record', () => {
  const ses = async (customerId: string, id: string, at: string, detail: Record<string, unknown>, detailType: string) => {
    const mail = { timestamp: at, messageId: `m-${id}`, destination: [], tags: { customer: [customerId], send: [`newsletter_${id}_${customerId}`] } };
    await runtime.bus.deliver('default', { source: 'aws.ses', id, 'detail-type': detailType, time: at, detail: { mail, ...detail } });
  };
  const at = (minutes: number) => new Date(Date.parse(start) + minutes * 60_000).toISOString();
  const softBounce = (customerId: string, id: string, minutes: number) => ses(customerId, id, at(minutes), { eventType: 'Bounce', bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', timestamp: at(minutes) } }, 'Email Bounced');
  const delivery = (customerId: string, id: string, minutes: number) => ses(customerId, id, at(minutes), { eventType: 'Delivery', delivery: { timestamp: at(minutes) } }, 'Email Delivered');

  it('a late or replayed delivery never clears a newer soft bounce; a newer delivery does; no delivery leaves a record', async () => {
    await runtime.bus.deliver('shop', shopEvent('reg-r5', 'Customer Registered', { customerId: 'r5', email: 'r5@example.com', marketingConsent: true, registeredAt: start }, start));
    const engagementRecords = async () => {
      const { Items = [] } = await runtime.db.send(new ScanCommand({ TableName: runtime.tables.idempotency }));
      return Items.filter((i) => String(i.id).startsWith('engagement#')).length;
    };
    const before = await engagementRecords();
    await softBounce('r5', 'b1', 10);
    await delivery('r5', 'd-early', 5); // sent and delivered before the bounce, reported after it
    expect((await runtime.customers.get('r5'))?.softBounces).toBe(1);
    await delivery('r5', 'd-later', 20);
    expect((await runtime.customers.get('r5'))?.softBounces).toBe(0);
    await softBounce('r5', 'b2', 30);
    await delivery('r5', 'd-later', 20); // the same delivery again (EventBridge delivers at least once)
    expect((await runtime.customers.get('r5'))?.softBounces).toBe(1);
    // The two bounces' records, none for the three deliveries.
    expect((await engagementRecords()) - before).toBe(2);
  });
});
