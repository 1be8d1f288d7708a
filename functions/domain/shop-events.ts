import { z } from 'zod';

/** The EventBridge `source` every shop event carries. */
export const SHOP_EVENT_SOURCE = 'lifecycle-mailer.shop';

// Bounds on free-text fields: a hostile or broken storefront must not be able to
// blow up an item (DynamoDB's 400 KB) or a rendered email.
const Text = (max: number) => z.string().trim().max(max);
/**
 * A name is cut to `max` characters (whole code points), never refused: refusing it would
 * drop the whole registration, and the consent in it, over a long name.
 */
export const PersonName = (max: number) =>
  z
    .string()
    .trim()
    .transform((name) => {
      const points = Array.from(name);
      return points.length > max ? points.slice(0, max).join('').trimEnd() : name;
    });
const IsoInstant = z.iso.datetime({ offset: true });
const Money = z.number().finite().nonnegative().max(1_000_000);
// Ids travel in SES message tags, ledger keys and URLs: keep them to tag-safe characters.
export const CustomerId = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');

export const Email = z.string().trim().toLowerCase().max(254).pipe(z.email());

export const Locale = z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a locale like en or en-GB');
export const TimeZone = z.string().refine(isTimeZone, 'an IANA time zone like Europe/Berlin');

export const Channel = z.enum(['web', 'ios', 'android', 'marketplace', 'pos', 'import']);
export type Channel = z.infer<typeof Channel>;

export const LineItem = z.object({
  sku: Text(64).min(1),
  name: Text(200),
  category: Text(64).optional(),
  quantity: z.number().int().positive().max(10_000),
  price: Money,
});
export type LineItem = z.infer<typeof LineItem>;

/** Free-form facts about a customer from the shop or an import (tags, loyalty tier…), bounded like any text. */
export const Attributes = z
  .record(z.string().trim().min(1).max(64), z.union([Text(500), z.number().finite(), z.boolean()]))
  .refine((a) => Object.keys(a).length <= 50, 'at most 50 attributes');
export type Attributes = z.infer<typeof Attributes>;

export const CustomerRegistered = z.object({
  customerId: CustomerId,
  email: Email,
  firstName: PersonName(100).optional(),
  lastName: PersonName(100).optional(),
  locale: Locale.default('en'),
  timeZone: TimeZone.default('UTC'),
  channel: Channel.default('web'),
  marketingConsent: z.boolean(),
  topics: z.array(Text(40)).max(20).default([]),
  registeredAt: IsoInstant,
  /**
   * When the customer gave or refused the consent this event states (it may predate the
   * registration); `registeredAt` when absent. Consent statements apply in this order: an
   * older one never overrides a newer one, however late or often it is delivered.
   */
  consentAt: IsoInstant.optional(),
  attributes: Attributes.optional(),
});
export type CustomerRegistered = z.infer<typeof CustomerRegistered>;

/**
 * A change to a known customer's details as the shop (or an import) states it at `updatedAt`.
 * Only the fields present change. Consent changes only when `consentAt` is newer than the consent on file.
 */
export const CustomerUpdated = z.object({
  customerId: CustomerId,
  email: Email.optional(),
  firstName: PersonName(100).optional(),
  lastName: PersonName(100).optional(),
  locale: Locale.optional(),
  timeZone: TimeZone.optional(),
  marketingConsent: z.boolean().optional(),
  /** When the consent statement was made; required with marketingConsent. */
  consentAt: IsoInstant.optional(),
  /** Where the consent was given (e.g. `shopify`, `import:crm-2024.csv`), kept with it. */
  consentSource: Text(100).optional(),
  topics: z.array(Text(40)).max(20).optional(),
  attributes: Attributes.optional(),
  updatedAt: IsoInstant,
}).refine((d) => d.marketingConsent === undefined || d.consentAt !== undefined, { message: 'consentAt is required with marketingConsent', path: ['consentAt'] });
export type CustomerUpdated = z.infer<typeof CustomerUpdated>;

