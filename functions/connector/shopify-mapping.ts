import { z } from 'zod';
import { guestCustomerId, invalidPayload, type MappedEvent, normaliseLocale, round2, validateMapped, type WebhookMapping } from './mapped-event.ts';

/**
 * Shopify's webhook payloads (Admin REST shapes, as sent to HTTPS and EventBridge
 * subscriptions) for the topics we act on, and what each becomes in our shop events.
 * Unknown fields are ignored; the fields we read are checked.
 */

/** Shopify's money is a decimal string ("59.99"); tolerate a number too. */
const Money = z.union([z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal amount like "59.99"'), z.number().finite()]).transform(Number);
/** Ids are integers in JSON (up to 2^53); some exports give them as strings. */
const Id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);
/** ISO 8601 with offset ("2024-11-10T10:30:00-05:00"), normalised to UTC so that times compare as strings. */
const Instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());

export const ShopifyEmailMarketingConsent = z.object({
  state: z.enum(['subscribed', 'not_subscribed', 'unsubscribed', 'pending', 'redacted', 'invalid']),
  opt_in_level: z.enum(['single_opt_in', 'confirmed_opt_in', 'unknown']).nullish(),
  consent_updated_at: Instant.nullish(),
});

export const ShopifyCustomer = z.object({
  id: Id,
  email: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  created_at: Instant,
  updated_at: Instant,
  state: z.string().nullish(),
  tags: z.string().nullish(),
  locale: z.string().nullish(),
  email_marketing_consent: ShopifyEmailMarketingConsent.nullish(),
  /** Before email_marketing_consent (API versions up to 2022-07). */
  accepts_marketing: z.boolean().nullish(),
  accepts_marketing_updated_at: Instant.nullish(),
});
export type ShopifyCustomer = z.infer<typeof ShopifyCustomer>;

const ShopifyLineItem = z.object({
  id: Id.nullish(),
  sku: z.string().nullish(),
  title: z.string().nullish(),
  name: z.string().nullish(),
  quantity: z.number().int().positive(),
  price: Money,
  product_id: Id.nullish(),
  variant_id: Id.nullish(),
  product_type: z.string().nullish(),
});

/** The customer as embedded in an order or checkout: fewer fields than the customers/* payload. */
const EmbeddedCustomer = z.object({ id: Id, email: z.string().nullish(), first_name: z.string().nullish(), last_name: z.string().nullish() });

export const ShopifyOrder = z.object({
  id: Id,
  name: z.string().nullish(),
  email: z.string().nullish(),
  created_at: Instant,
  processed_at: Instant.nullish(),
  currency: z.string(),
  total_price: Money,
  financial_status: z.string().nullish(),
  customer_locale: z.string().nullish(),
  source_name: z.string().nullish(),
  line_items: z.array(ShopifyLineItem),
  customer: EmbeddedCustomer.nullish(),
});

export const ShopifyRefund = z.object({
  id: Id,
  order_id: Id,
  created_at: Instant,
  processed_at: Instant.nullish(),
  transactions: z.array(z.object({ kind: z.string(), status: z.string(), amount: Money })).default([]),
  refund_line_items: z.array(z.object({ subtotal: Money.nullish(), total_tax: Money.nullish() })).default([]),
});

export const ShopifyCheckout = z.object({
  id: Id,
  token: z.string().min(1),
  cart_token: z.string().nullish(),
  email: z.string().nullish(),
  created_at: Instant,
  updated_at: Instant,
  completed_at: Instant.nullish(),
  abandoned_checkout_url: z.string().nullish(),
  total_price: Money,
  currency: z.string().nullish(),
  line_items: z.array(ShopifyLineItem),
  customer: EmbeddedCustomer.nullish(),
});

/** Shopify's mandatory privacy webhooks (data_request, redact): who, and which shop. */
export const ShopifyPrivacyPayload = z.object({
  shop_domain: z.string().nullish(),
  customer: z.object({ id: Id.nullish(), email: z.string().nullish() }).nullish(),
});

