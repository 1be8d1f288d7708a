/**
 * The statistics of the CRM report: intervals for a rate and for a difference of rates or
 * of means, p-values consistent with those intervals, the Holm–Bonferroni correction when
 * many comparisons are read at once, and the rule before an A/B winner is named.
 * Pure: numbers in, numbers out.
 *
 * References
 * - Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
 *   inference. JASA 22, 209–212.
 * - Newcombe, R. G. (1998). Interval estimation for the difference between independent
 *   proportions: comparison of eleven methods. Statistics in Medicine 17, 873–890 (method 10,
 *   the hybrid score interval).
 * - Welch, B. L. (1947). The generalization of "Student's" problem when several different
 *   population variances are involved. Biometrika 34, 28–35.
 * - Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
 *   Journal of Statistics 6, 65–70.
 */
import { regularizedGammaQ, regularizedIncompleteBeta } from './customer-value/special-functions.ts';

export const DEFAULT_LEVEL = 0.95;

export interface Interval {
  lower: number;
  upper: number;
}

/** A difference between a treated and a comparison group, with its interval and two-sided p-value. */
export interface Difference extends Interval {
  estimate: number;
  pValue: number;
  /** How the interval was computed, for the reader. */
  method: string;
}

/** Standard normal CDF Φ(x), through Φ(x) = ½·Q(½, x²/2) for x < 0 (exact to ≈1e-14). */
export function normalCdf(x: number): number {
  const tail = 0.5 * regularizedGammaQ(0.5, (x * x) / 2);
  return x < 0 ? tail : 1 - tail;
}

/** P(|Z| ≥ |z|) for a standard normal Z, without cancellation in the tail. */
const normalTwoSided = (z: number) => regularizedGammaQ(0.5, (z * z) / 2);

/**
 * Standard normal quantile Φ⁻¹(p), 0 < p < 1: Acklam's rational approximation (relative
 * error < 1.2e-9) refined by one Halley step on the exact CDF.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1) (p = ${p})`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const poly = (k: readonly number[], x: number) => k.reduce((acc, coef) => acc * x + coef, 0);
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = poly(c, q) / (poly(d, q) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(a, r) * q) / (poly(b, r) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    x = -poly(c, q) / (poly(d, q) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

const zFor = (level: number) => normalQuantile(1 - (1 - level) / 2);

function checkCount(successes: number, trials: number, what: string): void {
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || trials < 1 || successes < 0 || successes > trials) {
    throw new RangeError(`${what}: need whole numbers 0 ≤ successes ≤ trials, trials ≥ 1 (got ${successes} of ${trials})`);
  }
}

function wilsonAtZ(successes: number, trials: number, z: number): Interval {
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  // At 0 or n successes the bound is exactly 0 or 1; rounding must not push it past.
  return { lower: successes === 0 ? 0 : Math.max(0, centre - half), upper: successes === trials ? 1 : Math.min(1, centre + half) };
}

/** Wilson's score interval for a proportion successes / trials. */
export function wilsonInterval(successes: number, trials: number, level = DEFAULT_LEVEL): Interval {
  checkCount(successes, trials, 'wilsonInterval');
  return wilsonAtZ(successes, trials, zFor(level));
}

function newcombeAtZ(x1: number, n1: number, x2: number, n2: number, z: number): Interval {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const w1 = wilsonAtZ(x1, n1, z);
  const w2 = wilsonAtZ(x2, n2, z);
  const d = p1 - p2;
  return {
    lower: d - Math.sqrt((p1 - w1.lower) ** 2 + (w2.upper - p2) ** 2),
    upper: d + Math.sqrt((w1.upper - p1) ** 2 + (p2 - w2.lower) ** 2),
  };
}

