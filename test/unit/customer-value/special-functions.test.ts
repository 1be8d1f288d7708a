import { describe, expect, it } from 'vitest';
import {
  exprel,
  hyp2f1,
  integrateTanhSinh,
  log1pExp,
  logBeta,
  logGamma,
  logSumExp2,
} from '#domain/customer-value/special-functions.ts';

const relativeError = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);

describe('logGamma', () => {
  it('matches known values', () => {
    const cases: [number, number][] = [
      [0.5, 0.5 * Math.log(Math.PI)],
      [1, 0],
      [2, 0],
      [3, Math.log(2)],
      [10, Math.log(362_880)],
      [100, 359.134_205_369_575_4],
      [1e-8, 18.420_680_738_180_21], // −ln(1e-8) − γ·1e-8
      [0.1, 2.252_712_651_734_206],
      [1e6, 12_815_504.569_147_61],
    ];
    for (const [x, expected] of cases) {
      if (expected === 0) expect(Math.abs(logGamma(x))).toBeLessThan(1e-14);
      else expect(relativeError(logGamma(x), expected)).toBeLessThan(1e-13);
    }
  });

  it('satisfies Γ(x+1) = xΓ(x) across magnitudes', () => {
    for (const x of [1e-6, 0.3, 0.793, 2.426, 17.5, 1234.5, 3e7]) {
      // Differences of large values: allow a few ulps of ln Γ(x) itself.
      const tolerance = 1e-13 + 4 * Number.EPSILON * Math.abs(logGamma(x));
      expect(Math.abs(logGamma(x + 1) - logGamma(x) - Math.log(x))).toBeLessThan(tolerance);
    }
  });

  it('handles poles and NaN', () => {
    expect(logGamma(0)).toBe(Number.POSITIVE_INFINITY);
    expect(logGamma(-3)).toBe(Number.POSITIVE_INFINITY);
    expect(logGamma(Number.NaN)).toBeNaN();
  });

  it('logBeta(a, b) = ln(Γ(a)Γ(b)/Γ(a+b))', () => {
    expect(logBeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 14);
    expect(logBeta(0.5, 0.5)).toBeCloseTo(Math.log(Math.PI), 14);
  });
});

describe('log-space helpers', () => {
  it('logSumExp2 and log1pExp do not overflow', () => {
    expect(logSumExp2(1000, 1000)).toBeCloseTo(1000 + Math.log(2), 10);
    expect(logSumExp2(-1000, Number.NEGATIVE_INFINITY)).toBe(-1000);
    expect(logSumExp2(Math.log(2), Math.log(3))).toBeCloseTo(Math.log(5), 14);
    expect(log1pExp(800)).toBe(800);
    expect(log1pExp(0)).toBeCloseTo(Math.log(2), 15);
  });

  it('exprel is continuous at 0', () => {
    expect(exprel(0)).toBe(1);
    expect(exprel(1e-9)).toBeCloseTo(1 + 5e-10, 15);
    expect(exprel(1)).toBeCloseTo(Math.E - 1, 15);
  });
});

describe('hyp2f1', () => {
  it('matches closed forms', () => {
    for (const z of [0.1, 0.5, 0.9, 0.99]) {
      // ₂F₁(1, 1; 2; z) = −ln(1−z)/z
      expect(relativeError(hyp2f1(1, 1, 2, z), -Math.log1p(-z) / z)).toBeLessThan(1e-13);
      // ₂F₁(a, b; b; z) = (1−z)^(−a)
      expect(relativeError(hyp2f1(0.7, 2.5, 2.5, z), Math.pow(1 - z, -0.7))).toBeLessThan(1e-13);
    }
    // ₂F₁(1/2, 1/2; 3/2; z²) = arcsin(z)/z
    expect(relativeError(hyp2f1(0.5, 0.5, 1.5, 0.25), Math.asin(0.5) / 0.5)).toBeLessThan(1e-14);
  });

  it('uses the Pfaff transformation for negative z', () => {
    // ₂F₁(1, 1; 2; −z) = ln(1+z)/z
    for (const z of [0.5, 3, 50]) expect(relativeError(hyp2f1(1, 1, 2, -z), Math.log1p(z) / z)).toBeLessThan(1e-12);
  });

  it('applies Gauss’s theorem at z = 1, terminates polynomials and rejects z > 1', () => {
    // ₂F₁(a, b; c; 1) = Γ(c)Γ(c−a−b)/(Γ(c−a)Γ(c−b)); with a=1, b=1, c=3: 2
    expect(hyp2f1(1, 1, 3, 1)).toBeCloseTo(2, 12);
    expect(hyp2f1(-2, 3, 4, 0.5)).toBeCloseTo(1 - 2 * (3 / 4) * 0.5 + ((3 * 4) / (4 * 5)) * 0.25, 14);
    expect(() => hyp2f1(1, 1, 2, 1.5)).toThrow(RangeError);
  });
});

describe('integrateTanhSinh', () => {
  it('integrates smooth functions and endpoint singularities', () => {
    expect(integrateTanhSinh((u) => Math.exp(u), 1)).toBeCloseTo(Math.E - 1, 12);
    expect(integrateTanhSinh((u) => 1 / Math.sqrt(u), 1)).toBeCloseTo(2, 9);
    // ∫₀¹ ln(1−u) du = −1, singular at the upper end; uses the complement argument.
    expect(integrateTanhSinh((_u, c) => Math.log(c), 1)).toBeCloseTo(-1, 10);
    expect(integrateTanhSinh((u) => u * u, 3)).toBeCloseTo(9, 12);
  });
});
