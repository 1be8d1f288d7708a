import type { CrmReport } from './crm-report.ts';
import { format } from './render-html.ts';

/**
 * The report's headline in a few lines of text, for the end of `npm start` and for the
 * terminal: what was sent, what it is credited with, whether it caused anything, how the
 * customer base moved, and how concentrated value is.
 */
export function renderReportHeadline(r: CrmReport): string {
  const s = r.summary;
  const l = r.lifecycle;
  const lines = [`CRM report ${r.period.from.slice(0, 10)} to ${r.period.to.slice(0, 10)}: ${format.count(s.customers)} customers, ${format.count(s.emailsSent)} emails sent`];
  lines.push(
    s.attributedOrders === null
      ? 'attributed orders: not recorded (no order is credited to any email yet)'
      : `attributed (last touch, overstates what emails caused): ${format.count(s.attributedOrders)} orders, ${format.money(s.attributedRevenue)} ${r.currency}`,
  );
  if (!r.uplift.available) lines.push(`uplift: ${r.uplift.note.split(':')[0]!.toLowerCase()}: nothing can be said about what the emails caused`);
  else {
    const significant = r.uplift.rows.filter((x) => x.significant);
    lines.push(
      `uplift vs holdout (${r.uplift.rows.length} rows, Holm-corrected): ${significant.length ? significant.map((x) => `${x.label} ${format.points(x.conversionDifference.estimate)} [${format.points(x.conversionDifference.lower)}, ${format.points(x.conversionDifference.upper)}]`).join('; ') : 'none significant'}`,
    );
  }
  lines.push(`of ${format.count(l.activeAtStart)} buying customers at the start: retained ${format.rate(l.retentionRate)}, churned ${format.rate(l.churnRate)}; upgraded ${format.rate(l.upgradeRate)} of ${format.count(l.base)}`);
  const v = r.value;
  if (v.spend.top20Share !== null) lines.push(`top 20% of customers hold ${format.rate(v.spend.top20Share)} of spend${v.clv ? ` and ${format.rate(v.clv.top20Share)} of predicted CLV` : ''}`);
  const d = r.deliverability.days;
  if (d.length) {
    const peak = (k: 'bounceRate' | 'complaintRate') => Math.max(...d.map((x) => x[k] ?? 0));
    lines.push(`deliverability: peak hard-bounce rate ${format.fineRate(peak('bounceRate'))} (guardrail ${format.rate(r.deliverability.bounceThreshold)}), peak complaint rate ${format.fineRate(peak('complaintRate'))} (guardrail ${format.fineRate(r.deliverability.complaintThreshold)})`);
  }
  return lines.join('\n');
}
