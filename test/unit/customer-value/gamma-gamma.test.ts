import { describe, expect, it } from 'vitest';
import {
  expectedAverageOrderValue,
  fitGammaGamma,
  gammaGammaLogLikelihood,
  isGammaGammaEligible,
  populationAverageOrderValue,
  type GammaGammaParams,
  type SpendObservation,
} from '#domain/customer-value/gamma-gamma.ts';
import { integrateTanhSinh } from '#domain/customer-value/special-functions.ts';
import { cdnowSampleSummaries } from './cdnow-fixture.ts';
import { gammaFunction, relativeError } from './reference-math.ts';

/** lifetimes' published Gamma-Gamma estimates on the CDNOW sample (repeat customers, mean repeat value). */
const LIFETIMES: GammaGammaParams = { p: 6.25, q: 3.74, v: 15.45 };

describe('Gamma-Gamma on the CDNOW sample', () => {
  const summaries = cdnowSampleSummaries();
  const fit = fitGammaGamma(summaries);

  it('converges on the repeat customers with finite positive p, q, v', () => {
    expect(fit.customers).toBe(946); // 2,357 − 1,411 customers without repeat purchases
    expect(fit.converged).toBe(true);
    for (const v of [fit.p, fit.q, fit.v]) expect(Number.isFinite(v) && v > 0).toBe(true);
    expect(Number.isFinite(fit.logLikelihood)).toBe(true);
  });

  it('is close to lifetimes’ estimates and gives a plausible population order value', () => {
    expect(relativeError(fit.p, LIFETIMES.p)).toBeLessThan(0.01);
    expect(relativeError(fit.q, LIFETIMES.q)).toBeLessThan(0.01);
    expect(relativeError(fit.v, LIFETIMES.v)).toBeLessThan(0.01);
    const populationMean = populationAverageOrderValue(fit);
    expect(populationMean).toBeGreaterThan(20);
    expect(populationMean).toBeLessThan(60);
  });

  it('gives the same estimates with the ungrouped and naive likelihoods', () => {
    for (const likelihood of ['ungrouped', 'naive'] as const) {
      const other = fitGammaGamma(summaries, { likelihood });
      expect(other.groups).toBe(946);
      for (const key of ['p', 'q', 'v'] as const) expect(relativeError(other[key], fit[key])).toBeLessThan(1e-4);
      expect(other.logLikelihood).toBeCloseTo(fit.logLikelihood, 6);
    }
    expect(fit.groups).toBeLessThan(946);
  });
});

describe('Gamma-Gamma likelihood', () => {
  const params: GammaGammaParams = { p: 6, q: 4, v: 15 };

  it('equals the direct linear-space formula', () => {
    const direct = ({ p, q, v }: GammaGammaParams, x: number, m: number): number =>
      (gammaFunction(p * x + q) / (gammaFunction(p * x) * gammaFunction(q))) *
      ((Math.pow(v, q) * Math.pow(m, p * x - 1) * Math.pow(x, p * x)) / Math.pow(v + x * m, p * x + q));
    for (const [x, m] of [
      [1, 10],
      [2, 35.5],
      [5, 20],
      [10, 80],
    ] as const) {
      const expected = Math.log(direct(params, x, m));
      expect(Math.abs(gammaGammaLogLikelihood(params, x, m) - expected)).toBeLessThan(1e-9 * Math.max(1, Math.abs(expected)));
    }
  });

  it('is a probability density of the mean value m̄ for each x', () => {
    for (const x of [1, 3, 12]) {
      // ∫₀^∞ f(m̄) dm̄ with m̄ = s/(1−s)
      const total = integrateTanhSinh((s, oneMinusS) => {
        const m = s / oneMinusS;
        return Math.exp(gammaGammaLogLikelihood(params, x, m)) / (oneMinusS * oneMinusS);
      }, 1);
      expect(total).toBeCloseTo(1, 8);
    }
  });

  it('is finite for extreme values', () => {
    for (const p of [1e-6, 1, 1e6])
      for (const q of [1e-6, 1, 1e6])
        for (const v of [1e-6, 1, 1e6])
          for (const [x, m] of [
            [1, 1e-3],
            [100, 1e5],
            [1000, 12],
          ] as const) {
            expect(Number.isFinite(gammaGammaLogLikelihood({ p, q, v }, x, m))).toBe(true);
          }
  });
});

describe('expectedAverageOrderValue', () => {
  const params: GammaGammaParams = { p: 6.25, q: 3.74, v: 15.45 };

  it('is the credibility-weighted mean of population mean and the customer’s own mean', () => {
    const population = (params.p * params.v) / (params.q - 1);
    expect(populationAverageOrderValue(params)).toBeCloseTo(population, 12);
    expect(expectedAverageOrderValue(params, 0, 0)).toBeCloseTo(population, 12);
    for (const [x, m] of [
      [1, 10],
      [4, 80],
    ] as const) {
      const weight = (params.q - 1) / (params.p * x + params.q - 1);
      expect(expectedAverageOrderValue(params, x, m)).toBeCloseTo(weight * population + (1 - weight) * m, 10);
    }
    // More repeat transactions → closer to the customer's own mean.
    const few = expectedAverageOrderValue(params, 1, 100);
    const many = expectedAverageOrderValue(params, 20, 100);
    expect(Math.abs(many - 100)).toBeLessThan(Math.abs(few - 100));
  });

  it('is NaN when the mean does not exist (q ≤ 1 for x = 0)', () => {
    expect(expectedAverageOrderValue({ p: 2, q: 0.8, v: 10 }, 0, 0)).toBeNaN();
    expect(Number.isFinite(expectedAverageOrderValue({ p: 2, q: 0.8, v: 10 }, 1, 20))).toBe(true);
  });
});

describe('fitGammaGamma input handling', () => {
  it('uses only x > 0 customers with a positive mean, and rejects an empty set', () => {
    const observations: SpendObservation[] = [
      { x: 0, monetaryValue: 0 },
      { x: 2, monetaryValue: 0 },
      { x: 1, monetaryValue: 12 },
    ];
    expect(observations.filter(isGammaGammaEligible)).toHaveLength(1);
    expect(() => fitGammaGamma(observations.slice(0, 2))).toThrow(RangeError);
    const single = fitGammaGamma(observations);
    expect(single.customers).toBe(1);
    for (const v of [single.p, single.q, single.v, single.logLikelihood]) expect(Number.isFinite(v)).toBe(true);
  });
});
