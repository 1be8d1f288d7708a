/**
 * Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005 "RFM and CLV";
 * Fader & Hardie 2013 note "The Gamma-Gamma Model of Monetary Value"; Colombo & Jiang 1999).
 *
 * Transaction values of a customer are Gamma(p, ν), ν ~ Gamma(q, v) across customers.
 * For a customer with x repeat transactions of mean m̄:
 *   ln L = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m̄ + px ln x − (px+q) ln(v + x m̄)
 * Fitted on repeat customers (x > 0, m̄ > 0) by Nelder–Mead over (ln p, ln q, ln v),
 * grouping identical (x, m̄) pairs.
 */
import { z } from 'zod';
import { minimize, type MinimizeOptions } from './optimizer.ts';
import { logGamma } from './special-functions.ts';

export const GammaGammaParamsSchema = z.object({
  p: z.number().positive().finite(),
  q: z.number().positive().finite(),
  v: z.number().positive().finite(),
});
export type GammaGammaParams = z.infer<typeof GammaGammaParamsSchema>;

export const GammaGammaFitSchema = GammaGammaParamsSchema.extend({
  logLikelihood: z.number(),
  iterations: z.number().int().nonnegative(),
  evaluations: z.number().int().nonnegative(),
  converged: z.boolean(),
  /** Customers the model was fitted on (x > 0 and mean repeat value > 0). */
  customers: z.number().int().nonnegative(),
  /** Distinct (x, m̄) rows the likelihood was evaluated on. */
  groups: z.number().int().nonnegative(),
});
export type GammaGammaFit = z.infer<typeof GammaGammaFitSchema>;

/** Input of the spend model: repeat transactions and their mean value. */
export interface SpendObservation {
  x: number;
  monetaryValue: number;
}

/** Observations the model can use: x > 0 repeat transactions with a positive mean value. */
export function isGammaGammaEligible(c: SpendObservation): boolean {
  return c.x > 0 && Number.isInteger(c.x) && c.monetaryValue > 0 && Number.isFinite(c.monetaryValue);
}

/** ln L of one customer with x > 0 repeat transactions of mean value m̄ > 0. */
export function gammaGammaLogLikelihood(params: GammaGammaParams, x: number, meanValue: number): number {
  const { p, q, v } = params;
  const px = p * x;
  return (
    logGamma(px + q) -
    logGamma(px) -
    logGamma(q) +
    q * Math.log(v) +
    (px - 1) * Math.log(meanValue) +
    px * Math.log(x) -
    (px + q) * Math.log(v + x * meanValue)
  );
}

interface SpendGroups {
  customers: number;
  rows: number;
  xValues: Float64Array;
  xIndex: Int32Array;
  x: Float64Array;
  mean: Float64Array;
  logMean: Float64Array;
  count: Float64Array;
}

function groupSpend(observations: readonly SpendObservation[], merge: boolean): SpendGroups {
  const rowOf = new Map<string, number>();
  const xs: number[] = [];
  const means: number[] = [];
  const counts: number[] = [];
  for (const o of observations) {
    if (merge) {
      const key = `${o.x}|${o.monetaryValue}`;
      const row = rowOf.get(key);
      if (row !== undefined) {
        counts[row] = (counts[row] as number) + 1;
        continue;
      }
      rowOf.set(key, xs.length);
    }
    xs.push(o.x);
    means.push(o.monetaryValue);
    counts.push(1);
  }
  const position = new Map<number, number>();
  const xValues: number[] = [];
  const xIndex = new Int32Array(xs.length);
  xs.forEach((x, i) => {
    let k = position.get(x);
    if (k === undefined) {
      k = xValues.length;
      position.set(x, k);
      xValues.push(x);
    }
    xIndex[i] = k;
  });
  return {
    customers: observations.length,
    rows: xs.length,
    xValues: Float64Array.from(xValues),
    xIndex,
    x: Float64Array.from(xs),
    mean: Float64Array.from(means),
    logMean: Float64Array.from(means, Math.log),
    count: Float64Array.from(counts),
  };
}

function groupedLogLikelihood(params: GammaGammaParams, g: SpendGroups): number {
  const { p, q, v } = params;
  const lgQ = logGamma(q);
  const qLogV = q * Math.log(v);
  const perX = new Float64Array(g.xValues.length);
  for (let k = 0; k < g.xValues.length; k++) {
    const x = g.xValues[k] as number;
    const px = p * x;
    perX[k] = logGamma(px + q) - logGamma(px) - lgQ + qLogV + px * Math.log(x);
  }
  let total = 0;
  for (let i = 0; i < g.rows; i++) {
    const x = g.x[i] as number;
    const px = p * x;
    const ll =
      (perX[g.xIndex[i] as number] as number) +
      (px - 1) * (g.logMean[i] as number) -
      (px + q) * Math.log(v + x * (g.mean[i] as number));
    total += (g.count[i] as number) * ll;
  }
  return total;
}

