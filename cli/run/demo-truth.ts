/**
 * The demo's known truth set beside what the report measured: per journey, the true conversion
 * uplift against the holdout's estimate and interval, and the revenue the emails truly caused
 * against the holdout's estimate and what last touch credits. This is the check a reader of
 * `npm start` can make for themselves: the intervals should cover the truth (about 95% of them
 * over many seeds), and last touch should claim more than was caused.
 */
import type { CrmReport } from '#cli/report/crm-report.ts';
import type { TrueEffect } from './demo-response.ts';

export interface TruthRow {
  journeyId: string;
  clickResponse: number;
  treatedCustomers: number;
  trueConversionUplift: number;
  /** Null when the journey held nobody out in the period. */
  conversionEstimate: { estimate: number; lower: number; upper: number } | null;
  conversionCovered: boolean | null;
  significant: boolean | null;
  trueIncrementalRevenue: number;
  revenueEstimate: { estimate: number; lower: number; upper: number } | null;
  revenueCovered: boolean | null;
  lastTouchRevenue: number | null;
}

const covers = (e: { lower: number; upper: number } | null, truth: number) => (e ? e.lower <= truth && truth <= e.upper : null);

export function compareWithTruth(report: CrmReport, effects: Record<string, TrueEffect>): TruthRow[] {
  return Object.entries(effects).map(([journeyId, t]) => {
    const row = report.uplift.rows.find((r) => r.key === `journey:${journeyId}`);
    const sends = report.sends.find((r) => r.key === `journey:${journeyId}`);
    // Rounded like the report's own figures, so a truth on an interval's edge is judged as shown.
    const revenue = row?.incrementalRevenue ?? null;
    return {
      journeyId,
      clickResponse: t.clickResponse,
      treatedCustomers: t.treatedCustomers,
      trueConversionUplift: t.incrementalConversionRate,
      conversionEstimate: row ? row.conversionDifference : null,
      conversionCovered: row ? covers(row.conversionDifference, t.incrementalConversionRate) : null,
      significant: row ? row.significant : null,
      trueIncrementalRevenue: t.incrementalRevenue,
      revenueEstimate: revenue,
      revenueCovered: covers(revenue, t.incrementalRevenue),
      lastTouchRevenue: sends?.attributedRevenue ?? null,
    };
  });
}

const pts = (x: number) => `${x > 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
const money = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** The comparison as the lines `npm start` prints after the report's headline. */
export function truthLines(report: CrmReport, rows: readonly TruthRow[]): string[] {
  const lines = [`true effects (demo, true-effects.json) against the report's holdout uplift, within ${report.uplift.conversionDays} days of each customer's first send:`];
  for (const r of rows) {
    const conversion = r.conversionEstimate
      ? `estimate ${pts(r.conversionEstimate.estimate)} [${pts(r.conversionEstimate.lower)}, ${pts(r.conversionEstimate.upper)}] ${r.conversionCovered ? 'covers' : 'MISSES'} the truth, ${r.significant ? 'significant' : 'not significant'}`
      : 'no holdout row';
    const revenue = r.revenueEstimate ? `holdout ${money(r.revenueEstimate.estimate)} [${money(r.revenueEstimate.lower)}, ${money(r.revenueEstimate.upper)}] ${r.revenueCovered ? 'covers' : 'MISSES'}` : 'holdout n/a';
    lines.push(`  ${r.journeyId.padEnd(15)} conversion: true ${pts(r.trueConversionUplift)} pts, ${conversion}`);
    lines.push(`  ${''.padEnd(15)} revenue:    caused ${money(r.trueIncrementalRevenue)}, ${revenue}, last touch ${r.lastTouchRevenue === null ? 'n/a' : money(r.lastTouchRevenue)}`);
  }
  const caused = rows.reduce((a, r) => a + r.trueIncrementalRevenue, 0);
  const credited = rows.reduce((a, r) => a + (r.lastTouchRevenue ?? 0), 0);
  lines.push(`  all journeys: last touch credits ${money(credited)}, the emails caused ${money(caused)}${caused > 0 ? ` (last touch claims ${(credited / caused).toFixed(1)}× what was caused)` : ''}`);
  return lines;
}
