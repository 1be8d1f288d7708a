import { describe, expect, it } from 'vitest';
import { applyShopEvent } from '#domain/apply-shop-event.ts';
import { type CustomerProfile, MAX_RECENT_EVENT_KEYS } from '#domain/customer-profile.ts';
import { ShopEvent } from '#domain/shop-events.ts';

const now = '2026-10-01T00:00:00.000Z';
const envelope = { id: 'e1', source: 'lifecycle-mailer.shop', time: now };
const order = (orderId: string, placedAt: string, total: number) =>
  ShopEvent.parse({ ...envelope, id: `e-${orderId}`, 'detail-type': 'Order Placed', detail: { customerId: 'c1', orderId, placedAt, total, items: [{ sku: 's', name: 'n', category: 'tea', quantity: 2, price: total / 2 }] } });

describe('applyShopEvent', () => {
  it('creates a profile from a registration with consent, locale and time zone', () => {
    const event = ShopEvent.parse({
      ...envelope,
      'detail-type': 'Customer Registered',
      detail: { customerId: 'c1', email: 'A@Example.com', firstName: 'Zoë', locale: 'de-DE', timeZone: 'Europe/Berlin', marketingConsent: true, topics: ['newsletter'], registeredAt: now },
    });
    const { outcome, profile } = applyShopEvent(undefined, event, now);
    expect(outcome).toBe('applied');
    expect(profile).toMatchObject({ email: 'a@example.com', firstName: 'Zoë', locale: 'de-DE', timeZone: 'Europe/Berlin', consent: { marketing: true, topics: ['newsletter'] }, version: 1 });
  });

  it('is idempotent: the same order applied twice counts once', () => {
    const first = applyShopEvent(undefined, order('o1', '2026-09-01T10:00:00Z', 40), now).profile;
    const again = applyShopEvent(first, order('o1', '2026-09-01T10:00:00Z', 40), now);
    expect(again.outcome).toBe('duplicate');
    expect(again.profile.orderCount).toBe(1);
    expect(again.profile.totalSpend).toBe(40);
  });

  it('keeps first and last order right when orders arrive out of order, and counts distinct days', () => {
    let p = applyShopEvent(undefined, order('o2', '2026-09-10T10:00:00Z', 30), now).profile;
    p = applyShopEvent(p, order('o1', '2026-09-01T10:00:00Z', 10), now).profile;
    p = applyShopEvent(p, order('o3', '2026-09-10T18:00:00Z', 20), now).profile;
    expect(p.firstOrderAt).toBe('2026-09-01T10:00:00Z');
    expect(p.lastOrderAt).toBe('2026-09-10T18:00:00Z');
    expect(p.orderCount).toBe(3);
    expect(p.orderDays).toBe(2);
    expect(p.averageOrderValue).toBe(20);
    expect(p.favouriteCategory).toBe('tea');
  });

  it('subtracts refunds from spend and clears an abandoned cart on purchase', () => {
    let p = applyShopEvent(undefined, order('o1', '2026-09-01T10:00:00Z', 50), now).profile;
    p = applyShopEvent(p, ShopEvent.parse({ ...envelope, id: 'r', 'detail-type': 'Order Refunded', detail: { customerId: 'c1', orderId: 'o1', refundedAt: '2026-09-03T00:00:00Z', amount: 20 } }), now).profile;
    expect(p.totalSpend).toBe(30);
    p = applyShopEvent(p, ShopEvent.parse({ ...envelope, id: 'k', 'detail-type': 'Cart Abandoned', detail: { customerId: 'c1', cartId: 'k1', abandonedAt: '2026-09-05T00:00:00Z', value: 12 } }), now).profile;
    expect(p.lastCart?.cartId).toBe('k1');
    p = applyShopEvent(p, order('o2', '2026-09-06T10:00:00Z', 12), now).profile;
    expect(p.lastCart).toBeUndefined();
  });

  it('remembers a bounded number of event keys', () => {
    let p = applyShopEvent(undefined, order('o0', '2026-01-01T00:00:00Z', 1), now).profile;
    for (let i = 1; i < MAX_RECENT_EVENT_KEYS + 20; i++) p = applyShopEvent(p, order(`o${i}`, '2026-01-01T00:00:00Z', 1), now).profile;
    expect(p.recentEventKeys).toHaveLength(MAX_RECENT_EVENT_KEYS);
    expect(p.recentEventKeys.at(-1)).toBe(`order:o${MAX_RECENT_EVENT_KEYS + 19}`);
  });
});

