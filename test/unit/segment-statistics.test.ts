import { describe, expect, it } from 'vitest';
import { clvDistributionOf, clvPercentile, fitValueModel, fitValueModelOn, purchaseHistoryOf } from '#domain/customer-base-value.ts';
import { newProfile, type CustomerProfile } from '#domain/customer-profile.ts';
import { rfmQuintileThresholds } from '#domain/customer-value/rfm.ts';
import { daysBetween } from '#domain/lifecycle-stage.ts';
import { mergeSummaries, purchaseHistoriesOf, rfmThresholdsOf, summariseSegment } from '#domain/segment-statistics.ts';

const NOW = '2026-10-10T00:00:00.000Z';
const DAY = 86_400_000;
/** A seeded base of buyers and prospects with ties (the same histories) as well as distinct ones. */
function base(n: number): CustomerProfile[] {
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  return Array.from({ length: n }, (_, i) => {
    const orders = Math.floor(random() * 6);
    const first = Date.parse(NOW) - Math.floor(random() * 700) * DAY;
    const last = first + Math.floor(random() * (Date.parse(NOW) - first) / DAY) * DAY;
    const spend = i % 5 === 0 ? 50 : Math.round(orders * (10 + random() * 90) * 100) / 100;
    return { ...newProfile(`c${i}`, new Date(first).toISOString()), orderCount: orders, orderDays: orders, totalSpend: orders ? spend : 0, ...(orders ? { firstOrderAt: new Date(first).toISOString(), lastOrderAt: new Date(last).toISOString() } : {}) };
  });
}

describe('segment statistics', () => {
  const customers = base(1200);
  const segments = [0, 1, 2, 3].map((s) => customers.filter((_, i) => i % 4 === s));

  it('merge to the same statistics in any order and however the base is split', () => {
    const whole = summariseSegment(customers, NOW);
    const parts = segments.map((s) => summariseSegment(s, NOW));
    expect(mergeSummaries(parts)).toEqual(whole);
    expect(mergeSummaries([...parts].reverse())).toEqual(whole);
    expect(whole.customers).toBe(1200);
    expect(whole.coarsened).toBe(false);
  });

  it('give exactly the RFM breakpoints and the model fit of one pass over every customer', () => {
    const merged = mergeSummaries(segments.map((s) => summariseSegment(s, NOW)));
    const buyers = customers.filter((p) => p.orderCount > 0 && p.lastOrderAt);
    expect(rfmThresholdsOf(merged)).toEqual(
      rfmQuintileThresholds(buyers.map((p) => ({ customerId: p.customerId, recencyDays: Math.max(0, daysBetween(p.lastOrderAt!, NOW)), frequency: p.orderDays, monetary: p.totalSpend }))),
    );
    const fromStatistics = fitValueModelOn(purchaseHistoriesOf(merged), NOW);
    const onePass = fitValueModel(customers, NOW);
    expect(fromStatistics).toEqual(onePass);
  });

  it('rank CLV so that equal values share a rank, whatever order they come in', () => {
    const d = clvDistributionOf([[10, 1], [20, 3], [5, 1], [20, 0], [30, 1]]);
    expect(d).toEqual({ values: [5, 10, 20, 30], below: [0, 1, 2, 5], buyers: 6 });
    expect([5, 10, 20, 30].map((v) => clvPercentile(d, v))).toEqual([0, 20, 40, 100]);
    expect(clvPercentile(clvDistributionOf([[7, 1]]), 7)).toBe(100);
  });

  it('round values to stay under the cap, and say so', () => {
    const capped = summariseSegment(customers, NOW, 50);
    expect(capped.coarsened).toBe(true);
    for (const h of [capped.recency, capped.frequency, capped.monetary]) expect(h.length).toBeLessThanOrEqual(50);
    // Histories are rounded down to one significant digit at most (x stays exact): fewer rows, every buyer still counted.
    expect(capped.purchases.length).toBeLessThan(summariseSegment(customers, NOW).purchases.length);
    expect(capped.purchases.reduce((n, r) => n + r[4], 0)).toBe(customers.filter((p) => purchaseHistoryOf(p, NOW)).length);
  });
});
