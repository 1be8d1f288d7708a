import { describe, expect, it } from 'vitest';
import { buildReport } from '#cli/report/build-report.ts';
import { renderReportHeadline } from '#cli/report/headline.ts';
import { renderReportHtml } from '#cli/report/render-html.ts';
import type { ReportSnapshot } from '#cli/report/snapshot.ts';

const AT = '2026-09-10T09:00:00.000Z';

/** Two campaigns with a holdout: vip-thanks works (30% vs 10%), win-back does not (10% vs 10%). */
function snapshotWithHoldouts(): ReportSnapshot {
  const customers: ReportSnapshot['customers'] = [];
  const sends: NonNullable<ReportSnapshot['sends']> = [];
  const heldOut: NonNullable<ReportSnapshot['heldOut']> = [];
  const orders: NonNullable<ReportSnapshot['orders']> = [];
  const touches: NonNullable<ReportSnapshot['touches']> = [];
  for (const [campaignId, mailedRate, heldRate] of [['vip-thanks', 0.3, 0.1], ['win-back', 0.1, 0.1]] as const) {
    for (let i = 0; i < 400; i++) {
      const customerId = `${campaignId}-${i}`;
      const mailed = i < 300;
      customers.push({ customerId, stage: 'stable', registeredAt: '2025-01-01T00:00:00Z', createdAt: '2025-01-01T00:00:00Z', totalSpend: 100, firstOrderAt: '2025-01-01T00:00:00Z', lastOrderAt: '2026-09-11T00:00:00Z' });
      if (mailed) sends.push({ sendId: `s-${customerId}`, customerId, campaignId, status: 'sent', claimedAt: AT, sentAt: AT, delivered: true });
      else heldOut.push({ customerId, campaignId, at: AT });
      const k = mailed ? i : i - 300;
      if (k < (mailed ? mailedRate * 300 : heldRate * 100)) orders.push({ customerId, at: '2026-09-11T12:00:00Z', value: 40 });
      // Every mailed buyer clicked first, so last touch credits all their orders.
      if (mailed && k < mailedRate * 300) touches.push({ customerId, sendId: `s-${customerId}`, kind: 'click', at: '2026-09-10T10:00:00Z' });
    }
  }
  return { source: 'test', readAt: '2026-10-01T00:00:00Z', customers, stageChanges: [], sends, heldOut, orders, touches, deliverability: [{ day: '2026-09-10', sends: 600 }], guardrail: { bounceRate: 0.04, complaintRate: 0.0008 } };
}

describe('the HTML report with holdout rows', () => {
  const report = buildReport(snapshotWithHoldouts(), { from: '2026-09-01T00:00:00Z', to: '2026-10-01T00:00:00Z', generatedAt: '2026-10-01T00:00:00Z' });
  const html = renderReportHtml(report);

  it('finds the working campaign significant and the other not', () => {
    const byKey = Object.fromEntries(report.uplift.rows.map((r) => [r.key, r]));
    expect(byKey['campaign:vip-thanks']).toMatchObject({ treatedCustomers: 300, heldOutCustomers: 100, treatedConversionRate: 0.3, heldOutConversionRate: 0.1, significant: true });
    expect(byKey['campaign:win-back']).toMatchObject({ treatedConversionRate: 0.1, heldOutConversionRate: 0.1, significant: false, adjustedPValue: 1 });
  });

  it('draws the forest plot and says which rows are not significant', () => {
    const figure = /<figure data-chart="uplift">([\s\S]*?)<\/figure>/.exec(html)?.[1] ?? '';
    expect(figure).toMatch(/<svg[\s\S]*<\/svg>/);
    // One interval line per row, drawn by the custom series.
    expect(figure.match(/<path d="M[\d.]+ [\d.]+L[\d.]+ [\d.]+"[^>]*stroke="#37474f"/g)?.length).toBe(2);
    expect(html).toMatch(/<tr data-row="campaign:vip-thanks">[\s\S]*?<td data-key="significant">significant<\/td>/);
    expect(html).toMatch(/<tr data-row="campaign:win-back">[\s\S]*?<td data-key="significant">not significant<\/td>/);
    expect(renderReportHeadline(report)).toMatch(/uplift vs holdout \(2 rows, Holm-corrected\): vip-thanks \+20\.00 pt/);
  });

  it('sets last touch beside the holdout: it credits win-back with orders the holdout shows it did not cause', () => {
    const byKey = Object.fromEntries(report.uplift.lastTouch.map((r) => [r.key, r]));
    // win-back: 30 mailed buyers clicked (1,200 credited), but held-out customers bought as often.
    expect(byKey['campaign:win-back']).toMatchObject({ lastTouchRevenue: 1200, verdict: 'overstates' });
    expect(byKey['campaign:win-back']!.incrementalRevenue.upper).toBeLessThan(1200);
    // vip-thanks: 3,600 credited (every mailed buyer); it caused (0.3 − 0.1) × 300 × 40 = 2,400, Welch interval about ±950.
    const vip = byKey['campaign:vip-thanks']!;
    expect(vip.lastTouchRevenue).toBe(3600);
    expect(vip.incrementalRevenue.estimate).toBeCloseTo(2400, 0);
    expect(vip.incrementalRevenue.upper).toBeLessThan(3600);
    expect(vip.incrementalRevenue.lower).toBeGreaterThan(0);
    expect(vip.verdict).toBe('overstates');
    const figure = /<figure data-chart="last-touch">([\s\S]*?)<\/figure>/.exec(html)?.[1] ?? '';
    expect(figure.match(/<path d="M[\d.]+ [\d.]+L[\d.]+ [\d.]+"[^>]*stroke="#37474f"/g)?.length).toBe(2);
    expect(html).toMatch(/<tr data-row="campaign:win-back">[\s\S]*?<td data-key="verdict">last touch overstates: above the whole interval<\/td>/);
  });

  it('has charts for every section and no script', () => {
    expect(html.match(/<figure data-chart=/g)?.length).toBe(9);
    expect(html).not.toMatch(/<script|\son[a-z]+="/i);
  });
});
