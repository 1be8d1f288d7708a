/**
 * BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").
 *
 * Individual log-likelihood (the A1…A4 form of Fader & Hardie's implementation note):
 *   A1 = ln Γ(r+x) − ln Γ(r) + r ln α
 *   A2 = ln Γ(a+b) + ln Γ(b+x) − ln Γ(b) − ln Γ(a+b+x)          (= ln B(a, b+x) − ln B(a, b))
 *   A3 = −(r+x) ln(α+T)
 *   A4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x)      (only when x > 0)
 *   ln L = A1 + A2 + ln(e^A3 + δ_{x>0} e^A4)   — the last term by log-sum-exp.
 *
 * Fitting maximises Σ count·ln L over groups of identical (x, t_x, T), with
 * Nelder–Mead (restarts) over (ln r, ln α, ln a, ln b).
 */
import { z } from 'zod';
import { minimize, type MinimizeOptions } from './optimizer.ts';
import { exprel, integrateTanhSinh, logBeta, logGamma, logSumExp2 } from './special-functions.ts';
import type { RecencyFrequency } from './purchase-summary.ts';

export const BgNbdParamsSchema = z.object({
  r: z.number().positive().finite(),
  alpha: z.number().positive().finite(),
  a: z.number().positive().finite(),
  b: z.number().positive().finite(),
});
export type BgNbdParams = z.infer<typeof BgNbdParamsSchema>;

export const BgNbdFitSchema = BgNbdParamsSchema.extend({
  logLikelihood: z.number(),
  iterations: z.number().int().nonnegative(),
  evaluations: z.number().int().nonnegative(),
  converged: z.boolean(),
  /** Customers in the fit (sum of group counts). */
  customers: z.number().int().nonnegative(),
  /** Distinct (x, t_x, T) rows the likelihood was evaluated on. */
  groups: z.number().int().nonnegative(),
});
export type BgNbdFit = z.infer<typeof BgNbdFitSchema>;

/** A customer base with identical (x, t_x, T) rows merged, and each distinct value of x, t_x and T tabulated once. */
export interface RecencyFrequencyGroups {
  readonly customers: number;
  readonly rows: number;
  /** Distinct x / t_x / T values. */
  readonly xValues: Float64Array;
  readonly txValues: Float64Array;
  readonly TValues: Float64Array;
  /** Per row: indices into the tables above, the x value itself, and the row weight (number of customers). */
  readonly xIndex: Int32Array;
  readonly txIndex: Int32Array;
  readonly TIndex: Int32Array;
  readonly x: Float64Array;
  readonly count: Float64Array;
}

function assertRecencyFrequency(c: RecencyFrequency, index: number): void {
  if (!(Number.isInteger(c.x) && c.x >= 0 && Number.isFinite(c.tx) && Number.isFinite(c.T) && c.tx >= 0 && c.tx <= c.T)) {
    throw new RangeError(
      `customer #${index}: expected integer x ≥ 0 and 0 ≤ t_x ≤ T, got x=${c.x}, t_x=${c.tx}, T=${c.T}`,
    );
  }
}

/**
 * Merge identical (x, t_x, T) triples. With `merge: false` every customer is
 * its own row (used to check that grouping does not change the likelihood).
 */
export function groupRecencyFrequency(
  customers: readonly RecencyFrequency[],
  options: { merge?: boolean } = {},
): RecencyFrequencyGroups {
  const merge = options.merge ?? true;
  const rowOf = new Map<string, number>();
  const xs: number[] = [];
  const txs: number[] = [];
  const Ts: number[] = [];
  const counts: number[] = [];
  customers.forEach((c, index) => {
    assertRecencyFrequency(c, index);
    if (merge) {
      const key = `${c.x}|${c.tx}|${c.T}`;
      const row = rowOf.get(key);
      if (row !== undefined) {
        counts[row] = (counts[row] as number) + 1;
        return;
      }
      rowOf.set(key, xs.length);
    }
    xs.push(c.x);
    txs.push(c.tx);
    Ts.push(c.T);
    counts.push(1);
  });
  const table = (values: readonly number[]): { values: Float64Array; index: Int32Array } => {
    const position = new Map<number, number>();
    const distinct: number[] = [];
    const index = new Int32Array(values.length);
    values.forEach((v, i) => {
      let p = position.get(v);
      if (p === undefined) {
        p = distinct.length;
        position.set(v, p);
        distinct.push(v);
      }
      index[i] = p;
    });
    return { values: Float64Array.from(distinct), index };
  };
  const xTable = table(xs);
  const txTable = table(txs);
  const TTable = table(Ts);
  return {
    customers: customers.length,
    rows: xs.length,
    xValues: xTable.values,
    txValues: txTable.values,
    TValues: TTable.values,
    xIndex: xTable.index,
    txIndex: txTable.index,
    TIndex: TTable.index,
    x: Float64Array.from(xs),
    count: Float64Array.from(counts),
  };
}

