import { describe, expect, it } from 'vitest';
import {
  bgnbdGroupedLogLikelihood,
  bgnbdLogLikelihood,
  expectedPurchases,
  expectedPurchasesByQuadrature,
  expectedPurchasesNewCustomer,
  fitBgNbd,
  groupRecencyFrequency,
  probabilityAlive,
  type BgNbdParams,
} from '#domain/customer-value/bgnbd.ts';
import { hyp2f1 } from '#domain/customer-value/special-functions.ts';
import type { RecencyFrequency } from '#domain/customer-value/purchase-summary.ts';
import { cdnowSampleSummaries } from './cdnow-fixture.ts';
import { betaFunction, gammaFunction, relativeError } from './reference-math.ts';

/** Published estimates for the CDNOW sample (Fader, Hardie & Lee 2005, Table 1 / implementation note). */
const PAPER: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/** The paper's likelihood (FHL 2005 eq. 6), evaluated directly in linear space. */
function directLikelihood({ r, alpha, a, b }: BgNbdParams, x: number, tx: number, T: number): number {
  const common = (gammaFunction(r + x) * Math.pow(alpha, r)) / gammaFunction(r);
  const survive = (betaFunction(a, b + x) / betaFunction(a, b)) * (common / Math.pow(alpha + T, r + x));
  const dropped = x > 0 ? (betaFunction(a + 1, b + x - 1) / betaFunction(a, b)) * (common / Math.pow(alpha + tx, r + x)) : 0;
  return survive + dropped;
}

/** FHL 2005 eq. 10 evaluated literally with the generic ₂F₁ series. */
function directExpectation({ r, alpha, a, b }: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  const z = t / (alpha + T + t);
  const bracket = 1 - Math.pow((alpha + T) / (alpha + T + t), r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z);
  const denominator = 1 + (x > 0 ? (a / (b + x - 1)) * Math.pow((alpha + T) / (alpha + tx), r + x) : 0);
  return (((a + b + x - 1) / (a - 1)) * bracket) / denominator;
}

describe('BG/NBD reproduction on the CDNOW sample (Fader, Hardie & Lee 2005)', () => {
  const summaries = cdnowSampleSummaries();
  const fit = fitBgNbd(summaries);

  it('fits r, α, a, b within 1% of the published estimates', () => {
    expect(fit.customers).toBe(2357);
    expect(fit.converged).toBe(true);
    expect(relativeError(fit.r, PAPER.r)).toBeLessThan(0.01);
    expect(relativeError(fit.alpha, PAPER.alpha)).toBeLessThan(0.01);
    expect(relativeError(fit.a, PAPER.a)).toBeLessThan(0.01);
    expect(relativeError(fit.b, PAPER.b)).toBeLessThan(0.01);
  });

  it('reaches the published log-likelihood of −9,582.4', () => {
    expect(fit.logLikelihood).toBeCloseTo(-9582.43, 1);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(bgnbdGroupedLogLikelihood(PAPER, groupRecencyFrequency(summaries)));
    expect(fit.iterations).toBeGreaterThan(0);
  });

  it('reproduces E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226 from the paper', () => {
    expect(expectedPurchases(PAPER, 39, 2, 30.43, 38.86)).toBeCloseTo(1.226, 3);
  });

  it('groups the 2,357 customers into far fewer distinct (x, t_x, T) rows', () => {
    expect(fit.groups).toBeLessThan(1100);
    const grouped = groupRecencyFrequency(summaries);
    const total = summaries.reduce((sum, s) => sum + bgnbdLogLikelihood(fit, s.x, s.tx, s.T), 0);
    expect(bgnbdGroupedLogLikelihood(fit, grouped)).toBeCloseTo(total, 7);
  });
});

