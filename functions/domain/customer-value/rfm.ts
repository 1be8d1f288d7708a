/**
 * RFM scoring: recency / frequency / monetary → quintile scores 1..5 over the
 * current customer base, and the common 11-segment map on R × FM.
 *
 * Quintile thresholds are the 20/40/60/80 % quantiles (linear interpolation
 * between order statistics, R type 7 / numpy default). A score depends only on
 * the value and the thresholds, so equal values always get equal scores (ties
 * are deterministic and independent of input order); a value equal to a
 * threshold falls in the lower bin:
 *   F, M (higher is better): score = 1 + #{thresholds < value}
 *   R    (fewer days is better): score = 5 − #{thresholds < value}
 * With heavily tied data (e.g. most customers ordered once) some scores are
 * unused — customers are never split arbitrarily to fill quintiles.
 */
import { z } from 'zod';
import { dayNumber, IsoDateSchema, type Order } from '../order.ts';

export const RfmInputSchema = z.object({
  customerId: z.string(),
  /** Days since the last order (as of the scoring date). */
  recencyDays: z.number().nonnegative().finite(),
  /** Number of orders. */
  frequency: z.number().nonnegative().finite(),
  /** Total (or average) spend. */
  monetary: z.number().finite(),
});
export type RfmInput = z.infer<typeof RfmInputSchema>;

const Thresholds = z.tuple([z.number(), z.number(), z.number(), z.number()]);
export const RfmThresholdsSchema = z.object({
  recency: Thresholds,
  frequency: Thresholds,
  monetary: Thresholds,
});
export type RfmThresholds = z.infer<typeof RfmThresholdsSchema>;

export const RfmSegmentSchema = z.enum([
  'Champions',
  'Loyal',
  'Potential loyalist',
  'New',
  'Promising',
  'Need attention',
  'About to sleep',
  'At risk',
  "Can't lose them",
  'Hibernating',
  'Lost',
]);
export type RfmSegment = z.infer<typeof RfmSegmentSchema>;

const Score = z.number().int().min(1).max(5);
export const RfmScoreSchema = z.object({
  customerId: z.string(),
  r: Score,
  f: Score,
  m: Score,
  /** round((f + m) / 2), halves rounded up. */
  fm: Score,
  segment: RfmSegmentSchema,
});
export type RfmScore = z.infer<typeof RfmScoreSchema>;

/** Quantile of sorted values, linear interpolation (R type 7). */
function quantileSorted(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const vLo = sorted[lo] as number;
  return vLo + (h - lo) * ((sorted[hi] as number) - vLo);
}

function quintiles(values: number[]): [number, number, number, number] {
  const sorted = values.sort((p, q) => p - q);
  return [quantileSorted(sorted, 0.2), quantileSorted(sorted, 0.4), quantileSorted(sorted, 0.6), quantileSorted(sorted, 0.8)];
}

/** 20/40/60/80 % quantiles of recency, frequency and monetary. Throws RangeError on an empty base. */
export function rfmQuintileThresholds(customers: readonly RfmInput[]): RfmThresholds {
  if (customers.length === 0) throw new RangeError('rfmQuintileThresholds: empty customer base');
  const valid = z.array(RfmInputSchema).parse(customers);
  return {
    recency: quintiles(valid.map((c) => c.recencyDays)),
    frequency: quintiles(valid.map((c) => c.frequency)),
    monetary: quintiles(valid.map((c) => c.monetary)),
  };
}

function above(value: number, thresholds: readonly number[]): number {
  let n = 0;
  for (const t of thresholds) if (value > t) n++;
  return n;
}

/**
 * The 11-segment map on recency score R and FM = round((F + M) / 2):
 *
 *   R \ FM   1               2                  3                  4         5
 *   5        New             Potential loyalist Potential loyalist Champions Champions
 *   4        Promising       Potential loyalist Potential loyalist Loyal     Loyal
 *   3        About to sleep  About to sleep     Need attention     Loyal     Loyal
 *   2        Hibernating     Hibernating        At risk            At risk   Can't lose them
 *   1        Lost            Hibernating        At risk            At risk   Can't lose them
 */
export function rfmSegment(r: number, f: number, m: number): RfmSegment {
  const fm = Math.round((f + m) / 2);
  if (r >= 4) {
    if (fm === 1) return r === 5 ? 'New' : 'Promising';
    if (fm <= 3) return 'Potential loyalist';
    return r === 5 ? 'Champions' : 'Loyal';
  }
  if (r === 3) {
    if (fm <= 2) return 'About to sleep';
    if (fm === 3) return 'Need attention';
    return 'Loyal';
  }
  if (fm === 5) return "Can't lose them";
  if (fm >= 3) return 'At risk';
  if (r === 1 && fm === 1) return 'Lost';
  return 'Hibernating';
}

/**
 * Score every customer (input order preserved). Pass stored `thresholds` to
 * score against a previous base; by default they are the quintiles of `customers`.
 */
export function scoreRfm(customers: readonly RfmInput[], thresholds?: RfmThresholds): RfmScore[] {
  if (customers.length === 0) return [];
  const valid = z.array(RfmInputSchema).parse(customers);
  const t = thresholds === undefined ? rfmQuintileThresholds(valid) : RfmThresholdsSchema.parse(thresholds);
  return valid.map((c) => {
    const r = 5 - above(c.recencyDays, t.recency);
    const f = 1 + above(c.frequency, t.frequency);
    const m = 1 + above(c.monetary, t.monetary);
    return { customerId: c.customerId, r, f, m, fm: Math.round((f + m) / 2), segment: rfmSegment(r, f, m) };
  });
}

export const RfmFromOrdersOptionsSchema = z.object({
  /** Scoring date; orders after it are ignored. */
  asOf: IsoDateSchema,
  /** 'total' spend (default) or 'average' spend per order. */
  monetary: z.enum(['total', 'average']).optional(),
});
export type RfmFromOrdersOptions = z.infer<typeof RfmFromOrdersOptionsSchema>;

/**
 * Per-customer RFM inputs from orders up to `asOf`: recency in days since the
 * last order, frequency = number of orders (lines sharing an `orderId` count
 * once; lines without one count individually), monetary = total or average
 * spend. Sorted by customer id.
 */
export function rfmInputsFromOrders(orders: readonly Order[], options: RfmFromOrdersOptions): RfmInput[] {
  const { asOf, monetary } = RfmFromOrdersOptionsSchema.parse(options);
  const asOfDay = dayNumber(asOf);
  const acc = new Map<string, { last: number; orderIds: Set<string>; anonymous: number; spend: number }>();
  for (const order of orders) {
    if (order.date > asOf) continue;
    const day = dayNumber(order.date);
    let a = acc.get(order.customerId);
    if (a === undefined) {
      a = { last: day, orderIds: new Set(), anonymous: 0, spend: 0 };
      acc.set(order.customerId, a);
    }
    a.last = Math.max(a.last, day);
    if (order.orderId === undefined) a.anonymous++;
    else a.orderIds.add(order.orderId);
    a.spend += order.amount;
  }
  const out: RfmInput[] = [];
  for (const [customerId, a] of acc) {
    const frequency = a.orderIds.size + a.anonymous;
    out.push({
      customerId,
      recencyDays: asOfDay - a.last,
      frequency,
      monetary: monetary === 'average' ? a.spend / frequency : a.spend,
    });
  }
  return out.sort((p, q) => (p.customerId < q.customerId ? -1 : p.customerId > q.customerId ? 1 : 0));
}
