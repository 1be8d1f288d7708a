import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { campaignsWithoutJourneys } from '../support/campaigns-without-journeys.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const start = '2026-10-01T08:00:00.000Z';
let runtime: LocalRuntime;

const put = (detailType: string, detail: unknown) =>
  runtime.bus.putEvents('shop', [{ Source: SHOP_EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), Time: new Date(runtime.clock.now()) }]);
const storeCount = async () => ((await (await fetch(`${runtime.services.ses.endpoint}/store`)).json()) as { emails: unknown[] }).emails.length;

beforeAll(async () => {
  runtime = await LocalRuntime.start({ catalog: campaignsWithoutJourneys(await buildCatalog(projectPaths(repoRoot))), start });
}, 60_000);
afterAll(async () => runtime?.stop());
beforeEach(async () => {
  await fetch(`${runtime.services.ses.endpoint}/clear-store`, { method: 'POST' });
});

describe('ingest against dynalite', () => {
  it('stores a profile, and a redelivered event changes nothing', async () => {
    await put('Customer Registered', { customerId: 'h1', email: 'h1@example.com', firstName: 'Ann', marketingConsent: true, topics: ['newsletter', 'offers'], registeredAt: start });
    const order = { customerId: 'h1', orderId: 'o-1', placedAt: start, total: 42.5 };
    await put('Order Placed', order);
    await put('Order Placed', order);
    const profile = await runtime.customers.get('h1');
    expect(profile).toMatchObject({ orderCount: 1, totalSpend: 42.5, stage: 'exploring', email: 'h1@example.com' });
  });

  it('sets a bad event aside with its reason and keeps processing the rest', async () => {
    const before = (await runtime.failedEvents.list()).length;
    await put('Order Placed', { customerId: 'h2', orderId: 'o-2', placedAt: 'yesterday', total: -5 });
    await put('Order Teleported', { customerId: 'h2' });
    await put('Order Placed', { customerId: 'h2', orderId: 'o-3', placedAt: start, total: 5 });
    const failed = await runtime.failedEvents.list();
    expect(failed.length).toBe(before + 1); // the unknown type matches no rule, as on EventBridge
    const reason = failed.find((f) => f.payload.includes('o-2'))!.reason;
    expect(reason).toMatch(/detail\.placedAt/);
    expect(reason).toMatch(/detail\.total/);
    expect((await runtime.customers.get('h2'))?.orderCount).toBe(1);
  });

  it('queues the welcome email on registration and sends it once, even if queued twice', async () => {
    await put('Customer Registered', { customerId: 'h3', email: 'h3@example.com', marketingConsent: true, topics: ['newsletter'], registeredAt: start });
    const welcome = runtime.catalog.campaigns.find((c) => c.id === 'welcome')!;
    await runtime.sendQueue.enqueue([buildSendRequest(welcome, 'h3', runtime.clock.now(), 'event')]);
    await runtime.drainSendQueue();
    expect(await storeCount()).toBe(1);
    const entry = await runtime.ledger.get(buildSendRequest(welcome, 'h3', runtime.clock.now(), 'event').sendId);
    expect(entry).toMatchObject({ status: 'sent', campaignId: 'welcome', customerId: 'h3' });
    expect(entry?.messageId).toBeTruthy();
    expect((await runtime.customers.get('h3'))?.campaignsSent.welcome).toBe(runtime.clock.now());
  });

  it('does not mail a customer without consent, and gives the period back', async () => {
    await put('Customer Registered', { customerId: 'h4', email: 'h4@example.com', marketingConsent: false, registeredAt: start });
    const welcome = runtime.catalog.campaigns.find((c) => c.id === 'welcome')!;
    const request = buildSendRequest(welcome, 'h4', runtime.clock.now(), 'event');
    await runtime.sendQueue.enqueue([request]);
    await runtime.drainSendQueue();
    expect(await storeCount()).toBe(0);
    expect(await runtime.ledger.get(request.sendId)).toBeUndefined();
  });
});