export interface FitGammaGammaOptions {
  /**
   * 'grouped' (default): merged (x, m̄) rows, ln Γ terms tabulated per distinct x.
   * 'ungrouped': the same kernel with one row per customer.
   * 'naive': a per-customer loop calling `gammaGammaLogLikelihood`.
   */
  likelihood?: 'grouped' | 'ungrouped' | 'naive';
  starts?: readonly GammaGammaParams[];
  optimizer?: MinimizeOptions;
}

const LOG_PARAM_BOUND = 30;

function paramsFromLog(theta: readonly number[]): GammaGammaParams | undefined {
  for (const v of theta) if (!(Math.abs(v) <= LOG_PARAM_BOUND)) return undefined;
  return { p: Math.exp(theta[0] as number), q: Math.exp(theta[1] as number), v: Math.exp(theta[2] as number) };
}

/**
 * Maximum-likelihood fit of p, q, v on the eligible observations (x > 0,
 * mean value > 0; others are ignored). Throws RangeError when none is eligible.
 */
export function fitGammaGamma(observations: readonly SpendObservation[], options: FitGammaGammaOptions = {}): GammaGammaFit {
  const eligible = observations.filter(isGammaGammaEligible);
  if (eligible.length === 0) throw new RangeError('fitGammaGamma: no customer with x > 0 and a positive mean value');
  const likelihood = options.likelihood ?? 'grouped';
  let logLikelihoodOf: (p: GammaGammaParams) => number;
  let groups: number;
  if (likelihood !== 'naive') {
    const g = groupSpend(eligible, likelihood === 'grouped');
    groups = g.rows;
    logLikelihoodOf = (p) => groupedLogLikelihood(p, g);
  } else {
    groups = eligible.length;
    logLikelihoodOf = (p) => {
      let total = 0;
      for (const o of eligible) total += gammaGammaLogLikelihood(p, o.x, o.monetaryValue);
      return total;
    };
  }
  const objective = (theta: readonly number[]): number => {
    const params = paramsFromLog(theta);
    if (params === undefined) return Number.POSITIVE_INFINITY;
    const ll = logLikelihoodOf(params);
    return Number.isFinite(ll) ? -ll : Number.POSITIVE_INFINITY;
  };
  let sumMean = 0;
  for (const o of eligible) sumMean += o.monetaryValue;
  const meanValue = sumMean / eligible.length;
  // Starts: all ones, and one whose population mean p·v/(q−1) matches the observed mean.
  const defaultStarts: GammaGammaParams[] = [
    { p: 1, q: 1, v: 1 },
    { p: 2, q: 3, v: Math.min(Math.max(meanValue, 1e-6), 1e6) },
  ];
  const starts = (options.starts ?? defaultStarts).map((s) => {
    const params = GammaGammaParamsSchema.parse(s);
    return [Math.log(params.p), Math.log(params.q), Math.log(params.v)];
  });
  const result = minimize(objective, starts, options.optimizer);
  const params = paramsFromLog(result.x);
  if (params === undefined) throw new RangeError('fitGammaGamma: optimiser left the parameter domain');
  return {
    ...params,
    logLikelihood: -result.fx,
    iterations: result.iterations,
    evaluations: result.evaluations,
    converged: result.converged,
    customers: eligible.length,
    groups,
  };
}

/**
 * E[M | p, q, v, x, m̄] = p (v + x m̄) / (p x + q − 1): the expected value of a
 * future transaction of a customer with x repeat transactions of mean m̄
 * (a weighted mean of the population mean p v / (q − 1) and m̄). For x = 0 it is
 * the population mean. NaN when p x + q ≤ 1 (the mean does not exist).
 */
export function expectedAverageOrderValue(params: GammaGammaParams, x: number, meanValue: number): number {
  const { p, q, v } = params;
  const denominator = p * x + q - 1;
  if (!(denominator > 0)) return Number.NaN;
  return (p * (v + (x > 0 ? x * meanValue : 0))) / denominator;
}

/** Population mean transaction value p v / (q − 1); NaN when q ≤ 1. */
export function populationAverageOrderValue(params: GammaGammaParams): number {
  return expectedAverageOrderValue(params, 0, 0);
}
