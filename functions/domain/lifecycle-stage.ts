import { z } from 'zod';
import type { CustomerProfile, LifecycleStage, RfmScores } from './customer-profile.ts';

export const StageThresholds = z.object({
  /** A customer's own rhythm: declining once recency exceeds this many inter-purchase intervals… */
  decliningAfterIntervals: z.number().positive().default(2),
  /** …and lapsed after this many. */
  lapsedAfterIntervals: z.number().positive().default(4),
  /** Interval assumed for one-time buyers, who have no rhythm of their own yet (days). */
  defaultIntervalDays: z.number().positive().default(60),
  /** Floors, so a customer who bought twice in a week is not "declining" a fortnight later (days). */
  minDecliningDays: z.number().positive().default(45),
  minLapsedDays: z.number().positive().default(120),
  /** Caps: whatever the rhythm, this long without an order is declining / lapsed (days). */
  maxDecliningDays: z.number().positive().default(270),
  maxLapsedDays: z.number().positive().default(540),
  /** Stable needs this many purchase days and an RFM frequency+monetary score at or above stableMinFm. */
  stableMinOrderDays: z.number().int().positive().default(4),
  stableMinFm: z.number().int().min(2).max(10).default(8),
  /** P(alive) below these marks declining / lapsed when the purchase model is available. */
  decliningBelowPAlive: z.number().min(0).max(1).default(0.5),
  lapsedBelowPAlive: z.number().min(0).max(1).default(0.15),
});
export type StageThresholds = z.infer<typeof StageThresholds>;
export const DEFAULT_STAGE_THRESHOLDS: StageThresholds = StageThresholds.parse({});

const DAY_MS = 86_400_000;
export const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY_MS;

export interface StageInputs {
  orderDays: number;
  firstOrderAt?: string | undefined;
  lastOrderAt?: string | undefined;
  rfm?: RfmScores | undefined;
  /** BG/NBD probability that the customer is still active, when a fitted model exists. */
  pAlive?: number | undefined;
}

/** The customer's own typical gap between purchase days, or the default for one-time buyers. */
export function interPurchaseDays(inputs: StageInputs, t: StageThresholds): number {
  if (inputs.orderDays < 2 || !inputs.firstOrderAt || !inputs.lastOrderAt) return t.defaultIntervalDays;
  return Math.max(1, daysBetween(inputs.firstOrderAt, inputs.lastOrderAt) / (inputs.orderDays - 1));
}

/**
 * Places a customer in a lifecycle stage. Churn is judged against the customer's own
 * purchase rhythm (and P(alive) where the model has one), not a single fixed day count.
 */
export function assignLifecycleStage(inputs: StageInputs, now: string, t: StageThresholds = DEFAULT_STAGE_THRESHOLDS): LifecycleStage {
  if (inputs.orderDays === 0 || !inputs.lastOrderAt) return 'prospect';
  const recency = daysBetween(inputs.lastOrderAt, now);
  const interval = interPurchaseDays(inputs, t);
  const lapsedAfter = clamp(interval * t.lapsedAfterIntervals, t.minLapsedDays, t.maxLapsedDays);
  const decliningAfter = clamp(interval * t.decliningAfterIntervals, t.minDecliningDays, Math.min(t.maxDecliningDays, lapsedAfter));

  const pAlive = inputs.pAlive;
  if (recency > lapsedAfter || (pAlive !== undefined && pAlive < t.lapsedBelowPAlive && recency > decliningAfter)) return 'lapsed';
  if (recency > decliningAfter || (pAlive !== undefined && pAlive < t.decliningBelowPAlive && recency > interval)) return 'declining';
  if (inputs.orderDays === 1) return 'exploring';
  const fm = inputs.rfm ? inputs.rfm.f + inputs.rfm.m : 0;
  if (inputs.orderDays >= t.stableMinOrderDays && fm >= t.stableMinFm) return 'stable';
  return 'growing';
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

export const stageInputsOf = (p: CustomerProfile, pAlive?: number): StageInputs => ({
  orderDays: p.orderDays,
  firstOrderAt: p.firstOrderAt,
  lastOrderAt: p.lastOrderAt,
  rfm: p.rfm,
  pAlive,
});
