/**
 * Special functions used by the customer-base models. Pure, dependency free.
 *
 * - `logGamma`: ln Γ(x) via the Lanczos approximation (g = 7, n = 9), with the
 *   reflection formula for x < 0.5. Relative accuracy ≈ 1e-15 for x > 0.
 * - `logBeta`: ln B(a, b).
 * - `hyp2f1`: Gauss hypergeometric ₂F₁(a, b; c; z) for z ≤ 1 by its power
 *   series (Pfaff transformation for z < 0, Gauss's theorem at z = 1).
 * - log-space helpers: `logSumExp2`, `log1pExp`, `exprel`.
 */

const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** ln |Γ(x)|. +Infinity at the poles (0, -1, -2, …); NaN for NaN. */
export function logGamma(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (x <= 0 && Number.isInteger(x)) return Number.POSITIVE_INFINITY;
  if (x < 0.5) {
    // Reflection: Γ(x) Γ(1 − x) = π / sin(πx)
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  const y = x - 1;
  let sum = LANCZOS_COEFFICIENTS[0];
  for (let i = 1; i < LANCZOS_COEFFICIENTS.length; i++) {
    sum += (LANCZOS_COEFFICIENTS[i] as number) / (y + i);
  }
  const t = y + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), for a, b > 0. */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** ln(1 + e^x) without overflow. */
export function log1pExp(x: number): number {
  if (x > 35) return x;
  if (x < -35) return Math.exp(x);
  return Math.log1p(Math.exp(x));
}

/** ln(e^u + e^v) without overflow; either argument may be −Infinity. */
export function logSumExp2(u: number, v: number): number {
  if (u === Number.NEGATIVE_INFINITY) return v;
  if (v === Number.NEGATIVE_INFINITY) return u;
  return u > v ? u + Math.log1p(Math.exp(v - u)) : v + Math.log1p(Math.exp(u - v));
}

/** (e^u − 1) / u, accurate near u = 0 (equals 1 at u = 0). */
export function exprel(u: number): number {
  if (Math.abs(u) < 1e-5) return 1 + u / 2 + (u * u) / 6;
  return Math.expm1(u) / u;
}

export interface Hyp2f1Options {
  /** Stop when the bound on the remaining tail is below `tolerance` × |partial sum| (default 1e-15). */
  tolerance?: number;
  /** Hard cap on series terms (default 1,000,000). */
  maxTerms?: number;
}

/**
 * Gauss hypergeometric function ₂F₁(a, b; c; z) for real z ≤ 1.
 *
 * - 0 ≤ z < 1: direct power series Σ (a)ₙ(b)ₙ / ((c)ₙ n!) zⁿ, summed until the
 *   terms are decreasing and negligible relative to the partial sum.
 * - z < 0: Pfaff transformation ₂F₁(a,b;c;z) = (1−z)^(−a) ₂F₁(a, c−b; c; z/(z−1)),
 *   which maps z into [0, 1).
 * - z = 1: Gauss's theorem when c − a − b > 0.
 *
 * Throws RangeError for z > 1, for c a non-positive integer, or if the series
 * fails to converge within `maxTerms` (only possible for z extremely close to 1).
 */
export function hyp2f1(a: number, b: number, c: number, z: number, options: Hyp2f1Options = {}): number {
  if (![a, b, c, z].every(Number.isFinite)) return Number.NaN;
  if (c <= 0 && Number.isInteger(c)) throw new RangeError(`hyp2f1: c must not be a non-positive integer (c = ${c})`);
  if (z > 1) throw new RangeError(`hyp2f1: z must be ≤ 1 (z = ${z})`);
  if (z === 0 || a === 0 || b === 0) return 1;
  if (z === 1) {
    if (c - a - b <= 0) return Number.POSITIVE_INFINITY;
    return Math.exp(logGamma(c) + logGamma(c - a - b) - logGamma(c - a) - logGamma(c - b));
  }
  if (z < 0) {
    const w = z / (z - 1);
    return Math.pow(1 - z, -a) * hyp2f1(a, c - b, c, w, options);
  }
  return hyp2f1Series(a, b, c, z, options.tolerance ?? 1e-15, options.maxTerms ?? 1_000_000);
}

function hyp2f1Series(a: number, b: number, c: number, z: number, tolerance: number, maxTerms: number): number {
  let term = 1;
  let sum = 1;
  for (let n = 0; n < maxTerms; n++) {
    const ratio = (((a + n) * (b + n)) / ((c + n) * (n + 1))) * z;
    term *= ratio;
    sum += term;
    if (term === 0) return sum; // terminating series (a or b a non-positive integer)
    // The term ratio tends to z; once it is below 1 the remaining tail is bounded by a
    // geometric series with ratio q = max(|ratio|, z).
    const q = Math.max(Math.abs(ratio), z);
    if (q < 1 && (Math.abs(term) * q) / (1 - q) <= tolerance * Math.abs(sum)) return sum;
  }
  throw new RangeError(`hyp2f1: series did not converge in ${maxTerms} terms (a=${a}, b=${b}, c=${c}, z=${z})`);
}

export interface QuadratureOptions {
  /** Relative tolerance between successive refinements (default 1e-11). */
  tolerance?: number;
  /** Maximum number of step halvings (default 8: step 2⁻⁹, ≈ 4,100 nodes). */
  maxLevel?: number;
}

/**
 * ∫₀ᴸ f(u) du by tanh-sinh (double-exponential) quadrature, 0 < L.
 * `f` receives u and L − u, both computed without cancellation near the ends
 * (nodes cluster double-exponentially at both endpoints, so integrable endpoint
 * singularities and boundary layers are handled). Non-finite f values at nodes
 * extremely close to an endpoint are skipped.
 */
export function integrateTanhSinh(
  f: (u: number, upperMinusU: number) => number,
  upper: number,
  options: QuadratureOptions = {},
): number {
  const tolerance = options.tolerance ?? 1e-11;
  const maxLevel = options.maxLevel ?? 8;
  const T_MAX = 4; // σ = π/2·sinh(4) ≈ 42.9: nodes reach within ≈ e^-86 of the endpoints
  const halfPi = Math.PI / 2;
  // Contribution of node t: weight · f, on [0, upper].
  const node = (t: number): number => {
    const sigma = halfPi * Math.sinh(Math.abs(t));
    const e = Math.exp(-2 * sigma);
    const near = (upper * e) / (1 + e); // distance of the node to the nearest endpoint
    const weight = (upper * Math.PI * Math.cosh(t) * e) / ((1 + e) * (1 + e));
    if (near === 0 || weight === 0) return 0;
    const value = t >= 0 ? f(upper - near, near) : f(near, upper - near);
    return Number.isFinite(value) ? weight * value : 0;
  };
  let h = 0.5;
  let sum = node(0);
  for (let k = 1; k * h <= T_MAX; k++) sum += node(k * h) + node(-k * h);
  let estimate = sum * h;
  for (let level = 1; level <= maxLevel; level++) {
    h /= 2;
    for (let k = 1; k * h <= T_MAX; k += 2) sum += node(k * h) + node(-k * h);
    const next = sum * h;
    if (Math.abs(next - estimate) <= tolerance * Math.abs(next)) return next;
    estimate = next;
  }
  return estimate;
}

/**
 * Regularized incomplete beta function I_x(a, b), for a, b > 0 and 0 ≤ x ≤ 1, by the
 * continued fraction of Numerical Recipes (Press et al., 3rd ed., §6.4, `betai`/`betacf`)
 * evaluated with the modified Lentz method; the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) keeps
 * x on the side where the fraction converges fast. Relative accuracy ≈ 1e-14.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`regularizedIncompleteBeta: a and b must be > 0 (a = ${a}, b = ${b})`);
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  const EPS = 1e-15;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) <= EPS) return h;
  }
  throw new RangeError(`regularizedIncompleteBeta: continued fraction did not converge (x=${x}, a=${a}, b=${b})`);
}

/**
 * Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a), a > 0, x ≥ 0: the series for
 * P = 1 − Q when x < a + 1, otherwise the Legendre continued fraction (modified Lentz), as in
 * Numerical Recipes (3rd ed., §6.2, `gser`/`gcf`). Relative accuracy ≈ 1e-14.
 */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`regularizedGammaQ: a must be > 0 (a = ${a})`);
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  const logFront = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(logFront);
  }
  const TINY = 1e-300;
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(logFront) * h;
}
