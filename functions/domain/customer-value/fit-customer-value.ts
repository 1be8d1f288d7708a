/**
 * One entry point for the customer-base analysis: orders → purchase summaries →
 * BG/NBD + Gamma-Gamma fits → per-customer scores (P(alive), expected purchases,
 * expected order value, CLV) and, with a hold-out period, forecast accuracy.
 */
import { z } from 'zod';
import { IsoDateSchema, dayNumber, type Order } from '../order.ts';
import { BgNbdFitSchema, expectedPurchases, fitBgNbd, probabilityAlive, type BgNbdParams } from './bgnbd.ts';
import { clvOptionsFor, discountedExpectedPurchases, expectedOrderValue } from './clv.ts';
import { GammaGammaFitSchema, expectedAverageOrderValue, fitGammaGamma } from './gamma-gamma.ts';
import { summarisePurchases, type CustomerSummary } from './purchase-summary.ts';

export const FitCustomerValueOptionsSchema = z
  .object({
    calibrationEnd: IsoDateSchema,
    periodDays: z.number().positive().finite(),
    holdoutEnd: IsoDateSchema.optional(),
    /** CLV horizon in periods (default: 52 weeks in periods, clvOptionsFor). */
    clvHorizonPeriods: z.number().int().positive().optional(),
    /** Discount rate per period for CLV (default: 10% a year, clvOptionsFor). */
    discountRatePerPeriod: z.number().nonnegative().finite().optional(),
  })
  .refine((o) => o.holdoutEnd === undefined || o.holdoutEnd > o.calibrationEnd, {
    message: 'holdoutEnd must be after calibrationEnd',
    path: ['holdoutEnd'],
  });
export type FitCustomerValueOptions = z.infer<typeof FitCustomerValueOptionsSchema>;

export const CustomerScoreSchema = z.object({
  customerId: z.string(),
  x: z.number().int().nonnegative(),
  tx: z.number().nonnegative(),
  T: z.number().nonnegative(),
  pAlive: z.number(),
  /** Expected purchases in the next period. */
  expected1: z.number(),
  /** Expected purchases in the next 39 periods. */
  expected39: z.number(),
  /** Gamma-Gamma expected value per future transaction (NaN if the model has no finite mean). */
  expectedAov: z.number(),
  /** Discounted expected revenue over the CLV horizon (predictedClv; the observed mean stands in where expectedAov is NaN). */
  clv: z.number(),
});
export type CustomerScore = z.infer<typeof CustomerScoreSchema>;

export const HoldoutEvaluationSchema = z.object({
  customers: z.number().int().nonnegative(),
  /** Length of the hold-out period in model periods. */
  periods: z.number().nonnegative(),
  actualTotal: z.number(),
  predictedTotal: z.number(),
  /** Per-customer mean absolute error of predicted vs. actual hold-out purchases. */
  meanAbsoluteError: z.number(),
  rmse: z.number(),
});
export type HoldoutEvaluation = z.infer<typeof HoldoutEvaluationSchema>;

export const CustomerValueResultSchema = z.object({
  customers: z.number().int().nonnegative(),
  bgnbd: BgNbdFitSchema,
  gammaGamma: GammaGammaFitSchema,
  scores: z.array(CustomerScoreSchema),
  holdout: HoldoutEvaluationSchema.optional(),
});
export type CustomerValueResult = z.infer<typeof CustomerValueResultSchema>;

interface TripleScores {
  pAlive: number;
  expected1: number;
  expected39: number;
  discountedPurchases: number;
  holdoutExpected: number;
}

/**
 * Fit both models on the calibration period and score every customer whose
 * first purchase is on or before `calibrationEnd`. Scores are sorted by
 * customer id. Model quantities that depend only on (x, t_x, T) are computed
 * once per distinct triple.
 */