describe('send outcome unknown', () => {
  it('does not resend a send claimed but never marked sent, and sets it aside with the reason', async () => {
    await put('Customer Registered', { customerId: 'h8', email: 'h8@example.com', marketingConsent: true, registeredAt: start });
    const welcome = runtime.catalog.campaigns.find((c) => c.id === 'welcome')!;
    const request = buildSendRequest(welcome, 'h8', runtime.clock.now(), 'event');
    // As if an attempt five minutes ago crashed after its claim (a fresh claim may still be in flight).
    await runtime.ledger.claim(request, new Date(Date.parse(runtime.clock.now()) - 5 * 60_000).toISOString());
    await runtime.sendQueue.enqueue([request]);
    await runtime.drainSendQueue();
    expect(await storeCount()).toBe(0);
    const failed = await runtime.failedEvents.list();
    expect(failed.some((f) => f.stage === 'send' && f.reason.startsWith('outcome unknown') && f.payload.includes(request.sendId))).toBe(true);
  });
});

describe('an SES call that ended without an answer', () => {
  it('keeps the error on the claim, and the retry sets the send aside saying what happened', async () => {
    await put('Customer Registered', { customerId: 'h15', email: 'h15@example.com', marketingConsent: true, registeredAt: start });
    const welcome = runtime.catalog.campaigns.find((c) => c.id === 'welcome')!;
    const request = buildSendRequest(welcome, 'h15', runtime.clock.now(), 'event');
    // SES may have taken the message: the connection died before its answer.
    const lost = (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) =>
      context.commandName === 'SendEmailCommand' ? Promise.reject(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })) : next(args);
    runtime.ses.middlewareStack.add(lost as never, { step: 'initialize', name: 'loseTheAnswer', priority: 'high' });
    try {
      await runtime.sendQueue.enqueue([request]);
      await runtime.drainSendQueue();
    } finally {
      runtime.ses.middlewareStack.remove('loseTheAnswer');
    }
    expect(await runtime.ledger.get(request.sendId)).toMatchObject({ status: 'claimed', attemptError: expect.stringContaining('TimeoutError') });
    // After the visibility timeout the message is back; the claim is old enough not to be in flight.
    runtime.clock.set(runtime.clock.epochMs + 20 * 60_000);
    await runtime.drainSendQueue();
    expect(await runtime.ledger.get(request.sendId)).toMatchObject({ status: 'unknown' });
    const failed = (await runtime.failedEvents.list()).find((f) => f.stage === 'send' && f.payload.includes(request.sendId));
    expect(failed?.reason).toMatch(/^outcome unknown: claimed at .* without a recorded SES result \(the attempt ended with .*TimeoutError.*\); not resent/);
  });
});

