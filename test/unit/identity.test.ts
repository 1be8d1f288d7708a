import { describe, expect, it } from 'vitest';
import { applyShopEvent } from '#domain/apply-shop-event.ts';
import { countStorefronts, signsUpAnew, storefrontOf } from '#domain/identity.ts';
import { ShopEvent } from '#domain/shop-events.ts';
import { mapShopifyWebhook } from '../../functions/connector/shopify-mapping.ts';
import { PlannedIdentities } from '#adapters/identity-store.ts';
import { resolveCustomer } from '../../functions/ingest/ingest-shop-event.ts';

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

describe('import plans resolve customers as ingest does, writing nothing (PlannedIdentities)', () => {
  // The identities table as it stands: one link per address and storefront id, one erased address.
  const table = {
    sources: new Map([['shopify#shopify-1', 'crm-1']]),
    addresses: new Map([['known@example.com', 'crm-1']]),
    erased: new Map([['gone@example.com', '2026-10-01T00:00:00.000Z']]),
  };
  const store = {
    hash: (email: string) => email.trim().toLowerCase(),
    erasedAt: async (email: string) => table.erased.get(email),
    customerOfSource: async (source: string, id: string) => table.sources.get(`${source}#${id}`),
    customerOfAddress: async (email: string) => table.addresses.get(email),
  };
  const order = (customerId: string, email: string | undefined, orderId: string) =>
    ShopEvent.parse({ id: orderId, source: 'lifecycle-mailer.shop', 'detail-type': 'Order Placed', time: NOW, detail: { customerId, orderId, placedAt: NOW, total: 10, items: [], ...(email ? { email } : {}) } });
  const customerOf = async (links: PlannedIdentities, event: ShopEvent) => {
    const r = await resolveCustomer(event, NOW, links);
    return 'suppressed' in r ? r.suppressed : r.event.detail.customerId;
  };

  it('a known storefront id or address leads to its profile; a new address under two ids in one file is one new customer (first claim wins)', async () => {
    const links = new PlannedIdentities(store);
    expect(await customerOf(links, order('shopify-1', undefined, 'o1'))).toBe('crm-1');
    expect(await customerOf(links, order('woo-9', 'known@example.com', 'o2'))).toBe('crm-1');
    expect(await customerOf(links, order('woo-10', 'new@example.com', 'o3'))).toBe('woo-10');
    expect(await customerOf(links, order('shopify-10', 'NEW@example.com', 'o4'))).toBe('woo-10');
    // A later row naming only an id the plan linked finds the same profile.
    expect(await customerOf(links, order('shopify-10', undefined, 'o5'))).toBe('woo-10');
    // The table itself was not changed.
    expect([...table.sources.keys()]).toEqual(['shopify#shopify-1']);
    expect([...table.addresses.keys()]).toEqual(['known@example.com']);
  });

  it('an erased address is dropped unless a fresh sign-up with consent after the erasure brings it back, from that row on', async () => {
    const links = new PlannedIdentities(store);
    expect(await customerOf(links, order('woo-11', 'gone@example.com', 'o6'))).toBe('the address was erased at 2026-10-01T00:00:00.000Z');
    const signUp = ShopEvent.parse({ id: 's1', source: 'lifecycle-mailer.shop', 'detail-type': 'Customer Registered', time: NOW, detail: { customerId: 'woo-11', email: 'gone@example.com', marketingConsent: true, registeredAt: NOW } });
    expect(await customerOf(links, signUp)).toBe('woo-11');
    expect(await customerOf(links, order('woo-11', 'gone@example.com', 'o7'))).toBe('woo-11');
    expect(table.erased.has('gone@example.com')).toBe(true);
  });
});