export const SHOPIFY_TOPICS = ['customers/create', 'customers/update', 'orders/create', 'refunds/create', 'checkouts/create', 'checkouts/update', 'customers/data_request', 'customers/redact', 'shop/redact'] as const;
export type ShopifyTopic = (typeof SHOPIFY_TOPICS)[number];

/** Shopify customers get the `shopify-` prefix: ids stay distinct from another storefront's. */
export const shopifyCustomerId = (id: string) => `shopify-${id}`;
export const shopifyOrderId = (id: string) => `shopify-${id}`;

const text = (s: string | null | undefined) => (s && s.trim() ? s.trim() : undefined);

/** The consent a Shopify customer states, and when it was stated. Only `subscribed` is consent; `pending` waits for Shopify's own confirmation. */
export function shopifyConsent(c: ShopifyCustomer): { marketingConsent: boolean; consentAt: string } {
  if (c.email_marketing_consent) {
    return { marketingConsent: c.email_marketing_consent.state === 'subscribed', consentAt: c.email_marketing_consent.consent_updated_at ?? c.updated_at };
  }
  return { marketingConsent: c.accepts_marketing === true, consentAt: c.accepts_marketing_updated_at ?? c.updated_at };
}

function customerAttributes(c: ShopifyCustomer): Record<string, string> | undefined {
  const tags = text(c.tags);
  return tags ? { tags: tags.slice(0, 500) } : undefined;
}

function customerEvent(topic: 'customers/create' | 'customers/update', c: ShopifyCustomer): MappedEvent {
  const { marketingConsent, consentAt } = shopifyConsent(c);
  const common = {
    customerId: shopifyCustomerId(c.id),
    firstName: text(c.first_name),
    lastName: text(c.last_name),
    locale: normaliseLocale(c.locale),
    marketingConsent,
    consentAt,
    attributes: customerAttributes(c),
  };
  if (topic === 'customers/create') {
    return { detailType: 'Customer Registered', time: c.created_at, detail: { ...common, email: c.email ?? undefined, registeredAt: c.created_at } };
  }
  return { detailType: 'Customer Updated', time: c.updated_at, detail: { ...common, email: text(c.email), consentSource: 'shopify', updatedAt: c.updated_at } };
}

type LineItem = z.infer<typeof ShopifyLineItem>;
const toLineItem = (item: LineItem) => ({
  // Custom line items have no SKU; the variant or product still names the thing bought.
  sku: text(item.sku) ?? (item.variant_id ? `variant-${item.variant_id}` : item.product_id ? `product-${item.product_id}` : `line-${item.id ?? 'custom'}`),
  name: (text(item.title) ?? text(item.name) ?? '').slice(0, 200),
  ...(text(item.product_type) ? { category: text(item.product_type)!.slice(0, 64) } : {}),
  quantity: item.quantity,
  price: item.price,
});

function buyerOf(payload: { customer?: z.infer<typeof EmbeddedCustomer> | null; email?: string | null }): string | undefined {
  if (payload.customer) return shopifyCustomerId(payload.customer.id);
  const email = text(payload.email);
  return email ? guestCustomerId('shopify', email) : undefined;
}

