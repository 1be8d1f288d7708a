import type { z } from 'zod';
import { describeZodIssues } from '#domain/invalid-input-error.ts';
import { stableFraction } from '#domain/stable-hash.ts';
import type { PrivacyRequest } from '#domain/privacy-request.ts';
import { CartAbandoned, CustomerRegistered, CustomerUpdated, OrderPlaced, OrderRefunded, type ShopEventType } from '#domain/shop-events.ts';

/** A shop event as the connector publishes it: PutEvents' DetailType, Time and Detail. */
export interface MappedEvent {
  detailType: ShopEventType;
  /** When it happened at the shop (not when the webhook came): a late delivery triggers nothing stale. */
  time: string;
  detail: Record<string, unknown>;
}

/** An order id linked to the customer who placed it: refunds name only the order. */
export interface OrderOwner {
  orderId: string;
  customerId: string;
}

/** What a platform's payload becomes. */
export type WebhookMapping =
  | { kind: 'events'; events: MappedEvent[]; owners?: OrderOwner[] }
  /** A refund that names only its order: the events follow once the order's customer is known. */
  | { kind: 'refund'; orderId: string; events: (customerId: string) => MappedEvent[] }
  /** A data-subject request (Shopify's mandatory privacy webhooks): goes to the privacy function. */
  | { kind: 'privacy'; request: PrivacyRequest }
  /** A topic or state we do not act on (a completed checkout, an unpaid order): answered, nothing published. */
  | { kind: 'ignored'; reason: string }
  /** A payload that fails the platform's documented shape or ours: set aside with the reason. */
  | { kind: 'invalid'; reason: string };

const DETAIL_SCHEMAS: Record<ShopEventType, z.ZodType> = {
  'Customer Registered': CustomerRegistered,
  'Customer Updated': CustomerUpdated,
  'Order Placed': OrderPlaced,
  'Order Refunded': OrderRefunded,
  'Cart Abandoned': CartAbandoned,
};

/** Checks a mapped event against our own event schema, so a bad one is set aside here, with the platform's field names still at hand. */
export function validateMapped(events: readonly MappedEvent[]): Extract<WebhookMapping, { kind: 'events' | 'invalid' }> {
  const problems: string[] = [];
  const valid: MappedEvent[] = [];
  for (const event of events) {
    const parsed = DETAIL_SCHEMAS[event.detailType].safeParse(event.detail);
    if (parsed.success) valid.push({ ...event, detail: parsed.data as Record<string, unknown> });
    else problems.push(`${event.detailType}: ${describeZodIssues(parsed.error).join('; ')}`);
  }
  return problems.length ? { kind: 'invalid', reason: problems.join(' | ') } : { kind: 'events', events: valid };
}

export const invalidPayload = (platform: string, topic: string, error: z.ZodError): WebhookMapping => ({
  kind: 'invalid',
  reason: `${platform} ${topic}: ${describeZodIssues(error).join('; ')}`,
});

/**
 * A customer id for a guest (an order or checkout with an email but no customer account),
 * stable per platform and address. Not a secret and not reversible to the address at a glance.
 */
export function guestCustomerId(prefix: string, email: string): string {
  const hash = Math.floor(stableFraction(email.trim().toLowerCase()) * 2 ** 53).toString(36);
  return `${prefix}-guest-${hash}`;
}

/** Our locale form (`en`, `pt-BR`) from a platform's (`en`, `pt-br`, `pt_BR`), or undefined when it is something else. */
export function normaliseLocale(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  const m = /^([a-zA-Z]{2})(?:[-_]([a-zA-Z]{2}))?$/.exec(raw.trim());
  if (!m) return undefined;
  return m[2] ? `${m[1]!.toLowerCase()}-${m[2].toUpperCase()}` : m[1]!.toLowerCase();
}

const round2 = (n: number) => Math.round(n * 100) / 100;
export { round2 };