describe('BG/NBD log-likelihood', () => {
  const moderate: BgNbdParams = { r: 0.5, alpha: 3, a: 0.8, b: 2.5 };

  it('equals a direct (linear-space) evaluation of the paper’s formula for moderate values', () => {
    const customers: [number, number, number][] = [
      [0, 0, 20],
      [1, 5, 20],
      [3, 10, 20],
      [7, 38, 39],
      [2, 0.5, 1],
    ];
    for (const params of [moderate, PAPER, { r: 2, alpha: 10, a: 1.5, b: 4 }]) {
      for (const [x, tx, T] of customers) {
        const direct = Math.log(directLikelihood(params, x, tx, T));
        expect(Math.abs(bgnbdLogLikelihood(params, x, tx, T) - direct)).toBeLessThan(1e-9 * Math.max(1, Math.abs(direct)));
      }
    }
  });

  it('for x = 0 reduces to r ln(α/(α+T)) (B(a, b)/B(a, b) = 1, no dropout term)', () => {
    const { r, alpha } = moderate;
    expect(bgnbdLogLikelihood(moderate, 0, 0, 12)).toBeCloseTo(r * Math.log(alpha / (alpha + 12)), 12);
    expect(bgnbdLogLikelihood(moderate, 0, 0, 0)).toBeCloseTo(0, 14);
  });

  it('grouped likelihood of many identical customers equals count × single likelihood', () => {
    const customers: RecencyFrequency[] = Array.from({ length: 500 }, () => ({ x: 2, tx: 10, T: 30 }));
    const grouped = groupRecencyFrequency(customers);
    expect(grouped.rows).toBe(1);
    expect(bgnbdGroupedLogLikelihood(moderate, grouped)).toBeCloseTo(500 * bgnbdLogLikelihood(moderate, 2, 10, 30), 9);
    const ungrouped = groupRecencyFrequency(customers, { merge: false });
    expect(ungrouped.rows).toBe(500);
    expect(bgnbdGroupedLogLikelihood(moderate, ungrouped)).toBeCloseTo(bgnbdGroupedLogLikelihood(moderate, grouped), 8);
  });

  it('is finite (no NaN) for extreme data and parameters', () => {
    const extremes = [1e-8, 1e-3, 1, 1e3, 1e8];
    const data: [number, number, number][] = [
      [0, 0, 0],
      [0, 0, 1000],
      [1, 0, 0],
      [100, 999, 1000],
      [100, 0.001, 1000],
      [1000, 5000, 10_000],
    ];
    for (const r of extremes)
      for (const alpha of extremes)
        for (const a of extremes)
          for (const b of extremes) {
            const params = { r, alpha, a, b };
            for (const [x, tx, T] of data) {
              const ll = bgnbdLogLikelihood(params, x, tx, T);
              expect(Number.isFinite(ll), `${JSON.stringify(params)} x=${x} tx=${tx} T=${T}: ${ll}`).toBe(true);
            }
          }
  });

  it('rejects invalid customers', () => {
    expect(() => groupRecencyFrequency([{ x: 1.5, tx: 1, T: 2 }])).toThrow(RangeError);
    expect(() => groupRecencyFrequency([{ x: 1, tx: 3, T: 2 }])).toThrow(RangeError);
    expect(() => fitBgNbd([])).toThrow(RangeError);
  });
});