describe('consent is ordered by its own time', () => {
  // The envelope's time is the delivery's (a replay or a re-sync publishes anew); the statement's is registeredAt or consentAt.
  const registration = (registeredAt: string, marketingConsent: boolean, extra: Record<string, unknown> = {}) =>
    ShopEvent.parse({
      ...envelope,
      id: `reg-${registeredAt}`,
      time: now,
      'detail-type': 'Customer Registered',
      detail: { customerId: 'c1', email: 'c1@example.com', firstName: 'Ann', marketingConsent, topics: ['newsletter', 'offers'], registeredAt, ...extra },
    });
  const unsubscribedFromAll = (p: CustomerProfile, at: string): CustomerProfile => ({ ...p, consent: { ...p.consent, marketing: false, unsubscribedTopics: ['offers'], updatedAt: at } });

  it('a replayed registration older than an unsubscribe leaves the customer unsubscribed, even when its key was forgotten', () => {
    let p = applyShopEvent(undefined, registration('2026-01-01T10:00:00.000Z', true), now).profile;
    p = unsubscribedFromAll(p, '2026-03-01T09:00:00.000Z');
    p = { ...p, recentEventKeys: [] }; // opens and clicks pushed the key out of the window
    const replayed = applyShopEvent(p, registration('2026-01-01T10:00:00.000Z', true), now).profile;
    expect(replayed.consent).toMatchObject({ marketing: false, unsubscribedTopics: ['offers'], updatedAt: '2026-03-01T09:00:00.000Z' });
  });

  it('an older statement never overrides a newer one, whatever the delivery order', () => {
    const withdrawn = registration('2026-05-01T00:00:00.000Z', false, { consentAt: '2026-04-30T12:00:00.000Z', firstName: 'Anna' });
    const given = registration('2026-05-02T00:00:00.000Z', true, { consentAt: '2026-02-01T08:00:00.000Z' });
    const inOrder = applyShopEvent(applyShopEvent(undefined, given, now).profile, withdrawn, now).profile;
    const reversed = applyShopEvent(applyShopEvent(undefined, withdrawn, now).profile, given, now).profile;
    for (const p of [inOrder, reversed]) {
      expect(p.consent).toMatchObject({ marketing: false, updatedAt: '2026-04-30T12:00:00.000Z' });
      expect(p.firstName).toBe('Anna');
    }
  });

  it('a newer registration does change consent, and a profile first seen through an order takes the registration', () => {
    let p = applyShopEvent(undefined, order('o1', '2026-09-01T10:00:00Z', 10), now).profile;
    p = applyShopEvent(p, registration('2026-01-01T10:00:00.000Z', true), now).profile;
    expect(p.consent).toMatchObject({ marketing: true, topics: ['newsletter', 'offers'] });
    p = unsubscribedFromAll(p, '2026-03-01T09:00:00.000Z');
    p = applyShopEvent(p, registration('2026-06-01T10:00:00.000Z', true), now).profile;
    expect(p.consent).toMatchObject({ marketing: true, unsubscribedTopics: [], updatedAt: '2026-06-01T10:00:00.000Z' });
  });
});

describe('distinct purchase days', () => {
  it('orders on days 10, 1, 5, 5 count 3 days, in any order of arrival', () => {
    const days = ['2026-09-10T10:00:00Z', '2026-09-01T10:00:00Z', '2026-09-05T09:00:00Z', '2026-09-05T17:00:00Z'];
    for (const arrival of [days, [...days].reverse(), [days[2]!, days[0]!, days[3]!, days[1]!]]) {
      let p: CustomerProfile | undefined;
      arrival.forEach((at, i) => (p = applyShopEvent(p, order(`o${i}`, at, 10), now).profile));
      expect(p!.orderCount).toBe(4);
      expect(p!.orderDays).toBe(3);
      expect(p!.purchaseDays).toEqual(['2026-09-01', '2026-09-05', '2026-09-10']);
    }
  });

  it('a profile stored before the day set keeps its count and adds only new days', () => {
    const legacy = { ...applyShopEvent(undefined, order('o1', '2026-09-01T10:00:00Z', 10), now).profile, orderDays: 4, purchaseDays: [], firstOrderAt: '2026-09-01T10:00:00Z', lastOrderAt: '2026-09-20T10:00:00Z' };
    const sameDay = applyShopEvent(legacy, order('o2', '2026-09-20T18:00:00Z', 10), now).profile;
    expect(sameDay.orderDays).toBe(4);
    const newDay = applyShopEvent(legacy, order('o3', '2026-09-25T10:00:00Z', 10), now).profile;
    expect(newDay.orderDays).toBe(5);
  });
});

describe('ShopEvent validation', () => {
  it('rejects invalid emails, hostile ids and huge values with field paths', () => {
    const result = ShopEvent.safeParse({
      ...envelope,
      'detail-type': 'Customer Registered',
      detail: { customerId: '../../etc', email: 'not-an-email', marketingConsent: true, registeredAt: now, topics: ['t'.repeat(5000)] },
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['detail.customerId', 'detail.email', 'detail.topics.0']));
  });

  it('truncates a long name instead of refusing the registration (and the consent in it)', () => {
    const result = ShopEvent.safeParse({
      ...envelope,
      'detail-type': 'Customer Registered',
      detail: { customerId: 'c1', email: 'a@example.com', marketingConsent: true, registeredAt: now, firstName: '名'.repeat(150), lastName: ` ${'😀'.repeat(120)} ` },
    });
    expect(result.success).toBe(true);
    const detail = result.data!.detail as { firstName: string; lastName: string; marketingConsent: boolean };
    expect(detail.firstName).toBe('名'.repeat(100));
    expect(Array.from(detail.lastName)).toHaveLength(100); // whole code points: no half surrogate pair
    expect(detail.lastName).toBe('😀'.repeat(100));
    expect(detail.marketingConsent).toBe(true);
  });

  it('rejects an unknown event type', () => {
    expect(ShopEvent.safeParse({ ...envelope, 'detail-type': 'Order Teleported', detail: {} }).success).toBe(false);
  });
});
