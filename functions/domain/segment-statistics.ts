import { z } from 'zod';
import { type ClvDistribution, clvDistributionOf, purchaseHistoryOf, type PurchaseHistory, type ValueModel, predictedClvOf } from './customer-base-value.ts';
import type { CustomerProfile } from './customer-profile.ts';
import type { RfmThresholds } from './customer-value/rfm.ts';
import { daysBetween } from './lifecycle-stage.ts';

/**
 * Two-phase segmentation (Step Functions Distributed Map over parallel-scan segments): each
 * segment is first summarised into statistics that merge by adding counts, the merged
 * statistics give the RFM quintile breakpoints, the model fits' inputs and the CLV ranks, and
 * then each segment is scored with them. The statistics are value → count tables: exact (the
 * same breakpoints, fits and ranks as one pass over every customer) while a table holds at most
 * STATISTICS_CAP distinct values; beyond that its values are rounded to fewer significant digits
 * until it fits (`coarsened`). The histograms then always fit; the purchase histories (x exact, the
 * rest rounded to at most one significant digit) shrink to the distinct rounded histories, a few
 * thousand rows in practice, so an item stays below DynamoDB's 400 KB.
 */
export const STATISTICS_CAP = 2000;

const Count = z.number().int().positive();
/** Distinct values with how many customers have each, ascending. */
const Histogram = z.array(z.tuple([z.number(), Count]));
/** A purchase history (x, t_x, T, mean order value) with how many customers have it. */
const PurchaseRow = z.tuple([z.number(), z.number(), z.number(), z.number(), Count]);

export const SegmentSummary = z.object({
  customers: z.number().int().nonnegative(),
  /** RFM inputs of the buyers: days since the last order, order days, total spend. */
  recency: Histogram,
  frequency: Histogram,
  monetary: Histogram,
  /** Every buyer's purchase history, for the BG/NBD and Gamma-Gamma fits and the CLV ranks. */
  purchases: z.array(PurchaseRow),
  /** Set once any table was rounded to fit STATISTICS_CAP: breakpoints and fits are then approximate. */
  coarsened: z.boolean(),
});
export type SegmentSummary = z.infer<typeof SegmentSummary>;

type Histogram = z.infer<typeof Histogram>;
type PurchaseRow = z.infer<typeof PurchaseRow>;

const roundTo = (value: number, digits: number) => (value === 0 || !Number.isFinite(value) ? value : Number(value.toPrecision(digits)));

function histogram(counts: Map<number, number>): Histogram {
  return [...counts].sort((a, b) => a[0] - b[0]);
}

/** Adds counts by value, then rounds the values (fewer and fewer digits) until at most `cap` remain. */
function mergeHistograms(parts: readonly Histogram[], cap: number): { histogram: Histogram; coarsened: boolean } {
  let counts = new Map<number, number>();
  for (const part of parts) for (const [v, n] of part) counts.set(v, (counts.get(v) ?? 0) + n);
  let coarsened = false;
  for (let digits = 6; counts.size > cap && digits > 0; digits--) {
    const rounded = new Map<number, number>();
    for (const [v, n] of counts) rounded.set(roundTo(v, digits), (rounded.get(roundTo(v, digits)) ?? 0) + n);
    counts = rounded;
    coarsened = true;
  }
  return { histogram: histogram(counts), coarsened };
}

function mergePurchases(parts: readonly (readonly PurchaseRow[])[], cap: number): { rows: PurchaseRow[]; coarsened: boolean } {
  const add = (into: Map<string, PurchaseRow>, [x, tx, T, m, n]: PurchaseRow) => {
    const key = `${x}|${tx}|${T}|${m}`;
    const row = into.get(key);
    if (row) row[4] += n;
    else into.set(key, [x, tx, T, m, n]);
  };
  let rows = new Map<string, PurchaseRow>();
  for (const part of parts) for (const row of part) add(rows, row);
  let coarsened = false;
  // x (repeat purchases) stays exact; times and spend are rounded.
  for (let digits = 6; rows.size > cap && digits > 0; digits--) {
    const rounded = new Map<string, PurchaseRow>();
    for (const [x, tx, T, m, n] of rows.values()) add(rounded, [x, Math.min(roundTo(tx, digits), roundTo(T, digits)), roundTo(T, digits), roundTo(m, digits), n]);
    rows = rounded;
    coarsened = true;
  }
  return { rows: canonicalRows([...rows.values()]), coarsened };
}

