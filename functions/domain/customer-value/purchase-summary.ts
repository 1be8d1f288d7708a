/**
 * Orders → per-customer recency/frequency summaries (x, t_x, T) for BG/NBD and
 * Gamma-Gamma, with the conventions of Fader, Hardie & Lee (2005) and of
 * lifetimes' `summary_data_from_transaction_data`:
 *
 * - Purchases are counted on distinct days: several orders of one customer on
 *   one day are one transaction (their amounts are summed).
 * - Calibration covers every day up to and including `calibrationEnd`.
 * - `x`  = number of distinct purchase days in calibration after the first one
 *          (repeat transactions).
 * - `tx` = (last purchase day in calibration − first purchase day) / periodDays.
 * - `T`  = (calibrationEnd − first purchase day) / periodDays.
 *   Differences are whole calendar days, so a customer whose first purchase is
 *   1997-01-01 has T = 272 / 7 = 38.857 weeks at a 1997-09-30 calibration end —
 *   exactly the CDNOW values of the paper (its 39-week calibration period
 *   counts the first day as week 0).
 * - `monetaryValue` = mean value of the repeat transactions (the first
 *   purchase day excluded), 0 when x = 0 — the Gamma-Gamma convention.
 * - `holdoutPurchases` = distinct purchase days in (calibrationEnd, holdoutEnd].
 *
 * Only customers whose first purchase is on or before `calibrationEnd` are
 * summarised. Output is sorted by customer id (code-unit order).
 */
import { z } from 'zod';
import { IsoDateSchema, dayNumber, type Order } from '../order.ts';

export const PurchaseSummaryOptionsSchema = z
  .object({
    calibrationEnd: IsoDateSchema,
    /** Length of one model period in days (7 = weeks). */
    periodDays: z.number().positive().finite(),
    holdoutEnd: IsoDateSchema.optional(),
  })
  .refine((o) => o.holdoutEnd === undefined || o.holdoutEnd > o.calibrationEnd, {
    message: 'holdoutEnd must be after calibrationEnd',
    path: ['holdoutEnd'],
  });
export type PurchaseSummaryOptions = z.infer<typeof PurchaseSummaryOptionsSchema>;

export const CustomerSummarySchema = z.object({
  customerId: z.string(),
  /** Repeat purchases (distinct days after the first) within calibration. */
  x: z.number().int().nonnegative(),
  /** Time of the last calibration purchase since the first, in periods. */
  tx: z.number().nonnegative(),
  /** Time from the first purchase to the calibration end, in periods. */
  T: z.number().nonnegative(),
  /** Mean value of repeat transactions (same-day orders summed); 0 when x = 0. */
  monetaryValue: z.number().nonnegative(),
  firstPurchaseDate: IsoDateSchema,
  /** Distinct purchase days in (calibrationEnd, holdoutEnd]; present only with holdoutEnd. */
  holdoutPurchases: z.number().int().nonnegative().optional(),
});
export type CustomerSummary = z.infer<typeof CustomerSummarySchema>;

/** The (x, t_x, T) triple the BG/NBD model needs. */
export type RecencyFrequency = Pick<CustomerSummary, 'x' | 'tx' | 'T'>;

export function summarisePurchases(orders: readonly Order[], options: PurchaseSummaryOptions): CustomerSummary[] {
  const { calibrationEnd, periodDays, holdoutEnd } = PurchaseSummaryOptionsSchema.parse(options);
  const calibrationEndDay = dayNumber(calibrationEnd);
  const holdoutEndDay = holdoutEnd === undefined ? undefined : dayNumber(holdoutEnd);

  // customer → (day → summed amount). Day numbers are cached per date string.
  const dayCache = new Map<string, number>();
  const dateOfDay = new Map<number, string>();
  const byCustomer = new Map<string, Map<number, number>>();
  for (const order of orders) {
    let day = dayCache.get(order.date);
    if (day === undefined) {
      day = dayNumber(order.date);
      dayCache.set(order.date, day);
      dateOfDay.set(day, order.date);
    }
    let days = byCustomer.get(order.customerId);
    if (days === undefined) {
      days = new Map();
      byCustomer.set(order.customerId, days);
    }
    days.set(day, (days.get(day) ?? 0) + order.amount);
  }

  const summaries: CustomerSummary[] = [];
  for (const [customerId, days] of byCustomer) {
    const sortedDays = Array.from(days.keys()).sort((p, q) => p - q);
    const first = sortedDays[0] as number;
    if (first > calibrationEndDay) continue;
    let last = first;
    let repeats = 0;
    let repeatValue = 0;
    let holdoutPurchases = 0;
    for (let i = 1; i < sortedDays.length; i++) {
      const day = sortedDays[i] as number;
      if (day <= calibrationEndDay) {
        repeats++;
        repeatValue += days.get(day) as number;
        last = day;
      } else if (holdoutEndDay !== undefined && day <= holdoutEndDay) {
        holdoutPurchases++;
      }
    }
    const summary: CustomerSummary = {
      customerId,
      x: repeats,
      tx: (last - first) / periodDays,
      T: (calibrationEndDay - first) / periodDays,
      monetaryValue: repeats > 0 ? repeatValue / repeats : 0,
      firstPurchaseDate: dateOfDay.get(first) as string,
    };
    if (holdoutEndDay !== undefined) summary.holdoutPurchases = holdoutPurchases;
    summaries.push(summary);
  }
  summaries.sort((p, q) => (p.customerId < q.customerId ? -1 : p.customerId > q.customerId ? 1 : 0));
  return summaries;
}