/**
 * Newcombe's hybrid score interval (1998, method 10) for p₁ − p₂ from two independent
 * groups, built from the two Wilson intervals. Its p-value is the one that makes it
 * consistent: the smallest α at which the (1 − α) interval excludes zero, found by bisection
 * on z (the bound moves monotonically with z). So "the interval covers 0" and "p ≥ 1 − level"
 * never disagree.
 */
export function newcombeDifference(x1: number, n1: number, x2: number, n2: number, level = DEFAULT_LEVEL): Difference {
  checkCount(x1, n1, 'newcombeDifference (first group)');
  checkCount(x2, n2, 'newcombeDifference (second group)');
  const estimate = x1 / n1 - x2 / n2;
  const interval = newcombeAtZ(x1, n1, x2, n2, zFor(level));
  let pValue = 1;
  if (estimate !== 0) {
    const side = estimate > 0 ? 'lower' : 'upper';
    const excludesZero = (z: number) => (side === 'lower' ? newcombeAtZ(x1, n1, x2, n2, z).lower > 0 : newcombeAtZ(x1, n1, x2, n2, z).upper < 0);
    let lo = 0;
    let hi = 1;
    while (excludesZero(hi) && hi < 64) hi *= 2;
    for (let i = 0; i < 100 && hi - lo > 1e-12; i++) {
      const mid = (lo + hi) / 2;
      if (excludesZero(mid)) lo = mid;
      else hi = mid;
    }
    pValue = normalTwoSided((lo + hi) / 2);
  }
  return { estimate, ...interval, pValue, method: 'Newcombe hybrid score interval (Wilson-based)' };
}

/** Student's t CDF with ν degrees of freedom (ν may be fractional, as Welch's is). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTCdf: df must be > 0 (df = ${df})`);
  if (!Number.isFinite(df)) return normalCdf(t);
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t < 0 ? tail : 1 - tail;
}

/** P(|T| ≥ |t|), computed as I_{ν/(ν+t²)}(ν/2, ½) so small tails keep their precision. */
const studentTwoSided = (t: number, df: number) => (Number.isFinite(df) ? regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5) : normalTwoSided(t));

/** Student's t quantile: the t with P(T ≤ t) = p, by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1) (p = ${p})`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be > 0 (df = ${df})`);
  if (!Number.isFinite(df)) return normalQuantile(p);
  if (p === 0.5) return 0;
  const upperTail = p > 0.5;
  const target = upperTail ? 1 - p : p; // the tail probability beyond |t|
  const tailBeyond = (t: number) => studentTwoSided(t, df) / 2;
  let lo = 0;
  let hi = 1;
  while (tailBeyond(hi) > target) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (tailBeyond(mid) > target) lo = mid;
    else hi = mid;
  }
  const t = (lo + hi) / 2;
  return upperTail ? t : -t;
}

/** What a group's values reduce to for a comparison of means. */
export interface SampleSummary {
  n: number;
  mean: number;
  /** Unbiased sample variance (n − 1 in the denominator); 0 for n < 2. */
  variance: number;
}

export function summarise(values: readonly number[]): SampleSummary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: 0, variance: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n < 2 ? 0 : values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { n, mean, variance };
}

/**
 * Welch's t interval for mean₁ − mean₂ (unequal variances; Welch–Satterthwaite degrees of
 * freedom), as R's `t.test(x, y)` computes it. Undefined when a group has fewer than two
 * values. When both groups have no spread at all the interval is the point itself.
 */
export function welchDifference(a: SampleSummary, b: SampleSummary, level = DEFAULT_LEVEL): (Difference & { df: number }) | undefined {
  if (a.n < 2 || b.n < 2) return undefined;
  const estimate = a.mean - b.mean;
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se = Math.sqrt(va + vb);
  const method = "Welch's t interval (unequal variances)";
  if (se === 0) return { estimate, lower: estimate, upper: estimate, pValue: estimate === 0 ? 1 : 0, df: a.n + b.n - 2, method };
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const t = studentTQuantile(1 - (1 - level) / 2, df);
  return { estimate, lower: estimate - t * se, upper: estimate + t * se, pValue: studentTwoSided(estimate / se, df), df, method };
}

