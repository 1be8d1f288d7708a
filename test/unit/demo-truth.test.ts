import { describe, expect, it } from 'vitest';
import { buildReport } from '#cli/report/build-report.ts';
import type { ReportSnapshot } from '#cli/report/snapshot.ts';
import { compareWithTruth, truthLines } from '#cli/run/demo-truth.ts';
import type { TrueEffect } from '#cli/run/demo-response.ts';

const AT = '2026-09-10T09:00:00.000Z';

/**
 * One journey, 300 mailed and 100 held out. Everyone orders at 10% (value 40) whatever happens;
 * the mailed also get 30 response orders (value 20) the demo says the emails caused.
 */
function journeySnapshot(): ReportSnapshot {
  const customers: ReportSnapshot['customers'] = [];
  const sends: NonNullable<ReportSnapshot['sends']> = [];
  const heldOut: NonNullable<ReportSnapshot['heldOut']> = [];
  const orders: NonNullable<ReportSnapshot['orders']> = [];
  const touches: NonNullable<ReportSnapshot['touches']> = [];
  for (let i = 0; i < 400; i++) {
    const customerId = `c${i}`;
    const mailed = i < 300;
    customers.push({ customerId, stage: 'stable', registeredAt: '2025-01-01T00:00:00Z', createdAt: '2025-01-01T00:00:00Z', totalSpend: 100 });
    if (mailed) sends.push({ sendId: `s${i}`, customerId, campaignId: 'welcome', journeyId: 'welcome-series', stepId: 'steps[0]', status: 'sent', claimedAt: AT, sentAt: AT, delivered: true });
    else heldOut.push({ customerId, campaignId: 'welcome', journeyId: 'welcome-series', stepId: 'steps[0]', at: AT });
    if (i % 10 === 0) orders.push({ customerId, at: '2026-09-12T12:00:00Z', value: 40 });
    if (mailed && i % 10 === 5) orders.push({ customerId, at: '2026-09-11T12:00:00Z', value: 20 });
    if (mailed && i % 10 < 6 && i % 10 !== 1) touches.push({ customerId, sendId: `s${i}`, kind: 'click', at: '2026-09-10T10:00:00Z' });
  }
  return { source: 'test', readAt: '2026-10-01T00:00:00Z', customers, stageChanges: [], sends, heldOut, orders, touches, deliverability: [{ day: '2026-09-10', sends: 300 }], guardrail: { bounceRate: 0.04, complaintRate: 0.0008 } };
}

const effect = (incrementalConversionRate: number, incrementalRevenue: number): TrueEffect => ({ clickResponse: 0.5, treatedCustomers: 300, responseOrders: 30, incrementalConversions: Math.round(incrementalConversionRate * 300), incrementalConversionRate, incrementalRevenuePerCustomer: incrementalRevenue / 300, incrementalRevenue });

describe('the demo truth against the report', () => {
  const report = buildReport(journeySnapshot(), { from: '2026-09-01T00:00:00Z', to: '2026-10-01T00:00:00Z', generatedAt: '2026-10-01T00:00:00Z' });

  it('judges whether each interval covers the truth and sets last touch beside what was caused', () => {
    const [row] = compareWithTruth(report, { 'welcome-series': effect(0.1, 600) });
    // Mailed convert 20% (10% natural + 10% response), held out 10%: the estimate is +10 pts.
    expect(row!.conversionEstimate!.estimate).toBeCloseTo(0.1, 4);
    expect(row!.conversionCovered).toBe(true);
    // Revenue per customer: mailed (30 × 40 + 30 × 20) / 300 = 6, held out 4: 2 × 300 = 600 caused.
    expect(row!.revenueEstimate!.estimate).toBeCloseTo(600, 2);
    expect(row!.revenueCovered).toBe(true);
    // Last touch credits the clicked buyers' orders: 30 natural (40) and 30 response (20) orders all clicked first.
    expect(row!.lastTouchRevenue).toBe(30 * 40 + 30 * 20);
    const lines = truthLines(report, [row!]);
    expect(lines.at(-1)).toBe('  all journeys: last touch credits 1,800.00, the emails caused 600.00 (last touch claims 3.0× what was caused)');
  });

  it('says MISSES when the truth lies outside the interval', () => {
    const [row] = compareWithTruth(report, { 'welcome-series': effect(0.5, 9000) });
    expect(row!.conversionCovered).toBe(false);
    expect(row!.revenueCovered).toBe(false);
    expect(truthLines(report, [row!]).join('\n')).toMatch(/MISSES the truth[\s\S]*holdout 600\.00 \[[^\]]+\] MISSES/);
  });

  it('has no estimate for a journey that held nobody out', () => {
    const [row] = compareWithTruth(report, { 'post-purchase': effect(0, 0) });
    expect(row).toMatchObject({ conversionEstimate: null, conversionCovered: null, revenueEstimate: null, revenueCovered: null, lastTouchRevenue: null });
    expect(truthLines(report, [row!])[1]).toMatch(/no holdout row/);
  });
});
