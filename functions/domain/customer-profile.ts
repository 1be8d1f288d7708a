import { z } from 'zod';
import { StorefrontIdentity } from './identity.ts';
import { Channel } from './shop-events.ts';

export const LIFECYCLE_STAGES = ['prospect', 'exploring', 'growing', 'stable', 'declining', 'lapsed'] as const;
export const LifecycleStage = z.enum(LIFECYCLE_STAGES);
export type LifecycleStage = z.infer<typeof LifecycleStage>;

const IsoInstant = z.iso.datetime({ offset: true });

export const RfmScores = z.object({
  r: z.number().int().min(1).max(5),
  f: z.number().int().min(1).max(5),
  m: z.number().int().min(1).max(5),
  segment: z.string(),
});
export type RfmScores = z.infer<typeof RfmScores>;

/** Per-customer outputs of the purchase and spend models (BG/NBD, Gamma-Gamma). */
export const CustomerValue = z.object({
  pAlive: z.number().min(0).max(1),
  expectedPurchases90d: z.number().nonnegative(),
  predictedClv: z.number(),
  /** Rank of predicted CLV in the customer base, 0–100 (100 = most valuable). */
  clvPercentile: z.number().min(0).max(100),
  churnRisk: z.number().min(0).max(1),
  modelFittedAt: IsoInstant,
});
export type CustomerValue = z.infer<typeof CustomerValue>;

export const Engagement = z.object({
  /** Exponentially decayed engagement points (click > open > machine open). */
  score: z.number().nonnegative(),
  opens: z.number().int().nonnegative(),
  machineOpens: z.number().int().nonnegative(),
  clicks: z.number().int().nonnegative(),
  lastOpenAt: IsoInstant.optional(),
  lastClickAt: IsoInstant.optional(),
  updatedAt: IsoInstant,
});
export type Engagement = z.infer<typeof Engagement>;

export const Suppression = z.object({
  reason: z.enum(['hard-bounce', 'complaint', 'unsubscribed', 'soft-bounces', 'ses-suppression-list', 'sunset']),
  at: IsoInstant,
  detail: z.string().max(500).optional(),
});
export type Suppression = z.infer<typeof Suppression>;

export const CartSnapshot = z.object({
  cartId: z.string(),
  value: z.number(),
  abandonedAt: IsoInstant,
  items: z.array(z.object({ sku: z.string(), name: z.string(), quantity: z.number(), price: z.number() })),
  /** The shop's own link back to the cart (a Shopify checkout's recovery URL). */
  recoveryUrl: z.string().optional(),
});

/** The latest order with what was in it, so post-purchase mail can name what was bought. */
export const OrderSnapshot = z.object({
  orderId: z.string(),
  placedAt: IsoInstant,
  total: z.number(),
  currency: z.string(),
  items: z.array(z.object({ sku: z.string(), name: z.string(), quantity: z.number(), price: z.number() })),
});
export type OrderSnapshot = z.infer<typeof OrderSnapshot>;

export const PendingConfirmation = z.object({
  /** When the sign-up asked for marketing email (the registration time). */
  requestedAt: IsoInstant,
  /** The topics asked for; empty means every topic. */
  topics: z.array(z.string()),
});
export type PendingConfirmation = z.infer<typeof PendingConfirmation>;

export const ConsentConfirmation = z.object({
  /** A signed link mailed to the address was followed by an explicit POST. */
  method: z.literal('double-opt-in'),
  requestedAt: IsoInstant,
  confirmedAt: IsoInstant,
});
export type ConsentConfirmation = z.infer<typeof ConsentConfirmation>;

export const ConsentRenewal = z.object({
  method: z.enum(['keep-subscribed', 'preferences']),
  at: IsoInstant,
});
export type ConsentRenewal = z.infer<typeof ConsentRenewal>;

export const RecentSend = z.object({
  sendId: z.string(),
  campaignId: z.string(),
  journeyId: z.string().optional(),
  stepId: z.string().optional(),
  at: IsoInstant,
  lastClickAt: IsoInstant.optional(),
  lastHumanOpenAt: IsoInstant.optional(),
});
export type RecentSend = z.infer<typeof RecentSend>;

export const RecentOrder = z.object({ orderId: z.string(), at: IsoInstant, value: z.number() });
export type RecentOrder = z.infer<typeof RecentOrder>;

