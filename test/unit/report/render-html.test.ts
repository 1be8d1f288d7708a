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
  for (const [campaignId, mailedRate, heldRate] of [['vip-thanks', 0.3, 0.1], ['win-back', 0.1, 0.1]] as const) {
    for (let i = 0; i < 400; i++) {
      const customerId = `${campaignId}-${i}`;
      const mailed = i < 300;
      customers.push({ customerId, stage: 'stable', registeredAt: '2025-01-01T00:00:00Z', createdAt: '2025-01-01T00:00:00Z', totalSpend: 100, firstOrderAt: '2025-01-01T00:00:00Z', lastOrderAt: '2026-09-11T00:00:00Z' });
      if (mailed) sends.push({ sendId: `s-${customerId}`, customerId, campaignId, status: 'sent', claimedAt: AT, sentAt: AT, delivered: true });
      else heldOut.push({ customerId, campaignId, at: AT });
      const k = mailed ? i : i - 300;
      if (k < (mailed ? mailedRate * 300 : heldRate * 100)) orders.push({ customerId, at: '2026-09-11T12:00:00Z', value: 40 });
    }
  }
  return { source: 'test', readAt: '2026-10-01T00:00:00Z', customers, stageChanges: [], sends, heldOut, orders, deliverability: [{ day: '2026-09-10', sends: 600 }], guardrail: { bounceRate: 0.04, complaintRate: 0.0008 } };
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

  it('has charts for every section and no script', () => {
    expect(html.match(/<figure data-chart=/g)?.length).toBe(8);
    expect(html).not.toMatch(/<script|\son[a-z]+="/i);
  });
});