/** ln L of one customer (x repeat purchases, last at t_x, observed for T). */
export function bgnbdLogLikelihood(params: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = params;
  const a1 = logGamma(r + x) - logGamma(r) + r * Math.log(alpha);
  const a2 = logGamma(a + b) + logGamma(b + x) - logGamma(b) - logGamma(a + b + x);
  const a3 = -(r + x) * Math.log(alpha + T);
  if (x === 0) return a1 + a2 + a3;
  const a4 = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx);
  return a1 + a2 + logSumExp2(a3, a4);
}

/** Σ count · ln L over grouped rows. Work per evaluation: O(distinct x + distinct t_x + distinct T + rows), with one exp and one log1p per row. */
export function bgnbdGroupedLogLikelihood(params: BgNbdParams, groups: RecencyFrequencyGroups): number {
  const { r, alpha, a, b } = params;
  const { xValues, txValues, TValues } = groups;
  const logAlpha = Math.log(alpha);
  const lgR = logGamma(r);
  const lgB = logGamma(b);
  const lgAB = logGamma(a + b);
  const logA = Math.log(a);
  const base = new Float64Array(xValues.length); // A1 + A2 per distinct x
  const a4Const = new Float64Array(xValues.length); // ln a − ln(b+x−1) per distinct x
  for (let k = 0; k < xValues.length; k++) {
    const x = xValues[k] as number;
    base[k] = logGamma(r + x) - lgR + r * logAlpha + lgAB + logGamma(b + x) - lgB - logGamma(a + b + x);
    a4Const[k] = x > 0 ? logA - Math.log(b + x - 1) : Number.NEGATIVE_INFINITY;
  }
  const logAlphaT = new Float64Array(TValues.length);
  for (let j = 0; j < TValues.length; j++) logAlphaT[j] = Math.log(alpha + (TValues[j] as number));
  const logAlphaTx = new Float64Array(txValues.length);
  for (let j = 0; j < txValues.length; j++) logAlphaTx[j] = Math.log(alpha + (txValues[j] as number));

  const { xIndex, txIndex, TIndex, x: xs, count, rows } = groups;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const k = xIndex[i] as number;
    const x = xs[i] as number;
    const rx = r + x;
    const a3 = -rx * (logAlphaT[TIndex[i] as number] as number);
    let ll: number;
    if (x === 0) {
      ll = (base[k] as number) + a3;
    } else {
      const a4 = (a4Const[k] as number) - rx * (logAlphaTx[txIndex[i] as number] as number);
      ll = (base[k] as number) + (a3 > a4 ? a3 + Math.log1p(Math.exp(a4 - a3)) : a4 + Math.log1p(Math.exp(a3 - a4)));
    }
    total += (count[i] as number) * ll;
  }
  return total;
}

export interface FitBgNbdOptions {
  /**
   * 'grouped' (default): likelihood over merged (x, t_x, T) rows with tabulated logs.
   * 'ungrouped': the same tabulated kernel with one row per customer (no merging).
   * 'naive': a per-customer loop calling `bgnbdLogLikelihood`.
   * The last two are baselines for benchmarks and tests, not for production.
   */
  likelihood?: 'grouped' | 'ungrouped' | 'naive';
  /** Starting points (defaults: all ones, and one scaled to the observed purchase rate). */
  starts?: readonly BgNbdParams[];
  optimizer?: MinimizeOptions;
}

const LOG_PARAM_BOUND = 30; // parameters are kept within e^±30

function paramsFromLog(theta: readonly number[]): BgNbdParams | undefined {
  for (const v of theta) if (!(Math.abs(v) <= LOG_PARAM_BOUND)) return undefined;
  return {
    r: Math.exp(theta[0] as number),
    alpha: Math.exp(theta[1] as number),
    a: Math.exp(theta[2] as number),
    b: Math.exp(theta[3] as number),
  };
}

function defaultStarts(customers: readonly RecencyFrequency[]): BgNbdParams[] {
  let sumX = 0;
  let sumT = 0;
  for (const c of customers) {
    sumX += c.x;
    sumT += c.T;
  }
  const n = Math.max(customers.length, 1);
  const meanT = Math.max(sumT / n, 1e-6);
  const rate = Math.max(sumX / n, 0.05) / meanT; // repeat purchases per period, ignoring dropout
  return [
    { r: 1, alpha: 1, a: 1, b: 1 },
    { r: 1, alpha: Math.min(Math.max(1 / rate, 1e-6), 1e6), a: 1, b: 3 },
  ];
}

