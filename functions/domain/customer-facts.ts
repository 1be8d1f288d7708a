import { z } from 'zod';
import { type CustomerProfile, LifecycleStage } from './customer-profile.ts';
import { daysBetween } from './lifecycle-stage.ts';
import { isConsentPending } from './double-opt-in.ts';
import { decayedScore } from './engagement.ts';

/**
 * The flat view of a customer that campaign audiences filter on. Its keys are the only
 * field names a campaign condition may use, so a typo in a campaign file is caught.
 */
export const CustomerFacts = z.object({
  stage: LifecycleStage,
  orderCount: z.number(),
  orderDays: z.number(),
  totalSpend: z.number(),
  averageOrderValue: z.number(),
  refundCount: z.number(),
  daysSinceLastOrder: z.number().nullable(),
  daysSinceFirstOrder: z.number().nullable(),
  daysSinceRegistered: z.number().nullable(),
  daysSinceCartAbandoned: z.number().nullable(),
  cartValue: z.number(),
  loyaltyScore: z.number(),
  engagementScore: z.number(),
  rfmSegment: z.string().nullable(),
  rfmR: z.number(),
  rfmF: z.number(),
  rfmM: z.number(),
  locale: z.string(),
  language: z.string(),
  channel: z.string(),
  favouriteCategory: z.string().nullable(),
  /** Customer-value model outputs (null until the models have been fitted). */
  pAlive: z.number().nullable(),
  expectedPurchases90d: z.number().nullable(),
  predictedClv: z.number().nullable(),
  /** Rank of predicted CLV in the customer base, 0–100 (100 = most valuable). */
  clvPercentile: z.number().nullable(),
  churnRisk: z.number().nullable(),
  /** Double opt-in: signed up with consent, not confirmed yet. */
  consentPending: z.boolean(),
});
export type CustomerFacts = z.infer<typeof CustomerFacts>;
export const CUSTOMER_FACT_NAMES = Object.keys(CustomerFacts.shape) as [keyof CustomerFacts, ...(keyof CustomerFacts)[]];

/** What a condition's value must be for each fact: its kind, the allowed words (stage), and whether null (unknown yet) is a value. */
export interface FactType {
  kind: 'number' | 'text' | 'true/false';
  values?: readonly string[];
  nullable: boolean;
}

function factType(schema: z.ZodType): FactType {
  const nullable = schema instanceof z.ZodNullable;
  const inner = schema instanceof z.ZodNullable ? schema.unwrap() : schema;
  if (inner instanceof z.ZodNumber) return { kind: 'number', nullable };
  if (inner instanceof z.ZodBoolean) return { kind: 'true/false', nullable };
  if (inner instanceof z.ZodEnum) return { kind: 'text', values: inner.options.map(String), nullable };
  return { kind: 'text', nullable };
}

export const CUSTOMER_FACT_TYPES = Object.fromEntries(Object.entries(CustomerFacts.shape).map(([name, schema]) => [name, factType(schema)])) as Record<keyof CustomerFacts, FactType>;

const since = (at: string | undefined, now: string) => (at ? Math.floor(daysBetween(at, now)) : null);

export function customerFacts(p: CustomerProfile, now: string): CustomerFacts {
  return {
    stage: p.stage,
    orderCount: p.orderCount,
    orderDays: p.orderDays,
    totalSpend: p.totalSpend,
    averageOrderValue: p.averageOrderValue,
    refundCount: p.refundCount,
    daysSinceLastOrder: since(p.lastOrderAt, now),
    daysSinceFirstOrder: since(p.firstOrderAt, now),
    daysSinceRegistered: since(p.registeredAt, now),
    daysSinceCartAbandoned: since(p.lastCart?.abandonedAt, now),
    cartValue: p.lastCart?.value ?? 0,
    loyaltyScore: p.loyaltyScore,
    engagementScore: p.engagement ? decayedScore(p.engagement.score, p.engagement.updatedAt, now) : 0,
    rfmSegment: p.rfm?.segment ?? null,
    rfmR: p.rfm?.r ?? 0,
    rfmF: p.rfm?.f ?? 0,
    rfmM: p.rfm?.m ?? 0,
    locale: p.locale,
    language: p.locale.slice(0, 2),
    channel: p.channel,
    favouriteCategory: p.favouriteCategory ?? null,
    pAlive: p.value?.pAlive ?? null,
    expectedPurchases90d: p.value?.expectedPurchases90d ?? null,
    predictedClv: p.value?.predictedClv ?? null,
    clvPercentile: p.value?.clvPercentile ?? null,
    churnRisk: p.value?.churnRisk ?? null,
    consentPending: isConsentPending(p.consent),
  };
}
