import { describe, expect, it } from 'vitest';
import { expectedPurchases, type BgNbdParams } from '#domain/customer-value/bgnbd.ts';
import { customerLifetimeValue, discountedExpectedPurchases } from '#domain/customer-value/clv.ts';

const PAPER: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const customer = { x: 2, tx: 30.43, T: 38.86 };

describe('customerLifetimeValue', () => {
  it('without discounting equals E[AOV] × expected purchases over the horizon', () => {
    const clv = customerLifetimeValue(PAPER, customer, 25, { horizonPeriods: 52, discountRatePerPeriod: 0 });
    expect(clv).toBeCloseTo(25 * expectedPurchases(PAPER, 52, 2, 30.43, 38.86), 10);
  });

  it('discounts each period’s expected purchases from the end of the period', () => {
    const d = 0.01;
    let manual = 0;
    for (let i = 1; i <= 12; i++) {
      const incremental = expectedPurchases(PAPER, i, 2, 30.43, 38.86) - expectedPurchases(PAPER, i - 1, 2, 30.43, 38.86);
      manual += incremental / (1 + d) ** i;
    }
    expect(discountedExpectedPurchases(PAPER, customer, { horizonPeriods: 12, discountRatePerPeriod: d })).toBeCloseTo(manual, 12);
    expect(customerLifetimeValue(PAPER, customer, 40, { horizonPeriods: 12, discountRatePerPeriod: d, margin: 0.3 })).toBeCloseTo(
      0.3 * 40 * manual,
      10,
    );
  });

  it('gives the very bits of the sum of expectedPurchases over the horizon (P(alive) taken once)', () => {
    const bySum = (params: BgNbdParams, c: { x: number; tx: number; T: number }, horizon: number, d: number): number => {
      let previous = 0;
      let total = 0;
      let discount = 1;
      for (let i = 1; i <= horizon; i++) {
        const cumulative = expectedPurchases(params, i, c.x, c.tx, c.T);
        discount /= 1 + d;
        total += (cumulative - previous) * discount;
        previous = cumulative;
      }
      return total;
    };
    // The paper's fit, a ≈ 1 (the exprel branch) and r ≫ a + b (the quadrature fallback).
    const fits: BgNbdParams[] = [PAPER, { r: 0.5, alpha: 2, a: 1, b: 0.7 }, { r: 40, alpha: 3, a: 0.2, b: 0.1 }];
    const customers = [{ x: 0, tx: 0, T: 12 }, customer, { x: 7, tx: 2, T: 60 }, { x: 30, tx: 51.5, T: 52 }];
    let compared = 0;
    for (const params of fits)
      for (const c of customers) {
        const discounted = discountedExpectedPurchases(params, c, { horizonPeriods: 52, discountRatePerPeriod: 0.00183 });
        expect(discounted).toBeGreaterThan(0);
        expect(Object.is(discounted, bySum(params, c, 52, 0.00183))).toBe(true);
        compared++;
      }
    expect(compared).toBe(12);
  });

  it('grows with the horizon and shrinks with the discount rate', () => {
    const value = (horizonPeriods: number, discountRatePerPeriod: number): number =>
      customerLifetimeValue(PAPER, customer, 30, { horizonPeriods, discountRatePerPeriod });
    expect(value(52, 0)).toBeGreaterThan(value(26, 0));
    expect(value(104, 0.002)).toBeGreaterThan(value(52, 0.002));
    expect(value(52, 0.002)).toBeLessThan(value(52, 0));
    expect(value(52, 0.02)).toBeLessThan(value(52, 0.002));
    // A customer who is probably gone is worth less than an active one with the same history length.
    expect(customerLifetimeValue(PAPER, { x: 2, tx: 2, T: 38.86 }, 30, { horizonPeriods: 52, discountRatePerPeriod: 0 })).toBeLessThan(
      value(52, 0),
    );
  });

  it('validates options', () => {
    expect(() => customerLifetimeValue(PAPER, customer, 30, { horizonPeriods: 0, discountRatePerPeriod: 0 })).toThrow();
    expect(() => customerLifetimeValue(PAPER, customer, 30, { horizonPeriods: 5, discountRatePerPeriod: -0.1 })).toThrow();
  });
});
