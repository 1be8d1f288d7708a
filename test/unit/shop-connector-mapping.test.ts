import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signWebhookBody, verifyWebhookSignature } from '../../functions/connector/webhook-signature.ts';
import { mapShopifyWebhook } from '../../functions/connector/shopify-mapping.ts';
import { mapWooCommerceWebhook } from '../../functions/connector/woocommerce-mapping.ts';
import type { MappedEvent, WebhookMapping } from '../../functions/connector/mapped-event.ts';

const fixture = (path: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const shopify = (name: string) => fixture(`shopify/2025-07/${name}.json`);
const woo = (name: string) => fixture(`woocommerce/wc-v3/${name}.json`);

function eventsOf(mapping: WebhookMapping): MappedEvent[] {
  expect(mapping.kind, JSON.stringify(mapping)).toBe('events');
  return mapping.kind === 'events' ? mapping.events : [];
}

describe('webhook signature (HMAC-SHA256, base64)', () => {
  const body = Buffer.from(JSON.stringify(shopify('orders-create')));
  it('accepts the body signed with any accepted secret (rotation), and refuses a changed body, another secret or no signature', () => {
    const signature = signWebhookBody(body, 'old-secret');
    expect(verifyWebhookSignature(body, signature, ['new-secret', 'old-secret'])).toBe(true);
    expect(verifyWebhookSignature(Buffer.concat([body, Buffer.from(' ')]), signature, ['old-secret'])).toBe(false);
    expect(verifyWebhookSignature(body, signature, ['new-secret'])).toBe(false);
    expect(verifyWebhookSignature(body, undefined, ['old-secret'])).toBe(false);
    expect(verifyWebhookSignature(body, 'c2hvcnQ=', ['old-secret'])).toBe(false);
    expect(verifyWebhookSignature(body, signature, [])).toBe(false);
  });
  it('matches the known answer for a fixed key and message', () => {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    expect(Buffer.from(signWebhookBody('what do ya want for nothing?', 'Jefe'), 'base64').toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});

describe('Shopify payloads → shop events', () => {
  it('customers/create → Customer Registered with consent, its time, locale and tags', () => {
    const [event] = eventsOf(mapShopifyWebhook('customers/create', shopify('customers-create')));
    expect(event).toEqual({
      detailType: 'Customer Registered',
      time: '2026-10-01T14:15:00.000Z',
      detail: expect.objectContaining({
        customerId: 'shopify-7231643828469',
        email: 'maria.garcia@example.com',
        firstName: 'María',
        lastName: 'García',
        locale: 'es',
        marketingConsent: true,
        consentAt: '2026-10-01T14:15:00.000Z',
        registeredAt: '2026-10-01T14:15:00.000Z',
        attributes: { tags: 'newsletter-signup, spring-promo' },
      }),
    });
  });

  it('customers/update → Customer Updated: unsubscribed, with the consent time and source, keyed by the update time', () => {
    const [event] = eventsOf(mapShopifyWebhook('customers/update', shopify('customers-update')));
    expect(event?.detailType).toBe('Customer Updated');
    expect(event?.detail).toMatchObject({
      customerId: 'shopify-7231643828469',
      firstName: 'María José',
      locale: 'es-MX',
      marketingConsent: false,
      consentAt: '2026-10-03T12:59:58.000Z',
      consentSource: 'shopify',
      updatedAt: '2026-10-03T13:00:00.000Z',
    });
  });

  it('a pending (double opt-in) Shopify consent is not consent', () => {
    const payload = { ...shopify('customers-create'), email_marketing_consent: { state: 'pending', opt_in_level: 'confirmed_opt_in', consent_updated_at: null } };
    const [event] = eventsOf(mapShopifyWebhook('customers/create', payload));
    expect(event?.detail).toMatchObject({ marketingConsent: false, consentAt: '2026-10-01T14:15:01.000Z' });
  });

  it('orders/create → Order Placed with line items (a missing SKU falls back to the variant), totals, currency and the customer', () => {
    const mapping = mapShopifyWebhook('orders/create', shopify('orders-create'));
    const [event] = eventsOf(mapping);
    expect(event).toEqual({
      detailType: 'Order Placed',
      time: '2026-10-02T16:30:00.000Z',
      detail: {
        customerId: 'shopify-7231643828469',
        orderId: 'shopify-5940139491234',
        email: 'maria.garcia@example.com',
        placedAt: '2026-10-02T16:30:00.000Z',
        total: 84.5,
        currency: 'USD',
        channel: 'web',
        items: [
          { sku: 'TEA-001', name: 'Sencha Green Tea', quantity: 2, price: 14.75 },
          { sku: 'variant-44858553794691', name: 'Cast Iron Teapot', quantity: 1, price: 50 },
        ],
      },
    });
    expect(mapping.kind === 'events' && mapping.owners).toEqual([{ orderId: 'shopify-5940139491234', customerId: 'shopify-7231643828469' }]);
  });

  it('refunds/create → Order Refunded of the money returned, once its order names the customer', () => {
    const mapping = mapShopifyWebhook('refunds/create', shopify('refunds-create'));
    expect(mapping).toMatchObject({ kind: 'refund', orderId: 'shopify-5940139491234' });
    expect(mapping.kind === 'refund' ? mapping.events('shopify-7231643828469') : []).toEqual([
      {
        detailType: 'Order Refunded',
        time: '2026-10-04T15:00:00.000Z',
        detail: { customerId: 'shopify-7231643828469', orderId: 'shopify-5940139491234', refundedAt: '2026-10-04T15:00:00.000Z', amount: 53.15, refundId: 'shopify-929361463' },
      },
    ]);
  });

  it('checkouts/create (open) → Cart Abandoned with its recovery URL; a completed checkout → nothing', () => {
    const [event] = eventsOf(mapShopifyWebhook('checkouts/create', shopify('checkouts-create')));
    expect(event).toMatchObject({
      detailType: 'Cart Abandoned',
      detail: {
        customerId: 'shopify-7231643828469',
        cartId: 'shopify-f99b685af5a1f207c7752b84ff43580b',
        abandonedAt: '2026-10-05T22:05:00.000Z',
        value: 64,
        items: [{ sku: 'TEA-003', name: 'Matcha Ceremonial', quantity: 2, price: 32 }],
        recoveryUrl: expect.stringMatching(/^https:\/\/tea-house\.example\.com\/.*\/recover\?key=/),
      },
    });
    expect(mapShopifyWebhook('checkouts/update', shopify('checkouts-update-completed'))).toEqual({ kind: 'ignored', reason: 'checkout completed' });
  });

  it('a payload that breaks the documented shape is invalid, naming the field; an unknown topic is ignored', () => {
    const broken = { ...shopify('orders-create'), total_price: 'lots' };
    const mapping = mapShopifyWebhook('orders/create', broken);
    expect(mapping).toEqual({ kind: 'invalid', reason: expect.stringContaining('total_price') });
    expect(mapShopifyWebhook('products/update', {}).kind).toBe('ignored');
  });

  it('an address our schema refuses is invalid, not published', () => {
    const mapping = mapShopifyWebhook('customers/create', { ...shopify('customers-create'), email: 'not an address' });
    expect(mapping).toEqual({ kind: 'invalid', reason: expect.stringContaining('Customer Registered: email') });
  });
});

describe('WooCommerce payloads → shop events', () => {
  it('customer.created → Customer Registered (consent from the customer meta, with its time)', () => {
    const [event] = eventsOf(mapWooCommerceWebhook('customer.created', woo('customer-created')));
    expect(event).toMatchObject({
      detailType: 'Customer Registered',
      time: '2026-10-01T14:09:28.000Z',
      detail: { customerId: 'woo-25', email: 'jonas.weber@example.com', firstName: 'Jonas', lastName: 'Weber', marketingConsent: true, consentAt: '2026-10-01T14:09:20.000Z', registeredAt: '2026-10-01T14:09:28.000Z' },
    });
  });

  it('customer.updated → Customer Updated (withdrawn consent, new name)', () => {
    const [event] = eventsOf(mapWooCommerceWebhook('customer.updated', woo('customer-updated')));
    expect(event).toMatchObject({ detailType: 'Customer Updated', detail: { customerId: 'woo-25', lastName: 'Weber-Schmidt', marketingConsent: false, consentAt: '2026-10-06T07:59:00.000Z', updatedAt: '2026-10-06T08:00:00.000Z' } });
  });

  it('order.created (paid) → Order Placed at the payment time', () => {
    const [event, ...rest] = eventsOf(mapWooCommerceWebhook('order.created', woo('order-created')));
    expect(rest).toEqual([]);
    expect(event).toEqual({
      detailType: 'Order Placed',
      time: '2026-10-02T14:28:08.000Z',
      detail: {
        customerId: 'woo-25',
        orderId: 'woo-727',
        email: 'jonas.weber@example.com',
        placedAt: '2026-10-02T14:28:08.000Z',
        total: 29.35,
        currency: 'EUR',
        channel: 'web',
        items: [
          { sku: 'TEA-010', name: 'Rooibos Vanilla', quantity: 2, price: 3 },
          { sku: 'Bar3', name: 'Ship Your Idea &ndash; Color: Black, Size: M Test', quantity: 1, price: 12 },
        ],
      },
    });
  });

  it('order.updated (refunded) → the order (idempotent) and one Order Refunded per refund, keyed by its id', () => {
    const events = eventsOf(mapWooCommerceWebhook('order.updated', woo('order-updated-refunded')));
    expect(events.map((e) => e.detailType)).toEqual(['Order Placed', 'Order Refunded']);
    expect(events[1]?.detail).toEqual({ customerId: 'woo-25', orderId: 'woo-727', refundedAt: '2026-10-07T09:00:00.000Z', amount: 12, refundId: 'woo-731' });
  });

  it('an unpaid order is not a purchase; a guest order gets a stable guest id from its email', () => {
    expect(mapWooCommerceWebhook('order.created', woo('order-created-pending'))).toEqual({ kind: 'ignored', reason: 'order status pending: not paid' });
    const guest = { ...woo('order-created'), customer_id: 0 };
    const [a] = eventsOf(mapWooCommerceWebhook('order.created', guest));
    const [b] = eventsOf(mapWooCommerceWebhook('order.created', { ...guest, id: 800, billing: { email: 'Jonas.Weber@example.com' } }));
    expect(a?.detail.customerId).toMatch(/^woo-guest-[0-9a-z]+$/);
    expect(b?.detail.customerId).toBe(a?.detail.customerId);
  });
});