/** Maximum-likelihood fit of r, α, a, b. Throws RangeError on an empty or invalid customer base. */
export function fitBgNbd(customers: readonly RecencyFrequency[], options: FitBgNbdOptions = {}): BgNbdFit {
  if (customers.length === 0) throw new RangeError('fitBgNbd: no customers');
  const likelihood = options.likelihood ?? 'grouped';
  let logLikelihoodOf: (p: BgNbdParams) => number;
  let groups: number;
  if (likelihood !== 'naive') {
    const grouped = groupRecencyFrequency(customers, { merge: likelihood === 'grouped' });
    groups = grouped.rows;
    logLikelihoodOf = (p) => bgnbdGroupedLogLikelihood(p, grouped);
  } else {
    customers.forEach(assertRecencyFrequency);
    groups = customers.length;
    logLikelihoodOf = (p) => {
      let total = 0;
      for (const c of customers) total += bgnbdLogLikelihood(p, c.x, c.tx, c.T);
      return total;
    };
  }
  const objective = (theta: readonly number[]): number => {
    const p = paramsFromLog(theta);
    if (p === undefined) return Number.POSITIVE_INFINITY;
    const ll = logLikelihoodOf(p);
    return Number.isFinite(ll) ? -ll : Number.POSITIVE_INFINITY;
  };
  const starts = (options.starts ?? defaultStarts(customers)).map((s) => {
    const p = BgNbdParamsSchema.parse(s);
    return [Math.log(p.r), Math.log(p.alpha), Math.log(p.a), Math.log(p.b)];
  });
  const result = minimize(objective, starts, options.optimizer);
  const params = paramsFromLog(result.x);
  if (params === undefined) throw new RangeError('fitBgNbd: optimiser left the parameter domain');
  return {
    ...params,
    logLikelihood: -result.fx,
    iterations: result.iterations,
    evaluations: result.evaluations,
    converged: result.converged,
    customers: customers.length,
    groups,
  };
}

/** P(customer still alive | x, t_x, T). Equals 1 when x = 0. */
export function probabilityAlive(params: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  const { r, alpha, a, b } = params;
  // ln of (a / (b+x−1)) · ((α+T)/(α+t_x))^(r+x)
  const logOdds = Math.log(a) - Math.log(b + x - 1) + (r + x) * Math.log1p((T - tx) / (alpha + tx));
  return logOdds > 0 ? Math.exp(-logOdds) / (1 + Math.exp(-logOdds)) : 1 / (1 + Math.exp(logOdds));
}

const SERIES_MAX_TERMS = 20_000;
/** Accept the series result only if cancellation cost fewer than ~6 of the 16 significant digits. */
const MAX_CANCELLATION = 1e6;

/**
 * E[Y(t) | x, t_x, T]: expected purchases in the next t periods (FHL 2005 eq. 10)
 *
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)] · P(alive),   z = t/(α+T+t).
 *
 * Evaluated after Euler's transformation ₂F₁(A,B;C;z) = (1−z)^(C−A−B) ₂F₁(C−A, C−B; C; z):
 * ((α+T)/(α+T+t))^(r+x) ₂F₁(…) = (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z), whose series
 * terms decay like n^(a−r−x−2) zⁿ instead of growing like n^(r+x−a) zⁿ (no overflow for
 * large x). Writing ₂F₁(…, a−1; …) = 1 + (a−1)·S, the bracket divided by (a−1) becomes
 *   −ln(1−z) · exprel((a−1) ln(1−z)) − (1−z)^(a−1) · S,
 * which is free of the 0/0 at a = 1 and of cancellation for small t; the factor a+b+x−1
 * is folded into the series so that a+b+x−1 = 0 needs no division.
 *
 * The series is monitored: if it does not converge within 20,000 terms (z very
 * close to 1), or if cancellation (between its terms, or between the two parts
 * of the bracket) would cost more than ~6 significant digits — degenerate
 * parameters such as r ≫ a + b, or a + b ≫ r + x — the value is computed
 * instead by quadrature of the equivalent integral (`expectedPurchasesByQuadrature`).
 */
export function expectedPurchases(params: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (!(t > 0)) return 0;
  return expectedPurchasesIfAlive(params, t, x, T) * probabilityAlive(params, x, tx, T);
}

/**
 * E[Y(t) | x, t_x, T] divided by P(alive), for t > 0: the part of `expectedPurchases` that depends
 * on t, so a sum over many horizons (the CLV's) computes P(alive) once, to the same bits.
 */
