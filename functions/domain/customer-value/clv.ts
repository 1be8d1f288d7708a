/**
 * Customer lifetime value over a finite horizon from BG/NBD (how many purchases)
 * and Gamma-Gamma (how much per purchase):
 *
 *   CLV = margin · E[AOV] · Σ_{i=1..H} (E[Y(i)] − E[Y(i−1)]) / (1 + d)^i
 *
 * where E[Y(i)] is the conditional expected number of purchases in the next i
 * periods, H the horizon in periods and d the discount rate per period.
 * Purchases expected during period i are discounted to the present from the end
 * of that period.
 */
import { z } from 'zod';
import { expectedPurchases, type BgNbdParams } from './bgnbd.ts';
import type { RecencyFrequency } from './purchase-summary.ts';

export const ClvOptionsSchema = z.object({
  /** Horizon in model periods (e.g. 52 weeks). */
  horizonPeriods: z.number().int().positive(),
  /** Discount rate per period (e.g. 0.10 per year ≈ 0.00183 per week). */
  discountRatePerPeriod: z.number().nonnegative().finite(),
  /** Gross margin applied to revenue (default 1: revenue, not profit). */
  margin: z.number().positive().finite().optional(),
});
export type ClvOptions = z.infer<typeof ClvOptionsSchema>;

/** Σ_{i=1..H} (E[Y(i)] − E[Y(i−1)]) / (1 + d)^i — discounted expected purchases over the horizon. */
export function discountedExpectedPurchases(params: BgNbdParams, customer: RecencyFrequency, options: ClvOptions): number {
  const { horizonPeriods, discountRatePerPeriod } = ClvOptionsSchema.parse(options);
  const { x, tx, T } = customer;
  let previous = 0;
  let total = 0;
  let discount = 1;
  for (let i = 1; i <= horizonPeriods; i++) {
    const cumulative = expectedPurchases(params, i, x, tx, T);
    discount /= 1 + discountRatePerPeriod;
    total += (cumulative - previous) * discount;
    previous = cumulative;
  }
  return total;
}

/** Discounted value of the customer's expected purchases over the horizon, at `expectedAov` per purchase. */
export function customerLifetimeValue(
  params: BgNbdParams,
  customer: RecencyFrequency,
  expectedAov: number,
  options: ClvOptions,
): number {
  return (options.margin ?? 1) * expectedAov * discountedExpectedPurchases(params, customer, options);
}
