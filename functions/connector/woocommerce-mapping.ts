import { z } from 'zod';
import { guestCustomerId, invalidPayload, type MappedEvent, round2, validateMapped, type WebhookMapping } from './mapped-event.ts';

/**
 * WooCommerce's webhook payloads: the REST API (v3) order and customer objects, as its
 * webhooks deliver them and its REST API returns them (so a REST export backfills the same way).
 */

/** WooCommerce's money is a decimal string; line item `price` is a number. */
const Money = z.union([z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal amount like "29.35"'), z.number().finite()]).transform(Number);
/** `*_gmt` dates come without a zone ("2017-03-22T16:28:02"): they are UTC. */
const GmtInstant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/, 'a date like 2017-03-22T16:28:02')
  .transform((s) => new Date(/(Z|[+-]\d{2}:\d{2})$/.test(s) ? s : `${s}Z`).toISOString());

const MetaData = z.array(z.object({ key: z.string(), value: z.unknown() })).default([]);

export const WooCustomer = z.object({
  id: z.number().int().positive(),
  date_created_gmt: GmtInstant,
  date_modified_gmt: GmtInstant.nullish(),
  email: z.string(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  role: z.string().nullish(),
  billing: z.object({ country: z.string().nullish() }).partial().nullish(),
  meta_data: MetaData,
});
export type WooCustomer = z.infer<typeof WooCustomer>;

export const WooOrder = z.object({
  id: z.number().int().positive(),
  status: z.string(),
  currency: z.string(),
  date_created_gmt: GmtInstant,
  date_modified_gmt: GmtInstant.nullish(),
  date_paid_gmt: GmtInstant.nullish(),
  total: Money,
  customer_id: z.number().int().nonnegative(),
  created_via: z.string().nullish(),
  billing: z.object({ email: z.string().nullish(), first_name: z.string().nullish(), last_name: z.string().nullish() }).partial(),
  line_items: z.array(
    z.object({
      id: z.number().int().nullish(),
      name: z.string(),
      product_id: z.number().int().nullish(),
      variation_id: z.number().int().nullish(),
      quantity: z.number().int().positive(),
      price: Money,
      sku: z.string().nullish(),
    }),
  ),
  refunds: z.array(z.object({ id: z.number().int(), total: Money, reason: z.string().nullish() })).default([]),
  meta_data: MetaData,
});
export type WooOrder = z.infer<typeof WooOrder>;

export const WOOCOMMERCE_TOPICS = ['order.created', 'order.updated', 'customer.created', 'customer.updated'] as const;

/** Statuses of an order that was paid (WooCommerce: processing and completed; refunded ones were paid first). */
const PAID_STATUSES = new Set(['processing', 'completed', 'refunded']);

export const wooCustomerId = (id: number) => `woo-${id}`;
export const wooOrderId = (id: number) => `woo-${id}`;

const text = (s: string | null | undefined) => (s && s.trim() ? s.trim() : undefined);

/**
 * WooCommerce has no marketing consent of its own; a consent plugin or the shop's sign-up
 * form stores it in customer meta. We read `marketing_consent` (yes/no, true/false) and
 * `marketing_consent_at`, and otherwise state nothing about consent.
 */
function wooConsent(c: WooCustomer): { marketingConsent: boolean; consentAt: string } | undefined {
  const meta = new Map(c.meta_data.map((m) => [m.key, m.value]));
  const raw = meta.get('marketing_consent');
  if (raw === undefined) return undefined;
  const marketingConsent = raw === true || raw === 'yes' || raw === 'true' || raw === '1' || raw === 1;
  const at = GmtInstant.safeParse(meta.get('marketing_consent_at'));
  return { marketingConsent, consentAt: at.success ? at.data : (c.date_modified_gmt ?? c.date_created_gmt) };
}

function customerEvent(topic: 'customer.created' | 'customer.updated', c: WooCustomer): MappedEvent {
  const consent = wooConsent(c);
  const common = {
    customerId: wooCustomerId(c.id),
    email: text(c.email),
    firstName: text(c.first_name),
    lastName: text(c.last_name),
    ...(c.role ? { attributes: { role: c.role.slice(0, 64) } } : {}),
  };
  if (topic === 'customer.created') {
    return {
      detailType: 'Customer Registered',
      time: c.date_created_gmt,
      detail: { ...common, registeredAt: c.date_created_gmt, marketingConsent: consent?.marketingConsent ?? false, ...(consent ? { consentAt: consent.consentAt } : {}) },
    };
  }
  const updatedAt = c.date_modified_gmt ?? c.date_created_gmt;
  return { detailType: 'Customer Updated', time: updatedAt, detail: { ...common, ...(consent ? { ...consent, consentSource: 'woocommerce' } : {}), updatedAt } };
}

function orderEvents(o: WooOrder): MappedEvent[] | { ignored: string } {
  const email = text(o.billing.email);
  const customerId = o.customer_id > 0 ? wooCustomerId(o.customer_id) : email ? guestCustomerId('woo', email) : undefined;
  if (!customerId) return { ignored: 'guest order without an email' };
  if (!PAID_STATUSES.has(o.status) && !o.date_paid_gmt) return { ignored: `order status ${o.status.slice(0, 32)}: not paid` };
  const orderId = wooOrderId(o.id);
  const placedAt = o.date_paid_gmt ?? o.date_created_gmt;
  const events: MappedEvent[] = [
    {
      detailType: 'Order Placed',
      time: placedAt,
      detail: {
        customerId,
        orderId,
        email,
        placedAt,
        // The order as paid: refunds follow as their own events.
        total: o.total,
        currency: o.currency.toUpperCase(),
        channel: o.created_via === 'pos' ? 'pos' : 'web',
        items: o.line_items.map((item) => ({
          sku: text(item.sku) ?? (item.variation_id ? `variation-${item.variation_id}` : `product-${item.product_id ?? item.id ?? 'custom'}`),
          name: item.name.slice(0, 200),
          quantity: item.quantity,
          price: item.price,
        })),
      },
    },
  ];
  // Each refund is its own event (keyed by its id), so a later update repeating the list adds nothing.
  const refundedAt = o.date_modified_gmt ?? placedAt;
  for (const refund of o.refunds) {
    const amount = round2(Math.abs(refund.total));
    if (amount > 0) events.push({ detailType: 'Order Refunded', time: refundedAt, detail: { customerId, orderId, refundedAt, amount, refundId: `woo-${refund.id}` } });
  }
  return events;
}

/** Maps one WooCommerce webhook (its `X-WC-Webhook-Topic` and JSON body) to our shop events. */
export function mapWooCommerceWebhook(topic: string, payload: unknown): WebhookMapping {
  switch (topic) {
    case 'customer.created':
    case 'customer.updated': {
      const parsed = WooCustomer.safeParse(payload);
      if (!parsed.success) return invalidPayload('woocommerce', topic, parsed.error);
      return validateMapped([customerEvent(topic, parsed.data)]);
    }
    case 'order.created':
    case 'order.updated': {
      const parsed = WooOrder.safeParse(payload);
      if (!parsed.success) return invalidPayload('woocommerce', topic, parsed.error);
      const events = orderEvents(parsed.data);
      return 'ignored' in events ? { kind: 'ignored', reason: events.ignored } : validateMapped(events);
    }
    default:
      return { kind: 'ignored', reason: `topic ${topic.slice(0, 64)} is not one we act on` };
  }
}
