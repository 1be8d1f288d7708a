import { describe, expect, it } from 'vitest';
import { regularizedGammaQ, regularizedIncompleteBeta } from '#domain/customer-value/special-functions.ts';
import {
  AB_MINIMUM,
  holmAdjust,
  judgeAbTest,
  newcombeDifference,
  normalCdf,
  normalQuantile,
  studentTCdf,
  studentTQuantile,
  summarise,
  welchDifference,
  wilsonInterval,
} from '#domain/statistics.ts';
import { seededRandom } from '#lib/local/seeded-random.ts';

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

describe('regularized incomplete beta and gamma', () => {
  it('matches closed forms', () => {
    // I_x(a, b) for integer a, b is a binomial tail: I_0.3(2, 5) = 1 − 0.7⁶ − 6·0.3·0.7⁵.
    expect(regularizedIncompleteBeta(0.3, 2, 5)).toBeCloseTo(1 - 0.7 ** 6 - 6 * 0.3 * 0.7 ** 5, 13);
    expect(regularizedIncompleteBeta(0.42, 1, 1)).toBeCloseTo(0.42, 14);
    expect(regularizedIncompleteBeta(0.8, 3.5, 1)).toBeCloseTo(0.8 ** 3.5, 13);
    expect(regularizedIncompleteBeta(0.2, 1, 4.5)).toBeCloseTo(1 - 0.8 ** 4.5, 13);
    expect(regularizedIncompleteBeta(0.5, 7.3, 7.3)).toBeCloseTo(0.5, 13);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
    // Q(1, x) = e^−x; Q(½, x) = erfc(√x).
    expect(regularizedGammaQ(1, 2.5)).toBeCloseTo(Math.exp(-2.5), 14);
    expect(regularizedGammaQ(1, 0.3)).toBeCloseTo(Math.exp(-0.3), 14);
    expect(() => regularizedIncompleteBeta(0.5, 0, 1)).toThrow(/a and b must be > 0/);
  });
});

describe('normal and Student t distributions', () => {
  it('give the tabulated quantiles (R: qnorm, qt)', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 10);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829303548901, 10);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 8);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
    // qt(0.975, df) in R: 12.706205 (1), 2.228139 (10), 2.042272 (30).
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706205, 5);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228139, 5);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042272, 5);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.228139, 5);
    // t with 1 df is Cauchy: P(T ≤ 1) = 3/4.
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 12);
  });
});

describe('Wilson score interval', () => {
  it('matches Newcombe (1998, single proportion, method 3) Table I', () => {
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [x, n, lower, upper] of cases) {
      const ci = wilsonInterval(x, n);
      expect([round4(ci.lower), round4(ci.upper)], `${x}/${n}`).toEqual([lower, upper]);
    }
  });

  it('refuses impossible counts, naming them', () => {
    expect(() => wilsonInterval(5, 3)).toThrow(/5 of 3/);
  });
});

describe('Newcombe hybrid score interval for a difference of proportions', () => {
  it('matches Newcombe (1998) Table II, method 10', () => {
    const cases: [number, number, number, number, number, number][] = [
      [56, 70, 48, 80, 0.0524, 0.3339],
      [9, 10, 3, 10, 0.1705, 0.809],
      [5, 56, 0, 29, -0.0381, 0.1926],
      [0, 10, 0, 20, -0.1611, 0.2775],
      [0, 10, 0, 10, -0.2775, 0.2775],
      [10, 10, 0, 20, 0.6791, 1],
      [10, 10, 0, 10, 0.6075, 1],
    ];
    for (const [x1, n1, x2, n2, lower, upper] of cases) {
      const d = newcombeDifference(x1, n1, x2, n2);
      expect([round4(d.lower), round4(d.upper)], `${x1}/${n1} − ${x2}/${n2}`).toEqual([lower, upper]);
    }
  });

  it('has a p-value consistent with its interval: below 0.05 exactly when the 95% interval excludes 0', () => {
    for (const [x1, n1, x2, n2] of [[56, 70, 48, 80], [5, 56, 0, 29], [30, 200, 18, 210], [12, 100, 10, 100], [40, 300, 61, 300]] as const) {
      const d = newcombeDifference(x1, n1, x2, n2);
      expect(d.pValue < 0.05, `${x1}/${n1} − ${x2}/${n2}`).toBe(d.lower > 0 || d.upper < 0);
      // At the level 1 − p the interval just touches zero.
      const edge = newcombeDifference(x1, n1, x2, n2, 1 - d.pValue);
      expect(Math.min(Math.abs(edge.lower), Math.abs(edge.upper))).toBeLessThan(1e-6);
    }
    expect(newcombeDifference(7, 50, 7, 50).pValue).toBe(1);
  });
});