export const OrderPlaced = z.object({
  customerId: CustomerId,
  orderId: Text(128).min(1),
  email: Email.optional(),
  placedAt: IsoInstant,
  total: Money,
  currency: z.string().regex(/^[A-Z]{3}$/).default('USD'),
  channel: Channel.default('web'),
  items: z.array(LineItem).max(500).default([]),
});

export const OrderRefunded = z.object({
  customerId: CustomerId,
  orderId: Text(128).min(1),
  refundedAt: IsoInstant,
  amount: Money,
  /** The shop's own refund id, when it has one: two refunds of one order stay two. */
  refundId: Text(128).min(1).optional(),
});

export const CartAbandoned = z.object({
  customerId: CustomerId,
  cartId: Text(128).min(1),
  abandonedAt: IsoInstant,
  value: Money,
  items: z.array(LineItem).max(100).default([]),
  /** The shop's link back to this cart or checkout (Shopify's abandoned_checkout_url). */
  recoveryUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
});

const envelope = {
  version: z.literal('0').default('0'),
  id: z.string().min(1).max(128),
  source: z.literal(SHOP_EVENT_SOURCE),
  account: z.string().default('000000000000'),
  time: IsoInstant,
  region: z.string().default('local'),
  resources: z.array(z.string()).default([]),
};

/** A shop event exactly as EventBridge delivers it to a target. */
export const ShopEvent = z.discriminatedUnion('detail-type', [
  z.object({ ...envelope, 'detail-type': z.literal('Customer Registered'), detail: CustomerRegistered }),
  z.object({ ...envelope, 'detail-type': z.literal('Order Placed'), detail: OrderPlaced }),
  z.object({ ...envelope, 'detail-type': z.literal('Order Refunded'), detail: OrderRefunded }),
  z.object({ ...envelope, 'detail-type': z.literal('Cart Abandoned'), detail: CartAbandoned }),
  z.object({ ...envelope, 'detail-type': z.literal('Customer Updated'), detail: CustomerUpdated }),
]);
export type ShopEvent = z.infer<typeof ShopEvent>;
export type ShopEventType = ShopEvent['detail-type'];
export const SHOP_EVENT_TYPES: readonly ShopEventType[] = ['Customer Registered', 'Order Placed', 'Order Refunded', 'Cart Abandoned', 'Customer Updated'];

/**
 * When a registration's consent statement was made: its `consentAt`, else its `registeredAt`.
 * Not the envelope's time: a re-sync or backfill re-publishes old registrations under a new one.
 */
export const consentStatedAt = (event: Extract<ShopEvent, { 'detail-type': 'Customer Registered' }>): string => event.detail.consentAt ?? event.detail.registeredAt;

/** The key that makes an event idempotent: a redelivery or a re-publish of the same fact has the same key. */
export function eventKey(event: ShopEvent): string {
  switch (event['detail-type']) {
    case 'Customer Registered':
      // Each consent statement is its own fact; redeliveries of one share its time.
      return `registered:${consentStatedAt(event)}`;
    case 'Order Placed':
      return `order:${event.detail.orderId}`;
    case 'Order Refunded':
      return `refund:${event.detail.orderId}:${event.detail.refundId ?? event.detail.refundedAt}`;
    case 'Cart Abandoned':
      return `cart:${event.detail.cartId}`;
    case 'Customer Updated':
      return `updated:${event.detail.updatedAt}`;
  }
}

/** Zones already found valid: building a DateTimeFormat to ask costs tens of µs, and every stored profile's zone is checked when it is read. */
const KNOWN_TIME_ZONES = new Set<string>();

export function isTimeZone(zone: string): boolean {
  if (KNOWN_TIME_ZONES.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    return false;
  }
  // Bounded: IANA names a few hundred zones (an attacker's invalid strings are never kept).
  if (KNOWN_TIME_ZONES.size < 1_000) KNOWN_TIME_ZONES.add(zone);
  return true;
}