/** Maps one Shopify webhook (its `X-Shopify-Topic` and JSON body) to our shop events. */
export function mapShopifyWebhook(topic: string, payload: unknown, now: string = new Date().toISOString()): WebhookMapping {
  switch (topic) {
    case 'customers/data_request':
    case 'customers/redact':
    case 'shop/redact': {
      const parsed = ShopifyPrivacyPayload.safeParse(payload);
      if (!parsed.success) return invalidPayload('shopify', topic, parsed.error);
      const by = `shopify ${topic}${parsed.data.shop_domain ? ` (${parsed.data.shop_domain.slice(0, 100)})` : ''}`;
      if (topic === 'shop/redact') return { kind: 'privacy', request: { action: 'erase-storefront', source: 'shopify', by, requestedAt: now } };
      const c = parsed.data.customer;
      const email = text(c?.email);
      const subject = c?.id ? shopifyCustomerId(c.id) : email;
      if (!subject) return { kind: 'invalid', reason: `shopify ${topic}: customer has neither id nor email` };
      return { kind: 'privacy', request: { action: topic === 'customers/redact' ? 'erase' : 'export', subject, ...(email ? { email: email.toLowerCase() } : {}), by, requestedAt: now } };
    }
    case 'customers/create':
    case 'customers/update': {
      const parsed = ShopifyCustomer.safeParse(payload);
      if (!parsed.success) return invalidPayload('shopify', topic, parsed.error);
      if (topic === 'customers/create' && !text(parsed.data.email)) return { kind: 'ignored', reason: 'customer without an email address' };
      return validateMapped([customerEvent(topic, parsed.data)]);
    }
    case 'orders/create': {
      const parsed = ShopifyOrder.safeParse(payload);
      if (!parsed.success) return invalidPayload('shopify', topic, parsed.error);
      const o = parsed.data;
      const customerId = buyerOf(o);
      if (!customerId) return { kind: 'ignored', reason: 'order without customer or email' };
      const orderId = shopifyOrderId(o.id);
      const placedAt = o.processed_at ?? o.created_at;
      const mapped = validateMapped([
        {
          detailType: 'Order Placed',
          time: placedAt,
          detail: {
            customerId,
            orderId,
            email: text(o.email ?? o.customer?.email),
            placedAt,
            total: o.total_price,
            currency: o.currency.toUpperCase(),
            channel: o.source_name === 'pos' ? 'pos' : o.source_name === 'iphone' ? 'ios' : o.source_name === 'android' ? 'android' : 'web',
            items: o.line_items.map(toLineItem),
          },
        },
      ]);
      return mapped.kind === 'events' ? { ...mapped, owners: [{ orderId, customerId }] } : mapped;
    }
    case 'refunds/create': {
      const parsed = ShopifyRefund.safeParse(payload);
      if (!parsed.success) return invalidPayload('shopify', topic, parsed.error);
      const r = parsed.data;
      const refunded = r.transactions.filter((t) => t.kind === 'refund' && t.status === 'success');
      const amount = round2(
        refunded.length ? refunded.reduce((sum, t) => sum + t.amount, 0) : r.refund_line_items.reduce((sum, l) => sum + (l.subtotal ?? 0) + (l.total_tax ?? 0), 0),
      );
      if (amount <= 0) return { kind: 'ignored', reason: 'refund without money returned (restock only)' };
      const refundedAt = r.processed_at ?? r.created_at;
      const orderId = shopifyOrderId(r.order_id);
      return {
        kind: 'refund',
        orderId,
        events: (customerId) => [{ detailType: 'Order Refunded', time: refundedAt, detail: { customerId, orderId, refundedAt, amount, refundId: `shopify-${r.id}` } }],
      };
    }
    case 'checkouts/create':
    case 'checkouts/update': {
      const parsed = ShopifyCheckout.safeParse(payload);
      if (!parsed.success) return invalidPayload('shopify', topic, parsed.error);
      const c = parsed.data;
      // A completed checkout became an order (orders/create carries it); only an open one can be abandoned.
      if (c.completed_at) return { kind: 'ignored', reason: 'checkout completed' };
      const customerId = buyerOf(c);
      if (!customerId) return { kind: 'ignored', reason: 'checkout without customer or email: nobody to remind' };
      if (c.line_items.length === 0) return { kind: 'ignored', reason: 'empty checkout' };
      return validateMapped([
        {
          detailType: 'Cart Abandoned',
          time: c.updated_at,
          detail: {
            customerId,
            cartId: `shopify-${c.token}`,
            abandonedAt: c.updated_at,
            value: c.total_price,
            items: c.line_items.slice(0, 100).map(toLineItem),
            recoveryUrl: text(c.abandoned_checkout_url),
          },
        },
      ]);
    }
    default:
      return { kind: 'ignored', reason: `topic ${topic.slice(0, 64)} is not one we act on` };
  }
}
