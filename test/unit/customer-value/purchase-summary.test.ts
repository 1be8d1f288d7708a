import { describe, expect, it } from 'vitest';
import type { Order } from '#cli/run/order-log.ts';
import { summarisePurchases } from '#domain/customer-value/purchase-summary.ts';
import { cdnowSampleSummaries } from './cdnow-fixture.ts';

const order = (customerId: string, date: string, amount: number): Order => ({ customerId, date, quantity: 1, amount });

describe('summarisePurchases', () => {
  const orders: Order[] = [
    order('b', '2024-01-01', 10),
    order('b', '2024-01-01', 5), // same day: merged into one transaction of 15
    order('b', '2024-01-08', 20),
    order('b', '2024-01-08', 2), // same day: 22
    order('b', '2024-01-22', 30),
    order('b', '2024-02-01', 99), // hold-out
    order('b', '2024-03-01', 99), // after hold-out: ignored
    order('a', '2024-01-29', 7), // first purchase on the calibration end itself
    order('c', '2024-01-30', 8), // first purchase after calibration: excluded
    order('d', '2024-01-15', 4),
    order('d', '2024-01-15', 4), // only one purchase day: x = 0
  ];
  const summaries = summarisePurchases(orders, { calibrationEnd: '2024-01-29', periodDays: 7, holdoutEnd: '2024-02-15' });

  it('counts repeat transactions on distinct days and measures t_x and T in periods', () => {
    expect(summaries.map((s) => s.customerId)).toEqual(['a', 'b', 'd']);
    const b = summaries.find((s) => s.customerId === 'b');
    expect(b).toEqual({
      customerId: 'b',
      x: 2,
      tx: 3, // 21 days after the first purchase
      T: 4, // 28 days from 2024-01-01 to 2024-01-29
      monetaryValue: (22 + 30) / 2, // repeat transactions only; same-day amounts summed
      firstPurchaseDate: '2024-01-01',
      holdoutPurchases: 1,
    });
    expect(summaries.find((s) => s.customerId === 'a')).toMatchObject({ x: 0, tx: 0, T: 0, monetaryValue: 0 });
    expect(summaries.find((s) => s.customerId === 'd')).toMatchObject({ x: 0, tx: 0, T: 2, monetaryValue: 0, holdoutPurchases: 0 });
  });

  it('omits holdoutPurchases without a hold-out and supports other period lengths', () => {
    const daily = summarisePurchases(orders, { calibrationEnd: '2024-01-29', periodDays: 1 });
    const b = daily.find((s) => s.customerId === 'b');
    expect(b).toMatchObject({ x: 2, tx: 21, T: 28 });
    expect(b && 'holdoutPurchases' in b).toBe(false);
  });

  it('validates options', () => {
    expect(() => summarisePurchases(orders, { calibrationEnd: '2024-01-29', periodDays: 0 })).toThrow();
    expect(() => summarisePurchases(orders, { calibrationEnd: '2024-01-29', periodDays: 7, holdoutEnd: '2024-01-01' })).toThrow(
      /holdoutEnd/,
    );
  });

  it('reproduces the CDNOW sample calibration data of Fader, Hardie & Lee (2005)', () => {
    const cdnow = cdnowSampleSummaries();
    expect(cdnow).toHaveLength(2357);
    // 2,457 repeat transactions in the 39-week calibration period.
    expect(cdnow.reduce((sum, s) => sum + s.x, 0)).toBe(2457);
    // Customer 00004 (ID 1 of the paper's data set): x = 2, t_x = 30.43, T = 38.86.
    const first = cdnow[0];
    expect(first?.customerId).toBe('00004');
    expect(first?.x).toBe(2);
    expect(first?.tx).toBeCloseTo(30.43, 2);
    expect(first?.T).toBeCloseTo(38.86, 2);
    expect(Math.max(...cdnow.map((s) => s.T))).toBeCloseTo(272 / 7, 12);
    expect(cdnow.filter((s) => s.x === 0)).toHaveLength(1411);
  });
});
