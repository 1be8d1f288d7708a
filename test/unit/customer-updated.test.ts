import { describe, expect, it } from 'vitest';
import { applyShopEvent } from '#domain/apply-shop-event.ts';
import { ShopEvent } from '#domain/shop-events.ts';

const now = '2026-10-01T00:00:00.000Z';
const envelope = { id: 'e1', source: 'lifecycle-mailer.shop', time: now };
const registered = ShopEvent.parse({
  ...envelope,
  'detail-type': 'Customer Registered',
  detail: { customerId: 'c1', email: 'a@example.com', firstName: 'Ann', marketingConsent: true, topics: ['offers'], registeredAt: '2026-06-01T00:00:00.000Z' },
});
const updated = (detail: Record<string, unknown>) => ShopEvent.parse({ ...envelope, 'detail-type': 'Customer Updated', detail: { customerId: 'c1', ...detail } });

describe('Customer Updated', () => {
  const base = applyShopEvent(undefined, registered, now).profile;

  it('changes only the fields it names, and merges attributes', () => {
    const { profile } = applyShopEvent(base, updated({ lastName: 'Lee', locale: 'fr-FR', attributes: { tier: 'gold', vip: true }, updatedAt: '2026-07-01T00:00:00.000Z' }), now);
    expect(profile).toMatchObject({ email: 'a@example.com', firstName: 'Ann', lastName: 'Lee', locale: 'fr-FR', attributes: { tier: 'gold', vip: true } });
    expect(profile.consent).toEqual(base.consent);
  });

  it('a newer consent statement replaces the consent on file, with its time and source', () => {
    const { profile } = applyShopEvent(base, updated({ marketingConsent: false, consentAt: '2026-07-01T00:00:00.000Z', consentSource: 'shopify', updatedAt: '2026-07-01T00:00:00.000Z' }), now);
    expect(profile.consent).toMatchObject({ marketing: false, updatedAt: '2026-07-01T00:00:00.000Z', source: 'shopify' });
  });

  it('an older consent statement never overrides a newer one (other fields still change)', () => {
    const { profile } = applyShopEvent(base, updated({ firstName: 'Anna', marketingConsent: false, consentAt: '2026-05-01T00:00:00.000Z', updatedAt: '2026-07-01T00:00:00.000Z' }), now);
    expect(profile.firstName).toBe('Anna');
    expect(profile.consent).toEqual(base.consent);
  });

  it('on a customer first seen through an order, any stated consent counts, however old', () => {
    const order = ShopEvent.parse({ ...envelope, 'detail-type': 'Order Placed', detail: { customerId: 'c1', orderId: 'o1', placedAt: '2026-09-01T00:00:00Z', total: 10 } });
    const fromOrder = applyShopEvent(undefined, order, now).profile;
    const { profile } = applyShopEvent(fromOrder, updated({ marketingConsent: true, consentAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-01T00:00:00.000Z' }), now);
    expect(profile.consent).toMatchObject({ marketing: true, updatedAt: '2024-01-01T00:00:00.000Z' });
  });

  it('is idempotent on its update time', () => {
    const event = updated({ firstName: 'Anna', updatedAt: '2026-07-01T00:00:00.000Z' });
    const once = applyShopEvent(base, event, now).profile;
    expect(applyShopEvent(once, event, now)).toEqual({ outcome: 'duplicate', profile: once });
  });

  it('rejects a consent without its time', () => {
    expect(() => updated({ marketingConsent: true, updatedAt: now })).toThrow(/consentAt/);
  });
});