describe('a lost result that SES shows went out', () => {
  const welcome = () => runtime.catalog.campaigns.find((c) => c.id === 'welcome')!;
  const delivered = (sendId: string, customerId: string, messageId: string, sentAt: string) => ({
    source: 'aws.ses',
    id: `delivery-${messageId}`,
    'detail-type': 'Email Delivered',
    time: sentAt,
    detail: { eventType: 'Delivery', mail: { timestamp: sentAt, messageId, destination: [], tags: { customer: [customerId], send: [sendId], campaign: ['welcome'] } }, delivery: { timestamp: sentAt } },
  });
  const daySends = async (day: string) => (await runtime.deliverability.dayCounters(day, 'welcome')).campaign?.sends ?? 0;

  it('SES delivered it before the retry: the retry records it as sent, sends nothing and sets nothing aside', async () => {
    await put('Customer Registered', { customerId: 'h10', email: 'h10@example.com', marketingConsent: true, registeredAt: start });
    const request = buildSendRequest(welcome(), 'h10', runtime.clock.now(), 'event');
    const crashedAt = new Date(Date.parse(runtime.clock.now()) - 5 * 60_000).toISOString();
    // An attempt five minutes ago: claimed, SES took the message, then the function crashed.
    await runtime.ledger.claim(request, crashedAt);
    await runtime.bus.deliver('default', delivered(request.sendId, 'h10', 'm-10', crashedAt));
    const [failedBefore, sendsBefore] = [(await runtime.failedEvents.list()).length, await daySends(crashedAt.slice(0, 10))];
    await runtime.sendQueue.enqueue([request]);
    await runtime.drainSendQueue();
    expect(await storeCount()).toBe(0);
    expect(await runtime.ledger.get(request.sendId)).toMatchObject({ status: 'sent', confirmedBy: 'ses-event', messageId: 'm-10', delivered: true, sentAt: crashedAt });
    expect((await runtime.failedEvents.list()).length).toBe(failedBefore);
    expect((await runtime.customers.get('h10'))?.campaignsSent.welcome).toBe(runtime.clock.now());
    expect(await daySends(crashedAt.slice(0, 10))).toBe(sendsBefore + 1);
  });

  it('SES delivered it after the retry set it aside: the entry becomes sent and the day counts it once', async () => {
    await put('Customer Registered', { customerId: 'h11', email: 'h11@example.com', marketingConsent: true, registeredAt: start });
    const request = buildSendRequest(welcome(), 'h11', runtime.clock.now(), 'event');
    const crashedAt = new Date(Date.parse(runtime.clock.now()) - 5 * 60_000).toISOString();
    await runtime.ledger.claim(request, crashedAt);
    await runtime.sendQueue.enqueue([request]);
    await runtime.drainSendQueue();
    expect((await runtime.ledger.get(request.sendId))?.status).toBe('unknown');
    expect((await runtime.failedEvents.list()).some((f) => f.stage === 'send' && f.payload.includes(request.sendId))).toBe(true);
    const sendsBefore = await daySends(crashedAt.slice(0, 10));
    const event = delivered(request.sendId, 'h11', 'm-11', crashedAt);
    await runtime.bus.deliver('default', event);
    await runtime.bus.deliver('default', event); // EventBridge delivers at least once
    expect(await runtime.ledger.get(request.sendId)).toMatchObject({ status: 'sent', confirmedBy: 'ses-event', messageId: 'm-11', delivered: true });
    expect(await daySends(crashedAt.slice(0, 10))).toBe(sendsBefore + 1);
    expect(await storeCount()).toBe(0);
  });
});

describe('a duplicate delivered while the first copy is still sending', () => {
  it('waits out the visibility timeout instead of setting a send aside that was in fact sent', async () => {
    await put('Customer Registered', { customerId: 'h9', email: 'h9@example.com', marketingConsent: true, registeredAt: start });
    const welcome = runtime.catalog.campaigns.find((c) => c.id === 'welcome')!;
    const request = buildSendRequest(welcome, 'h9', runtime.clock.now(), 'event');
    const before = (await runtime.failedEvents.list()).length;
    // SQS at-least-once: two copies of one message in one batch, processed concurrently.
    await runtime.sendQueue.enqueue([request, request]);
    await runtime.drainSendQueue();
    runtime.clock.set(Date.parse(runtime.clock.now()) + 181_000); // the loser comes back after the visibility timeout
    await runtime.drainSendQueue();
    expect(await storeCount()).toBe(1);
    expect((await runtime.ledger.get(request.sendId))?.status).toBe('sent');
    expect((await runtime.failedEvents.list()).length).toBe(before); // nothing set aside as 'outcome unknown'
    expect(runtime.sendQueue.depth).toBe(0);
  });
});

