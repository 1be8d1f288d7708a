import { describe, expect, it } from 'vitest';
import { expectedPurchases, probabilityAlive } from '#domain/customer-value/bgnbd.ts';
import { discountedExpectedPurchases } from '#domain/customer-value/clv.ts';
import { CustomerValueResultSchema, fitCustomerValue, formatScoresCsv } from '#domain/customer-value/fit-customer-value.ts';
import { populationAverageOrderValue } from '#domain/customer-value/gamma-gamma.ts';
import { CDNOW_CALIBRATION, cdnowSampleOrders } from './cdnow-fixture.ts';
import { relativeError } from './reference-math.ts';

describe('fitCustomerValue on the CDNOW sample', () => {
  const result = fitCustomerValue(cdnowSampleOrders(), { ...CDNOW_CALIBRATION, discountRatePerPeriod: 0.002 });

  it('returns a result matching its schema, with both models fitted', () => {
    expect(CustomerValueResultSchema.safeParse(result).success).toBe(true);
    expect(result.customers).toBe(2357);
    expect(relativeError(result.bgnbd.r, 0.243)).toBeLessThan(0.01);
    expect(relativeError(result.bgnbd.alpha, 4.414)).toBeLessThan(0.01);
    expect(relativeError(result.bgnbd.a, 0.793)).toBeLessThan(0.01);
    expect(relativeError(result.bgnbd.b, 2.426)).toBeLessThan(0.01);
    expect(result.bgnbd.converged && result.gammaGamma.converged).toBe(true);
    expect(result.gammaGamma.customers).toBe(946);
    const population = populationAverageOrderValue(result.gammaGamma);
    expect(population).toBeGreaterThan(20);
    expect(population).toBeLessThan(60);
  });

  it('scores every customer consistently with the model functions', () => {
    expect(result.scores).toHaveLength(2357);
    const params = result.bgnbd;
    const first = result.scores[0];
    expect(first).toMatchObject({ customerId: '00004', x: 2 });
    if (first === undefined) throw new Error('no scores');
    expect(first.pAlive).toBeCloseTo(probabilityAlive(params, first.x, first.tx, first.T), 14);
    expect(first.expected39).toBeCloseTo(1.226, 2);
    expect(first.expected1).toBeCloseTo(expectedPurchases(params, 1, first.x, first.tx, first.T), 14);
    expect(first.clv).toBeCloseTo(
      first.expectedAov * discountedExpectedPurchases(params, first, { horizonPeriods: 52, discountRatePerPeriod: 0.002 }),
      10,
    );
    const population = populationAverageOrderValue(result.gammaGamma);
    for (const s of result.scores) {
      expect(s.pAlive).toBeGreaterThan(0);
      expect(s.pAlive).toBeLessThanOrEqual(1);
      expect(s.expected39).toBeGreaterThan(s.expected1);
      expect(s.clv).toBeGreaterThan(0);
    }
    // Customers without a repeat purchase: certainly alive (BG/NBD), the population's order value (Gamma-Gamma).
    const oneTimers = result.scores.filter((s) => s.x === 0);
    expect(oneTimers.length).toBeGreaterThan(1000); // most of the CDNOW cohort never bought again in the calibration period
    expect(oneTimers.filter((s) => s.pAlive !== 1)).toEqual([]);
    for (const s of oneTimers) expect(s.expectedAov).toBeCloseTo(population, 10);
  });

  it('evaluates the 39-week hold-out (weeks 40–78)', () => {
    const holdout = result.holdout;
    if (holdout === undefined) throw new Error('no hold-out evaluation');
    expect(holdout.customers).toBe(2357);
    expect(holdout.periods).toBe(39);
    expect(holdout.actualTotal).toBe(1882); // distinct purchase days of these customers in 1997-10-01 … 1998-06-30
    // The hold-out is 39 weeks, so the prediction is the sum of the E[Y(39)] scores.
    const sumExpected39 = result.scores.reduce((sum, s) => sum + s.expected39, 0);
    expect(holdout.predictedTotal).toBeCloseTo(sumExpected39, 6);
    expect(holdout.predictedTotal / holdout.actualTotal).toBeGreaterThan(0.8);
    expect(holdout.predictedTotal / holdout.actualTotal).toBeLessThan(1.1);
    expect(holdout.meanAbsoluteError).toBeGreaterThan(0);
    expect(holdout.rmse).toBeGreaterThanOrEqual(holdout.meanAbsoluteError);
  });

  it('formats the scores as CSV', () => {
    const csv = formatScoresCsv(result.scores.slice(0, 2));
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('id,x,t_x,T,p_alive,expected_1,expected_39,expected_aov,clv');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^00004,2,30\.428571,38\.857143,0\.72\d*,0\.03\d*,1\.22\d*,\d+\.\d{1,2},\d+(\.\d{1,2})?$/);
  });
});

describe('formatScoresCsv', () => {
  it('quotes awkward ids and leaves non-finite numbers empty', () => {
    const csv = formatScoresCsv([
      { customerId: 'a,"b"', x: 0, tx: 0, T: 1.5, pAlive: 1, expected1: 0.1, expected39: 2, expectedAov: Number.NaN, clv: Number.NaN },
    ]);
    expect(csv).toBe('id,x,t_x,T,p_alive,expected_1,expected_39,expected_aov,clv\n"a,""b""",0,0,1.5,1,0.1,2,,\n');
  });
});

describe('fitCustomerValue input handling', () => {
  it('rejects invalid options and an empty calibration base', () => {
    expect(() => fitCustomerValue(cdnowSampleOrders(), { calibrationEnd: '1997-13-01', periodDays: 7 })).toThrow();
    expect(() => fitCustomerValue(cdnowSampleOrders(), { calibrationEnd: '1990-01-01', periodDays: 7 })).toThrow(RangeError);
  });
});