/**
 * Holm–Bonferroni adjusted p-values, in the order given: sort ascending, multiply the k-th
 * smallest by (m − k + 1), keep the running maximum, cap at 1. Rejecting where the adjusted
 * p < α controls the family-wise error rate at α (Holm 1979). NaN stays NaN and does not count.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const indexed = pValues.map((p, i) => ({ p, i })).filter(({ p }) => !Number.isNaN(p));
  indexed.sort((x, y) => x.p - y.p);
  const m = indexed.length;
  const out = pValues.map(() => Number.NaN);
  let running = 0;
  indexed.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}

/**
 * Before an A/B test names a winner, each arm needs this many customers and this many
 * conversions: below that a difference is mostly luck, and the normal approximations under
 * the intervals are not yet trustworthy. 30 conversions per arm is a common floor in
 * practice; the customers floor stops a 30-of-30 arm from deciding anything.
 */
export const AB_MINIMUM = { customersPerArm: 100, conversionsPerArm: 30 } as const;

export interface Arm {
  name: string;
  customers: number;
  conversions: number;
}

export type AbVerdict =
  | { verdict: 'winner'; winner: string; comparisons: AbComparison[] }
  | { verdict: 'too-few'; why: string; comparisons: AbComparison[] }
  | { verdict: 'no-winner'; why: string; comparisons: AbComparison[] };

export interface AbComparison {
  a: string;
  b: string;
  difference: Difference;
  /** Holm-adjusted over every pair compared in this test. */
  adjustedPValue: number;
  significant: boolean;
}

/**
 * Compares every pair of variants on conversion rate (Newcombe intervals, Holm over the
 * pairs) and names a winner only when every arm meets AB_MINIMUM and one variant beats each
 * other variant significantly after the correction.
 */
export function judgeAbTest(arms: readonly Arm[], alpha = 1 - DEFAULT_LEVEL, minimum: { customersPerArm: number; conversionsPerArm: number } = AB_MINIMUM): AbVerdict {
  const usable = arms.filter((arm) => arm.customers > 0);
  const pairs: { a: Arm; b: Arm; difference: Difference }[] = [];
  for (let i = 0; i < usable.length; i++) {
    for (let j = i + 1; j < usable.length; j++) {
      const a = usable[i]!;
      const b = usable[j]!;
      pairs.push({ a, b, difference: newcombeDifference(a.conversions, a.customers, b.conversions, b.customers) });
    }
  }
  const adjusted = holmAdjust(pairs.map((p) => p.difference.pValue));
  const comparisons: AbComparison[] = pairs.map((p, k) => ({ a: p.a.name, b: p.b.name, difference: p.difference, adjustedPValue: adjusted[k]!, significant: adjusted[k]! < alpha }));
  if (usable.length < 2) return { verdict: 'too-few', why: 'fewer than two variants have customers', comparisons };
  const short = usable.filter((arm) => arm.customers < minimum.customersPerArm || arm.conversions < minimum.conversionsPerArm);
  if (short.length) {
    return {
      verdict: 'too-few',
      why: `each variant needs ≥ ${minimum.customersPerArm} customers and ≥ ${minimum.conversionsPerArm} conversions (short: ${short.map((a) => `${a.name} ${a.conversions}/${a.customers}`).join(', ')})`,
      comparisons,
    };
  }
  for (const candidate of usable) {
    const beatsAll = comparisons
      .filter((c) => c.a === candidate.name || c.b === candidate.name)
      .every((c) => c.significant && (c.a === candidate.name ? c.difference.estimate > 0 : c.difference.estimate < 0));
    if (beatsAll) return { verdict: 'winner', winner: candidate.name, comparisons };
  }
  return { verdict: 'no-winner', why: 'no variant converts significantly better than every other after the Holm correction', comparisons };
}