describe('fitBgNbd', () => {
  it('grouped fit equals the ungrouped fit on a base of many identical customers', () => {
    const customers: RecencyFrequency[] = [];
    const profiles: [number, number, number, number][] = [
      [0, 0, 30, 200],
      [1, 4, 30, 60],
      [2, 20, 30, 40],
      [5, 28, 30, 20],
      [0, 0, 12, 75],
      [3, 10, 12, 15],
      [1, 11, 12, 25],
    ];
    for (const [x, tx, T, count] of profiles) for (let i = 0; i < count; i++) customers.push({ x, tx, T });
    const grouped = fitBgNbd(customers);
    expect(grouped.groups).toBe(profiles.length);
    for (const likelihood of ['ungrouped', 'naive'] as const) {
      const other = fitBgNbd(customers, { likelihood });
      expect(other.groups).toBe(customers.length);
      for (const key of ['r', 'alpha', 'a', 'b'] as const) expect(relativeError(other[key], grouped[key])).toBeLessThan(1e-4);
      expect(other.logLikelihood).toBeCloseTo(grouped.logLikelihood, 6);
    }
  });

  it('returns finite parameters for a single customer and for a base without repeat purchases', () => {
    for (const customers of [[{ x: 3, tx: 20, T: 30 }], [{ x: 0, tx: 0, T: 30 }], Array.from({ length: 50 }, () => ({ x: 0, tx: 0, T: 10 }))]) {
      const fit = fitBgNbd(customers);
      for (const v of [fit.r, fit.alpha, fit.a, fit.b, fit.logLikelihood]) expect(Number.isFinite(v)).toBe(true);
      expect(fit.logLikelihood).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe('probabilityAlive', () => {
  it('is 1 for customers without repeat purchases', () => {
    expect(probabilityAlive(PAPER, 0, 0, 38.86)).toBe(1);
    expect(probabilityAlive(PAPER, 0, 0, 1e6)).toBe(1);
  });

  it('matches 1 / (1 + a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))', () => {
    const { r, alpha, a, b } = PAPER;
    const expected = 1 / (1 + (a / (b + 2 - 1)) * Math.pow((alpha + 38.86) / (alpha + 30.43), r + 2));
    expect(probabilityAlive(PAPER, 2, 30.43, 38.86)).toBeCloseTo(expected, 14);
  });

  it('decreases in T for fixed x, t_x and stays in [0, 1] for extreme inputs', () => {
    let previous = 1;
    for (const T of [10, 15, 20, 40, 80, 160, 1000]) {
      const p = probabilityAlive(PAPER, 3, 10, T);
      expect(p).toBeLessThan(previous);
      previous = p;
    }
    for (const [x, tx, T] of [
      [100, 1, 1000],
      [100, 999, 1000],
      [1, 0, 1e9],
    ] as const) {
      const p = probabilityAlive(PAPER, x, tx, T);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
    }
    expect(probabilityAlive(PAPER, 100, 1, 1000)).toBeLessThan(1e-100);
  });
});

describe('expectedPurchases', () => {
  it('agrees with the literal formula (generic ₂F₁) and with quadrature for moderate values', () => {
    const cases: [BgNbdParams, number, number, number, number][] = [
      [PAPER, 39, 2, 30.43, 38.86],
      [PAPER, 1, 0, 0, 38.86],
      [PAPER, 52, 0, 0, 0],
      [PAPER, 0.01, 3, 10, 20],
      [{ r: 2, alpha: 10, a: 1.5, b: 3 }, 20, 5, 15, 30],
      [{ r: 0.5, alpha: 2, a: 0.3, b: 0.4 }, 100, 0, 0, 5],
      [PAPER, 39, 100, 900, 1000],
    ];
    for (const [params, t, x, tx, T] of cases) {
      const value = expectedPurchases(params, t, x, tx, T);
      expect(relativeError(value, directExpectation(params, t, x, tx, T))).toBeLessThan(1e-9);
      expect(relativeError(value, expectedPurchasesByQuadrature(params, t, x, tx, T))).toBeLessThan(1e-9);
    }
  });

  it('is continuous through a = 1, where the literal formula is 0/0', () => {
    const at1 = expectedPurchases({ r: 2, alpha: 10, a: 1, b: 3 }, 20, 5, 15, 30);
    const near1 = expectedPurchases({ r: 2, alpha: 10, a: 1 + 1e-7, b: 3 }, 20, 5, 15, 30);
    expect(Number.isFinite(at1)).toBe(true);
    expect(relativeError(at1, near1)).toBeLessThan(1e-6);
  });

  it('is 0 at t = 0 and increasing in t', () => {
    for (const [x, tx, T] of [
      [0, 0, 38.86],
      [2, 30.43, 38.86],
      [10, 5, 38],
    ] as const) {
      expect(expectedPurchases(PAPER, 0, x, tx, T)).toBe(0);
      let previous = 0;
      for (const t of [0.5, 1, 2, 5, 13, 26, 39, 52, 104, 260, 520]) {
        const value = expectedPurchases(PAPER, t, x, tx, T);
        expect(value).toBeGreaterThan(previous);
        previous = value;
      }
    }
  });

  it('stays finite and non-negative for extreme data and parameters', () => {
    const extremes = [1e-8, 1, 1e8];
    for (const r of extremes)
      for (const alpha of extremes)
        for (const a of extremes)
          for (const b of extremes)
            for (const [x, tx, T] of [
              [0, 0, 0],
              [100, 999, 1000],
              [3, 20, 38],
            ] as const) {
              const value = expectedPurchases({ r, alpha, a, b }, 39, x, tx, T);
              expect(Number.isFinite(value) && value >= 0, `${JSON.stringify({ r, alpha, a, b })} x=${x}: ${value}`).toBe(true);
            }
  });

  it('for a new customer equals the unconditional E[X(t)] of the paper', () => {
    const { r, alpha, a, b } = PAPER;
    for (const t of [1, 13, 39, 78]) {
      const literal = ((a + b - 1) / (a - 1)) * (1 - Math.pow(alpha / (alpha + t), r) * hyp2f1(r, b, a + b - 1, t / (alpha + t)));
      expect(relativeError(expectedPurchasesNewCustomer(PAPER, t), literal)).toBeLessThan(1e-10);
    }
  });
});
