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
import { expectedPurchasesIfAlive, probabilityAlive, type BgNbdParams } from './bgnbd.ts';
import { expectedAverageOrderValue, type GammaGammaParams } from './gamma-gamma.ts';
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
  // E[Y(i)] = E[Y(i) | alive] · P(alive), exactly as expectedPurchases multiplies them.
  const alive = probabilityAlive(params, x, tx, T);
  let previous = 0;
  let total = 0;
  let discount = 1;
  for (let i = 1; i <= horizonPeriods; i++) {
    const cumulative = expectedPurchasesIfAlive(params, i, x, T) * alive;
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

/** The CLV every score uses (the stored predictedClv and `models fit`): the next 52 weeks, discounted at 10% a year. */
export const CLV_HORIZON_DAYS = 364;
export const CLV_DISCOUNT_PER_YEAR = 0.1;

/** The CLV policy in periods of `periodDays` days: weeks give 52 periods at 1.1^(1/52) − 1 each. */
export function clvOptionsFor(periodDays: number): ClvOptions {
  return {
    horizonPeriods: Math.max(1, Math.round(CLV_HORIZON_DAYS / periodDays)),
    discountRatePerPeriod: Math.pow(1 + CLV_DISCOUNT_PER_YEAR, periodDays / CLV_HORIZON_DAYS) - 1,
  };
}

/**
 * The value of a future order: for a repeat buyer, Gamma-Gamma's expectation where the model
 * is fitted and has a finite mean, else the customer's observed mean. For a one-time buyer
 * (x = 0) the model has no repeat orders to learn from: the observed order value stands in
 * where there is one, else Gamma-Gamma's population mean.
 */
export function expectedOrderValue(gammaGamma: GammaGammaParams | undefined, x: number, monetaryValue: number): number {
  if (x === 0 && monetaryValue > 0) return monetaryValue;
  const modelled = gammaGamma ? expectedAverageOrderValue(gammaGamma, x, monetaryValue) : Number.NaN;
  return Number.isFinite(modelled) ? modelled : monetaryValue;
}

/** Predicted CLV of one customer: the single function behind every CLV the system shows or stores. */
export function predictedClv(
  bgnbd: BgNbdParams,
  gammaGamma: GammaGammaParams | undefined,
  customer: RecencyFrequency & { monetaryValue: number },
  options: ClvOptions,
): number {
  return customerLifetimeValue(bgnbd, customer, expectedOrderValue(gammaGamma, customer.x, customer.monetaryValue), options);
}
