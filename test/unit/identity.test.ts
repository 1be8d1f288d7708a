import { describe, expect, it } from 'vitest';
import { applyShopEvent } from '#domain/apply-shop-event.ts';
import { countStorefronts, signsUpAnew, storefrontOf } from '#domain/identity.ts';
import { ShopEvent } from '#domain/shop-events.ts';
import { mapShopifyWebhook } from '../../functions/connector/shopify-mapping.ts';

const registered = (customerId: string, registeredAt: string, marketingConsent: boolean, firstName?: string) =>
  ShopEvent.parse({ id: `e-${customerId}-${registeredAt}`, source: 'lifecycle-mailer.shop', 'detail-type': 'Customer Registered', time: registeredAt, detail: { customerId, email: 'ana@example.com', marketingConsent, registeredAt, ...(firstName ? { firstName } : {}) } });
const NOW = '2026-10-08T00:00:00.000Z';

describe('one profile across storefronts (applyShopEvent with the storefront identity)', () => {
  const first = applyShopEvent(undefined, registered('shopify-1', '2026-10-01T10:00:00Z', true, 'Ana'), NOW, undefined, { source: 'shopify', id: 'shopify-1' }).profile;

  it('keeps each storefront id with when it was first seen', () => {
    expect(first.identities).toEqual([{ source: 'shopify', id: 'shopify-1', firstSeenAt: NOW }]);
  });

  it('a second storefront’s registration is applied (not a duplicate), keeps the first registration, and its older consent does not win', () => {
    const event = registered('shopify-1', '2026-09-01T10:00:00Z', false, 'Anna'); // ingest has already put the profile's id on it
    const second = applyShopEvent(first, event, NOW, undefined, { source: 'woocommerce', id: 'woo-7' });
    expect(second.outcome).toBe('applied');
    expect(second.profile).toMatchObject({ registeredAt: '2026-10-01T10:00:00Z', firstName: 'Ana', consent: { marketing: true } });
    expect(second.profile.identities.map((i) => i.id)).toEqual(['shopify-1', 'woo-7']);
    expect(applyShopEvent(second.profile, event, NOW, undefined, { source: 'woocommerce', id: 'woo-7' }).outcome).toBe('duplicate');
  });

  it('a newer consent statement from the second storefront wins', () => {
    const second = applyShopEvent(first, registered('shopify-1', '2026-10-05T10:00:00Z', false), NOW, undefined, { source: 'woocommerce', id: 'woo-7' });
    expect(second.profile.consent).toMatchObject({ marketing: false, updatedAt: '2026-10-05T10:00:00Z' });
  });
});

describe('storefronts', () => {
  it('are named by the connector’s id prefixes', () => {
    expect(['shopify-1', 'woo-2', 'crm-3'].map(storefrontOf)).toEqual(['shopify', 'woocommerce', 'shop']);
  });

  it('count customers per storefront and those known at more than one', () => {
    const at = (source: string, id: string) => ({ source, id, firstSeenAt: NOW });
    expect(
      countStorefronts([
        { customerId: 'shopify-1', identities: [at('shopify', 'shopify-1'), at('woocommerce', 'woo-1')] },
        { customerId: 'shopify-2', identities: [at('shopify', 'shopify-2')] },
        { customerId: 'crm-3', identities: [] },
      ]),
    ).toEqual({ customers: { shopify: 2, woocommerce: 1, shop: 1 }, shared: 1 });
  });

  it('an erased address comes back only by a sign-up with consent made after the erasure', () => {
    const erasedAt = '2026-10-08T00:00:00Z';
    expect(signsUpAnew({ type: 'Customer Registered', marketingConsent: true, registeredAt: '2026-10-09T00:00:00Z' }, erasedAt)).toBe(true);
    expect(signsUpAnew({ type: 'Customer Registered', marketingConsent: true, registeredAt: '2026-10-07T00:00:00Z' }, erasedAt)).toBe(false);
    expect(signsUpAnew({ type: 'Customer Registered', marketingConsent: false, registeredAt: '2026-10-09T00:00:00Z' }, erasedAt)).toBe(false);
    expect(signsUpAnew({ type: 'Customer Updated', marketingConsent: true }, erasedAt)).toBe(false);
  });
});

describe('Shopify privacy webhooks', () => {
  const payload = { shop_id: 954889, shop_domain: 'tea-house.myshopify.com', customer: { id: 191167, email: 'John@Example.com', phone: '555-625-1199' }, orders_to_redact: [299938] };
  it('customers/redact and customers/data_request become an erase and an export of that customer', () => {
    expect(mapShopifyWebhook('customers/redact', payload, NOW)).toEqual({ kind: 'privacy', request: { action: 'erase', subject: 'shopify-191167', email: 'john@example.com', by: 'shopify customers/redact (tea-house.myshopify.com)', requestedAt: NOW } });
    expect(mapShopifyWebhook('customers/data_request', payload, NOW)).toMatchObject({ kind: 'privacy', request: { action: 'export', subject: 'shopify-191167' } });
  });
  it('shop/redact erases what that storefront holds', () => {
    expect(mapShopifyWebhook('shop/redact', { shop_id: 954889, shop_domain: 'tea-house.myshopify.com' }, NOW)).toEqual({ kind: 'privacy', request: { action: 'erase-storefront', source: 'shopify', by: 'shopify shop/redact (tea-house.myshopify.com)', requestedAt: NOW } });
  });
});