/** One order for every reader: a fit over the same rows in the same order gives the same parameters however the base was scanned. */
const canonicalRows = (rows: PurchaseRow[]) => rows.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3]);

/** A segment's mergeable statistics (phase 1). */
export function summariseSegment(profiles: readonly CustomerProfile[], now: string, cap = STATISTICS_CAP): SegmentSummary {
  const recency = new Map<number, number>();
  const frequency = new Map<number, number>();
  const monetary = new Map<number, number>();
  const purchases: PurchaseRow[] = [];
  for (const p of profiles) {
    // The buyers rfmByCustomer scores (functions/domain/customer-base-scores.ts).
    if (p.orderCount > 0 && p.lastOrderAt) {
      const r = Math.max(0, daysBetween(p.lastOrderAt, now));
      recency.set(r, (recency.get(r) ?? 0) + 1);
      frequency.set(p.orderDays, (frequency.get(p.orderDays) ?? 0) + 1);
      monetary.set(p.totalSpend, (monetary.get(p.totalSpend) ?? 0) + 1);
    }
    const h = purchaseHistoryOf(p, now);
    if (h) purchases.push([h.x, h.tx, h.T, h.monetaryValue, 1]);
  }
  return mergeSummaries([{ customers: profiles.length, recency: histogram(recency), frequency: histogram(frequency), monetary: histogram(monetary), purchases, coarsened: false }], cap);
}

/** The statistics of the whole base from its segments' (the parent's merge step). Order of the parts does not matter. */
export function mergeSummaries(parts: readonly SegmentSummary[], cap = STATISTICS_CAP): SegmentSummary {
  const recency = mergeHistograms(parts.map((p) => p.recency), cap);
  const frequency = mergeHistograms(parts.map((p) => p.frequency), cap);
  const monetary = mergeHistograms(parts.map((p) => p.monetary), cap);
  const purchases = mergePurchases(parts.map((p) => p.purchases), cap);
  return {
    customers: parts.reduce((n, p) => n + p.customers, 0),
    recency: recency.histogram,
    frequency: frequency.histogram,
    monetary: monetary.histogram,
    purchases: purchases.rows,
    coarsened: parts.some((p) => p.coarsened) || recency.coarsened || frequency.coarsened || monetary.coarsened || purchases.coarsened,
  };
}

/** The k-th smallest value (0-based) of a histogram. */
function orderStatistic(h: Histogram, k: number): number {
  let seen = 0;
  for (const [v, n] of h) {
    seen += n;
    if (k < seen) return v;
  }
  return h[h.length - 1]![0];
}

/** Quantile p with linear interpolation (R type 7), as rfm.ts computes it over the sorted values. */
function quantile(h: Histogram, total: number, p: number): number {
  const at = (total - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, total - 1);
  const vLo = orderStatistic(h, lo);
  return vLo + (at - lo) * (orderStatistic(h, hi) - vLo);
}

const quintiles = (h: Histogram): [number, number, number, number] => {
  const total = h.reduce((n, [, c]) => n + c, 0);
  return [quantile(h, total, 0.2), quantile(h, total, 0.4), quantile(h, total, 0.6), quantile(h, total, 0.8)];
};

/** The RFM quintile breakpoints of the whole base, or undefined when it has no buyer. */
export function rfmThresholdsOf(summary: SegmentSummary): RfmThresholds | undefined {
  if (summary.recency.length === 0) return undefined;
  return { recency: quintiles(summary.recency), frequency: quintiles(summary.frequency), monetary: quintiles(summary.monetary) };
}

/** The purchase histories to fit the models on, one per buyer, in the canonical order. */
export function purchaseHistoriesOf(summary: SegmentSummary): PurchaseHistory[] {
  const out: PurchaseHistory[] = [];
  for (const [x, tx, T, monetaryValue, n] of summary.purchases) for (let i = 0; i < n; i++) out.push({ x, tx, T, monetaryValue });
  return out;
}

/** The CLV distribution of every buyer under the model, for the percentile ranks phase 2 gives. */
export function clvDistributionFromSummary(model: ValueModel, summary: SegmentSummary): ClvDistribution {
  return clvDistributionOf(summary.purchases.map(([x, tx, T, monetaryValue, n]) => [predictedClvOf(model, { x, tx, T, monetaryValue }), n]));
}