describe('engagement against dynalite', () => {
  it('raises loyalty on a click, ignores its redelivery, and suppresses on a hard bounce', async () => {
    await put('Customer Registered', { customerId: 'h5', email: 'h5@example.com', marketingConsent: true, registeredAt: start });
    const mail = { timestamp: start, messageId: 'm-5', destination: ['h5@example.com'], tags: { customer: ['h5'], send: ['welcome_once_h5'] } };
    const click = { source: 'aws.ses', id: 'ev-1', 'detail-type': 'Email Clicked', time: start, detail: { eventType: 'Click', mail, click: { timestamp: start, ipAddress: '198.51.100.1', userAgent: 'Mozilla/5.0 (X11)', link: 'https://shop.example.com/' } } };
    await runtime.bus.deliver('default', click);
    const afterClick = await runtime.customers.get('h5');
    await runtime.bus.deliver('default', click);
    const afterRedelivery = await runtime.customers.get('h5');
    expect(afterClick?.engagement?.clicks).toBe(1);
    expect(afterClick?.loyaltyScore).toBeGreaterThan(0);
    expect(afterRedelivery?.engagement?.clicks).toBe(1);
    await runtime.bus.deliver('default', { ...click, id: 'ev-2', 'detail-type': 'Email Bounced', detail: { eventType: 'Bounce', mail, bounce: { bounceType: 'Permanent', bounceSubType: 'General', timestamp: start } } });
    expect((await runtime.customers.get('h5'))?.suppression?.reason).toBe('hard-bounce');
  });

  it('suppresses after three transient bounces, and honours SES subscription (list management) opt-outs', async () => {
    await put('Customer Registered', { customerId: 'h6', email: 'h6@example.com', marketingConsent: true, registeredAt: start });
    const mail = { timestamp: start, messageId: 'm-6', destination: ['h6@example.com'], tags: { customer: ['h6'] } };
    const softBounce = async (i: number) => {
      const at = new Date(Date.parse(start) + i * 60_000).toISOString();
      await runtime.bus.deliver('default', { source: 'aws.ses', id: `sb-${i}`, 'detail-type': 'Email Bounced', time: at, detail: { eventType: 'Bounce', mail, bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', timestamp: at } } });
      return (await runtime.customers.get('h6'))?.suppression;
    };
    expect(await softBounce(1)).toBeUndefined();
    expect(await softBounce(2)).toBeUndefined();
    expect((await softBounce(3))?.reason).toBe('soft-bounces');

    await put('Customer Registered', { customerId: 'h7', email: 'h7@example.com', marketingConsent: true, registeredAt: start });
    const sub = { timestamp: start, newTopicPreferences: { unsubscribeAll: false, topicSubscriptionStatus: [{ topicName: 'offers', subscriptionStatus: 'OptOut' }] } };
    await runtime.bus.deliver('default', { source: 'aws.ses', id: 'sub-1', 'detail-type': 'Email Subscribed', time: start, detail: { eventType: 'Subscription', mail: { ...mail, tags: { customer: ['h7'] } }, subscription: sub } });
    expect((await runtime.customers.get('h7'))?.consent).toMatchObject({ marketing: true, unsubscribedTopics: ['offers'] });
  });

  it('keeps an idempotency record of an SES event that changes the profile, and none of a Send or a Delivery event', async () => {
    await put('Customer Registered', { customerId: 'h9', email: 'h9@example.com', marketingConsent: true, registeredAt: start });
    const records = async () => {
      const { Items } = await runtime.db.send(new ScanCommand({ TableName: runtime.tables.idempotency, ConsistentRead: true }));
      return (Items ?? []).filter((i) => String(i.id).startsWith('engagement')).length;
    };
    const before = await records();
    const mail = { timestamp: start, messageId: 'm-9', destination: ['h9@example.com'], tags: { customer: ['h9'], send: ['welcome_once_h9'] } };
    const sent = { source: 'aws.ses', id: 'ev-9s', 'detail-type': 'Email Sent', time: start, detail: { eventType: 'Send', mail, send: {} } };
    await runtime.bus.deliver('default', sent);
    await runtime.bus.deliver('default', sent);
    expect(await records()).toBe(before);
    // A delivery is safe to handle again by itself (record-engagement.ts, needsNoRecord).
    const delivered = { ...sent, id: 'ev-9d', 'detail-type': 'Email Delivered', detail: { eventType: 'Delivery', mail, delivery: { timestamp: start } } };
    await runtime.bus.deliver('default', delivered);
    await runtime.bus.deliver('default', delivered);
    expect(await records()).toBe(before);
    await runtime.bus.deliver('default', { ...sent, id: 'ev-9o', 'detail-type': 'Email Opened', detail: { eventType: 'Open', mail, open: { timestamp: start, userAgent: 'Mozilla/5.0 (X11)', ipAddress: '198.51.100.1' } } });
    expect(await records()).toBe(before + 1);
  });

  it("counts an open on its send's ledger entry as an open and a human or machine open, once", async () => {
    await put('Customer Registered', { customerId: 'h10', email: 'h10@example.com', marketingConsent: true, registeredAt: start });
    const welcome = runtime.catalog.campaigns.find((c) => c.id === 'welcome')!;
    const request = buildSendRequest(welcome, 'h10', runtime.clock.now(), 'event');
    await runtime.drainSendQueue(); // the registration's welcome email: its ledger entry
    expect((await runtime.ledger.get(request.sendId))?.status).toBe('sent');
    const mail = { timestamp: start, messageId: 'm-10', destination: ['h10@example.com'], tags: { customer: ['h10'], send: [request.sendId] } };
    const open = (id: string, seconds: number, who: { userAgent: string; ipAddress: string }) => {
      const at = new Date(Date.parse(start) + seconds * 1000).toISOString();
      return { source: 'aws.ses', id, 'detail-type': 'Email Opened', time: at, detail: { eventType: 'Open', mail, open: { timestamp: at, ...who } } };
    };
    const person = open('ev-10a', 60, { userAgent: 'Mozilla/5.0 (X11)', ipAddress: '198.51.100.1' });
    await runtime.bus.deliver('default', person);
    await runtime.bus.deliver('default', open('ev-10b', 120, { userAgent: 'Mozilla/5.0', ipAddress: '17.58.101.22' })); // Apple's privacy proxy
    await runtime.bus.deliver('default', person);
    expect(await runtime.ledger.get(request.sendId)).toMatchObject({ opens: 2, humanOpens: 1, machineOpens: 1 });
  });

  it('sets aside an SES event it cannot attribute, with the reason', async () => {
    await runtime.bus.deliver('default', { source: 'aws.ses', id: 'ev-3', 'detail-type': 'Email Opened', time: start, detail: { eventType: 'Open', mail: { timestamp: start, messageId: 'm-x', tags: {} }, open: { timestamp: start } } });
    const failed = await runtime.failedEvents.list();
    expect(failed.some((f) => f.stage === 'engagement' && /no 'customer' tag/.test(f.reason))).toBe(true);
  });
});

describe('customer store: a change from the profile the caller knows', () => {
  it('writes from a current profile, and reads again when the known one is stale or its change writes nothing', async () => {
    await put('Customer Registered', { customerId: 'h11', email: 'h11@example.com', marketingConsent: true, registeredAt: start });
    const known = (await runtime.customers.get('h11'))!;
    const rename = (name: string) => (p: CustomerProfile | undefined) => (p ? { ...p, firstName: name, version: p.version + 1 } : undefined);
    const current = await runtime.customers.modify('h11', rename('Bea'), known);
    expect(await runtime.customers.get('h11')).toEqual(current);
    expect(current).toMatchObject({ firstName: 'Bea', version: known.version + 1 });

    // `known` is stale now: the write from it fails its version check and the change applies to the stored profile.
    const seen: number[] = [];
    const again = await runtime.customers.modify('h11', (p) => (p ? (seen.push(p.version), { ...p, timeZone: 'Europe/Berlin', version: p.version + 1 }) : undefined), known);
    expect(seen).toEqual([known.version, known.version + 1]);
    expect(await runtime.customers.get('h11')).toMatchObject({ firstName: 'Bea', timeZone: 'Europe/Berlin', version: known.version + 2 });
    expect(again?.version).toBe(known.version + 2);

    // A change that writes nothing proves nothing about `known`: the stored profile is what comes back.
    const unchanged = await runtime.customers.modify('h11', () => undefined, known);
    expect(unchanged).toMatchObject({ firstName: 'Bea', version: known.version + 2 });
  });
});