export function fitCustomerValue(orders: readonly Order[], options: FitCustomerValueOptions): CustomerValueResult {
  const o = FitCustomerValueOptionsSchema.parse(options);
  const summaries = summarisePurchases(orders, {
    calibrationEnd: o.calibrationEnd,
    periodDays: o.periodDays,
    ...(o.holdoutEnd === undefined ? {} : { holdoutEnd: o.holdoutEnd }),
  });
  if (summaries.length === 0) throw new RangeError('fitCustomerValue: no customer purchased on or before calibrationEnd');
  const bgnbd = fitBgNbd(summaries);
  const gammaGamma = fitGammaGamma(summaries);
  const params: BgNbdParams = { r: bgnbd.r, alpha: bgnbd.alpha, a: bgnbd.a, b: bgnbd.b };
  const policy = clvOptionsFor(o.periodDays);
  const horizon = o.clvHorizonPeriods ?? policy.horizonPeriods;
  const discountRatePerPeriod = o.discountRatePerPeriod ?? policy.discountRatePerPeriod;
  const holdoutPeriods =
    o.holdoutEnd === undefined ? undefined : (dayNumber(o.holdoutEnd) - dayNumber(o.calibrationEnd)) / o.periodDays;

  const cache = new Map<string, TripleScores>();
  const scoreTriple = (c: CustomerSummary): TripleScores => {
    const key = `${c.x}|${c.tx}|${c.T}`;
    let s = cache.get(key);
    if (s === undefined) {
      s = {
        pAlive: probabilityAlive(params, c.x, c.tx, c.T),
        expected1: expectedPurchases(params, 1, c.x, c.tx, c.T),
        expected39: expectedPurchases(params, 39, c.x, c.tx, c.T),
        discountedPurchases: discountedExpectedPurchases(params, c, { horizonPeriods: horizon, discountRatePerPeriod }),
        holdoutExpected: holdoutPeriods === undefined ? 0 : expectedPurchases(params, holdoutPeriods, c.x, c.tx, c.T),
      };
      cache.set(key, s);
    }
    return s;
  };

  const scores: CustomerScore[] = [];
  let actualTotal = 0;
  let predictedTotal = 0;
  let absoluteError = 0;
  let squaredError = 0;
  for (const c of summaries) {
    const s = scoreTriple(c);
    const expectedAov = expectedAverageOrderValue(gammaGamma, c.x, c.monetaryValue);
    scores.push({
      customerId: c.customerId,
      x: c.x,
      tx: c.tx,
      T: c.T,
      pAlive: s.pAlive,
      expected1: s.expected1,
      expected39: s.expected39,
      expectedAov,
      // = predictedClv(params, gammaGamma, c, …), with the discounted purchases computed once per triple.
      clv: expectedOrderValue(gammaGamma, c.x, c.monetaryValue) * s.discountedPurchases,
    });
    if (holdoutPeriods !== undefined) {
      const actual = c.holdoutPurchases ?? 0;
      actualTotal += actual;
      predictedTotal += s.holdoutExpected;
      absoluteError += Math.abs(s.holdoutExpected - actual);
      squaredError += (s.holdoutExpected - actual) ** 2;
    }
  }

  const result: CustomerValueResult = { customers: summaries.length, bgnbd, gammaGamma, scores };
  if (holdoutPeriods !== undefined) {
    result.holdout = {
      customers: summaries.length,
      periods: holdoutPeriods,
      actualTotal,
      predictedTotal,
      meanAbsoluteError: absoluteError / summaries.length,
      rmse: Math.sqrt(squaredError / summaries.length),
    };
  }
  return result;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvNumber(value: number, decimals: number): string {
  if (!Number.isFinite(value)) return '';
  const fixed = value.toFixed(decimals);
  // Drop trailing zeros ("38.857143", "2", "0.5") and a negative zero.
  const trimmed = fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
  return trimmed === '-0' ? '0' : trimmed;
}

/** CSV with header `id,x,t_x,T,p_alive,expected_1,expected_39,expected_aov,clv`; non-finite numbers are empty. */
export function formatScoresCsv(scores: readonly CustomerScore[]): string {
  const lines = ['id,x,t_x,T,p_alive,expected_1,expected_39,expected_aov,clv'];
  for (const s of scores) {
    lines.push(
      [
        csvField(s.customerId),
        csvNumber(s.x, 0),
        csvNumber(s.tx, 6),
        csvNumber(s.T, 6),
        csvNumber(s.pAlive, 6),
        csvNumber(s.expected1, 6),
        csvNumber(s.expected39, 6),
        csvNumber(s.expectedAov, 2),
        csvNumber(s.clv, 2),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