describe("Welch's t interval", () => {
  it("matches R's t.test(extra ~ group, data = sleep)", () => {
    // R 4.x prints: t = -1.8608, df = 17.776, p-value = 0.07939, 95 percent CI -3.3654832 0.2054832.
    const group1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
    const group2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
    const d = welchDifference(summarise(group1), summarise(group2))!;
    expect(d.estimate).toBeCloseTo(-1.58, 12);
    expect(d.df).toBeCloseTo(17.776, 3);
    expect(d.lower).toBeCloseTo(-3.3654832, 6);
    expect(d.upper).toBeCloseTo(0.2054832, 6);
    expect(d.pValue).toBeCloseTo(0.07939, 5);
  });

  it('by hand: means 10 and 8, variances 4 and 9, n 20 and 30', () => {
    // se² = 4/20 + 9/30 = 0.5; df = 0.25 / (0.2²/19 + 0.3²/29) = 47.89…; t(0.975, 47.89) ≈ 2.0109
    const d = welchDifference({ n: 20, mean: 10, variance: 4 }, { n: 30, mean: 8, variance: 9 })!;
    const df = 0.25 / (0.04 / 19 + 0.09 / 29);
    expect(d.df).toBeCloseTo(df, 10);
    const t = studentTQuantile(0.975, df);
    expect(t).toBeCloseTo(2.0109, 3);
    expect(d.lower).toBeCloseTo(2 - t * Math.sqrt(0.5), 10);
    expect(d.upper).toBeCloseTo(2 + t * Math.sqrt(0.5), 10);
  });

  it('is undefined for a group of fewer than two', () => {
    expect(welchDifference({ n: 1, mean: 3, variance: 0 }, { n: 30, mean: 8, variance: 9 })).toBeUndefined();
  });
});

describe('Holm–Bonferroni', () => {
  it('adjusts p-values as R p.adjust(method = "holm") does', () => {
    // sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → running max 0.02, 0.03, 0.06, 0.06
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    expect(adjusted.map((p) => Math.round(p * 1e10) / 1e10)).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(holmAdjust([0.5, 0.9])).toEqual([1, 1]);
    expect(holmAdjust([])).toEqual([]);
  });
});

describe('A/B winner rule', () => {
  it('names no winner below the minimum sample, however large the gap', () => {
    const verdict = judgeAbTest([
      { name: 'a', customers: 80, conversions: 40 },
      { name: 'b', customers: 80, conversions: 5 },
    ]);
    expect(verdict.verdict).toBe('too-few');
  });

  it('names a winner that beats every other variant after Holm, and none when the gap is noise', () => {
    const clear = judgeAbTest([
      { name: 'a', customers: 1000, conversions: 150 },
      { name: 'b', customers: 1000, conversions: 90 },
      { name: 'c', customers: 1000, conversions: 95 },
    ]);
    expect(clear).toMatchObject({ verdict: 'winner', winner: 'a' });
    expect(clear.comparisons).toHaveLength(3);
    const noise = judgeAbTest([
      { name: 'a', customers: 1000, conversions: 100 },
      { name: 'b', customers: 1000, conversions: 92 },
    ]);
    expect(noise.verdict).toBe('no-winner');
    expect(AB_MINIMUM.conversionsPerArm).toBe(30);
  });
});

describe('coverage (seeded simulation)', () => {
  const binomial = (random: () => number, n: number, p: number) => {
    let x = 0;
    for (let i = 0; i < n; i++) if (random() < p) x++;
    return x;
  };

  it('the 95% Newcombe interval covers the true difference in 93–97% of 2,000 experiments', () => {
    const random = seededRandom('newcombe-coverage');
    const [n1, p1, n2, p2] = [400, 0.12, 380, 0.08];
    let covered = 0;
    for (let run = 0; run < 2000; run++) {
      const d = newcombeDifference(binomial(random, n1, p1), n1, binomial(random, n2, p2), n2);
      if (d.lower <= p1 - p2 && p1 - p2 <= d.upper) covered++;
    }
    expect(covered / 2000).toBeGreaterThanOrEqual(0.93);
    expect(covered / 2000).toBeLessThanOrEqual(0.97);
  });

  it("the 95% Welch interval covers the true difference of mean revenue in 93–97% of 2,000 experiments", () => {
    const random = seededRandom('welch-coverage');
    // Revenue per customer: zero for most, exponential order values for converters (skewed, as real revenue is).
    const revenue = (n: number, rate: number, meanOrder: number) => Array.from({ length: n }, () => (random() < rate ? -meanOrder * Math.log(1 - random()) : 0));
    const truth = 0.3 * 60 - 0.2 * 50;
    let covered = 0;
    for (let run = 0; run < 2000; run++) {
      const d = welchDifference(summarise(revenue(300, 0.3, 60)), summarise(revenue(250, 0.2, 50)))!;
      if (d.lower <= truth && truth <= d.upper) covered++;
    }
    expect(covered / 2000).toBeGreaterThanOrEqual(0.93);
    expect(covered / 2000).toBeLessThanOrEqual(0.97);
  });
});