/** A customer as stored in the customers table. Every read is validated against this. */
export const CustomerProfile = z.object({
  customerId: z.string(),
  email: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  locale: z.string().default('en'),
  timeZone: z.string().default('UTC'),
  channel: Channel.default('web'),
  consent: z.object({
    marketing: z.boolean(),
    /** Topics chosen at sign-up; empty means every topic. */
    topics: z.array(z.string()).default([]),
    /** Topics the customer later opted out of (preference page, one-click unsubscribe). */
    unsubscribedTopics: z.array(z.string()).default([]),
    updatedAt: IsoInstant,
    /** Double opt-in: a sign-up with consent that waits for the customer to confirm by the mailed link. */
    pending: PendingConfirmation.optional(),
    /** Proof of the last confirmation; kept as a record when consent changes later. */
    confirmed: ConsentConfirmation.optional(),
    /** Where the last consent statement came from (a shop, an import file), when known. */
    source: z.string().optional(),
    /** The customer lifted a sunset (keep-me-subscribed link, or saving topics on the preference page): when and how. */
    renewed: ConsentRenewal.optional(),
  }),
  /** Facts from the shop or an import (tags, tier…), by name. */
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  registeredAt: IsoInstant.optional(),
  firstOrderAt: IsoInstant.optional(),
  lastOrderAt: IsoInstant.optional(),
  orderCount: z.number().int().nonnegative().default(0),
  /** Orders counted on distinct calendar days (the unit the purchase models use). */
  orderDays: z.number().int().nonnegative().default(0),
  /**
   * The distinct calendar days (YYYY-MM-DD, UTC) with an order, sorted: what makes `orderDays`
   * exact whatever order the orders arrive in. At most one entry per day of the customer's life.
   */
  purchaseDays: z.array(z.string()).default([]),
  totalSpend: z.number().default(0),
  averageOrderValue: z.number().default(0),
  refundCount: z.number().int().nonnegative().default(0),
  refundTotal: z.number().nonnegative().default(0),
  favouriteCategory: z.string().optional(),
  categoryCounts: z.record(z.string(), z.number()).default({}),
  lastCart: CartSnapshot.optional(),
  lastOrder: OrderSnapshot.optional(),
  stage: LifecycleStage.default('prospect'),
  stageSince: IsoInstant.optional(),
  rfm: RfmScores.optional(),
  value: CustomerValue.optional(),
  engagement: Engagement.optional(),
  /** 0–100: value (RFM) blended with engagement. */
  loyaltyScore: z.number().min(0).max(100).default(0),
  suppression: Suppression.optional(),
  /** Transient bounces since the last delivery; repeated ones suppress the address. */
  softBounces: z.number().int().nonnegative().default(0),
  /** When the latest of them happened: only a delivery after it clears the count (SES events come in any order, and again). */
  softBouncedAt: IsoInstant.optional(),
  /** campaign id → when it was last sent to this customer. */
  campaignsSent: z.record(z.string(), IsoInstant).default({}),
  lastMarketingSentAt: IsoInstant.optional(),
  /**
   * Recent sends that count against the global frequency cap, oldest first. A slot is taken
   * before SES is called (so concurrent sends cannot both pass the cap) and given back only
   * when SES certainly did not take the message. Pruned to the cap's window.
   */
  cappedSends: z.array(z.object({ sendId: z.string(), at: IsoInstant })).default([]),
  /**
   * The latest sends (and held-out moments) with the customer's latest click and human open
   * of each: what last-touch attribution at ingest reads. Newest last; bounded (see rememberRecentSend).
   */
  recentSends: z.array(RecentSend).default([]),
  /** The latest orders (id, time, value), for the report's conversions; newest last, bounded (MAX_RECENT_ORDERS). */
  recentOrders: z.array(RecentOrder).default([]),
  /** Recent idempotency keys of applied events, newest last; bounded (see MAX_RECENT_EVENT_KEYS). */
  recentEventKeys: z.array(z.string()).default([]),
  /** Each storefront's own id for this customer, with when it was first seen (one profile across storefronts). */
  identities: z.array(StorefrontIdentity).default([]),
  version: z.number().int().nonnegative(),
  createdAt: IsoInstant,
  updatedAt: IsoInstant,
});
export type CustomerProfile = z.infer<typeof CustomerProfile>;
export type Consent = CustomerProfile['consent'];

/**
 * A cheap first check against redeliveries that arrive soon after the original. It is not
 * what makes events idempotent (opens and clicks push keys out): the ingest and engagement
 * functions record every event in the idempotency table, and consent is ordered by time.
 */
export const MAX_RECENT_EVENT_KEYS = 200;

/** How many recent sends a profile keeps, and for how long: past the longest attribution window either way. */
export const MAX_RECENT_SENDS = 20;
export const RECENT_SEND_DAYS = 30;
export const MAX_RECENT_ORDERS = 100;

/** Adds (or replaces, by send id) a recent send; keeps the newest MAX_RECENT_SENDS of the last RECENT_SEND_DAYS. */
export function rememberRecentSend(sends: readonly RecentSend[], send: RecentSend, now: string): RecentSend[] {
  const oldest = Date.parse(now) - RECENT_SEND_DAYS * 86_400_000;
  const next = [...sends.filter((s) => s.sendId !== send.sendId && Date.parse(s.at) >= oldest), send].sort((a, b) => a.at.localeCompare(b.at));
  return next.length > MAX_RECENT_SENDS ? next.slice(next.length - MAX_RECENT_SENDS) : next;
}

export function rememberEventKey(keys: readonly string[], key: string): string[] {
  const next = [...keys, key];
  return next.length > MAX_RECENT_EVENT_KEYS ? next.slice(next.length - MAX_RECENT_EVENT_KEYS) : next;
}

/** Whether a marketing email on `topic` may reach the customer: consent given, topic chosen (or all), not opted out since. */
export const isSubscribed = (consent: CustomerProfile['consent'], topic: string): boolean =>
  consent.marketing && !consent.unsubscribedTopics.includes(topic) && (consent.topics.length === 0 || consent.topics.includes(topic));

export function newProfile(customerId: string, now: string): CustomerProfile {
  return CustomerProfile.parse({
    customerId,
    consent: { marketing: false, topics: [], unsubscribedTopics: [], updatedAt: now },
    version: 0,
    createdAt: now,
    updatedAt: now,
  });
}
