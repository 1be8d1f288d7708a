import { describe, expect, it } from 'vitest';
import { applyShopEvent } from '#domain/apply-shop-event.ts';
import { MAX_RECENT_EVENT_KEYS } from '#domain/customer-profile.ts';
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

describe('ShopEvent validation', () => {
  it('rejects invalid emails, hostile ids and huge values with field paths', () => {
    const result = ShopEvent.safeParse({
      ...envelope,
      'detail-type': 'Customer Registered',
      detail: { customerId: '../../etc', email: 'not-an-email', marketingConsent: true, registeredAt: now, firstName: 'x'.repeat(5000) },
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['detail.customerId', 'detail.email', 'detail.firstName']));
  });

  it('rejects an unknown event type', () => {
    expect(ShopEvent.safeParse({ ...envelope, 'detail-type': 'Order Teleported', detail: {} }).success).toBe(false);
  });
});