export function expectedPurchasesIfAlive(params: BgNbdParams, t: number, x: number, T: number): number {
  const { r, alpha, a, b } = params;
  const z = t / (alpha + T + t);
  const log1mz = -Math.log1p(t / (alpha + T)); // ln(1 − z)
  const am1 = a - 1;
  const a1 = a + b - 1 - r;
  const c = a + b + x - 1;
  // c·S = Σ_{n≥1} (a1)_n (a)_{n−1} zⁿ / ((c+1)_{n−1} n!)   (since (c)_n = c·(c+1)_{n−1}; no division by c)
  let term = a1 * z;
  let sum = term;
  let largest = Math.abs(term);
  let converged = term === 0;
  for (let n = 1; n < SERIES_MAX_TERMS && !converged; n++) {
    const ratio = (((a1 + n) * (a + n - 1)) / ((c + n) * (n + 1))) * z;
    term *= ratio;
    sum += term;
    const size = Math.abs(term);
    if (size > largest) largest = size;
    const q = Math.max(Math.abs(ratio), z);
    converged = term === 0 || (q < 1 && (size * q) / (1 - q) <= 1e-15 * Math.abs(sum));
  }
  const first = -c * log1mz * exprel(am1 * log1mz);
  const second = Math.exp(am1 * log1mz) * sum;
  const scaledBracket = first - second;
  const reliable =
    converged &&
    Number.isFinite(scaledBracket) &&
    largest <= MAX_CANCELLATION * Math.abs(sum) &&
    Math.max(Math.abs(first), Math.abs(second)) <= MAX_CANCELLATION * Math.abs(scaledBracket);
  return reliable ? scaledBracket : expectedPurchasesIfAliveByQuadrature(params, t, x, T);
}

/**
 * E[purchases in the next t periods | alive at T] as an integral: given (λ, p),
 * an alive customer makes (1 − e^(−λpt))/p purchases in expectation; the posterior
 * of an alive customer is λ ~ Gamma(r+x, α+T), p ~ Beta(a, b+x), so
 *   E = ∫₀¹ g(p) Beta(p; a, b+x) dp,   g(p) = (1 − (1 + p·t/(α+T))^(−(r+x))) / p.
 * The integral is split at the Beta mean m (so a concentrated density peaks at an
 * endpoint, where tanh-sinh nodes cluster); a singular endpoint (a < 1 at 0,
 * b+x < 1 at 1) is removed by the substitution p = m·u^(1/a), resp.
 * 1 − p = (1−m)·v^(1/(b+x)). The density is evaluated in log space.
 */
function expectedPurchasesIfAliveByQuadrature(params: BgNbdParams, t: number, x: number, T: number): number {
  const { r, alpha, a, b } = params;
  const beta = b + x;
  const k = r + x;
  const s = t / (alpha + T);
  const g = (p: number): number => (p > 0 ? -Math.expm1(-k * Math.log1p(p * s)) / p : k * s);
  const logB = logBeta(a, beta);
  const m = a / (a + beta);
  const lower =
    a < 1
      ? integrateTanhSinh((u) => {
          const p = m * Math.exp(Math.log(u) / a);
          return g(p) * Math.exp(a * Math.log(m) - Math.log(a) - logB + (beta - 1) * Math.log1p(-p));
        }, 1)
      : integrateTanhSinh((p) => g(p) * Math.exp((a - 1) * Math.log(p) + (beta - 1) * Math.log1p(-p) - logB), m);
  const upper =
    beta < 1
      ? integrateTanhSinh((v) => {
          const q = (1 - m) * Math.exp(Math.log(v) / beta);
          return g(1 - q) * Math.exp(beta * Math.log1p(-m) - Math.log(beta) - logB + (a - 1) * Math.log1p(-q));
        }, 1)
      : integrateTanhSinh((q) => g(1 - q) * Math.exp((beta - 1) * Math.log(q) + (a - 1) * Math.log1p(-q) - logB), 1 - m);
  return lower + upper;
}

/** E[Y(t) | x, t_x, T] by quadrature only (slower; for checks and degenerate parameters). */
export function expectedPurchasesByQuadrature(params: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (!(t > 0)) return 0;
  return expectedPurchasesIfAliveByQuadrature(params, t, x, T) * probabilityAlive(params, x, tx, T);
}

/** E[X(t)] for a customer just acquired (x = 0, T = 0): (a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]. */
export function expectedPurchasesNewCustomer(params: BgNbdParams, t: number): number {
  return expectedPurchases(params, t, 0, 0, 0);
}
