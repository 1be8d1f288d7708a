/**
 * Computes the CRM report from a snapshot of the tables. Pure apart from its input: the
 * statistics are the domain's (statistics.ts, attribution.ts, uplift.ts); this file decides
 * what is counted where, and rounds once, so the JSON and the HTML show the same numbers.
 */
import { attributeOrder, DEFAULT_ATTRIBUTION_WINDOWS } from '#domain/attribution.ts';
import { LIFECYCLE_STAGES, type LifecycleStage } from '#domain/customer-profile.ts';
import { judgeAbTest } from '#domain/statistics.ts';
import { customerOutcomes, type Exposure, upliftRows } from '#domain/uplift.ts';
import { type AbTestRow, CrmReport, type LastTouchRow, type SendRow, type UpliftReportRow } from './crm-report.ts';
import { type ParsedSnapshot, ReportSnapshot, type SnapshotStageChange } from './snapshot.ts';
import { parseOrThrow } from '#domain/invalid-input-error.ts';

export interface ReportOptions {
  /** Start of the period (inclusive); default: the day of the first send. */
  from?: string;
  /** End of the period (exclusive); default: just after the last recorded event. */
  to?: string;
  /** Days after a send (or held-out moment) in which an order counts as a conversion. */
  conversionDays?: number;
  generatedAt: string;
}

const DAY = 86_400_000;

/** Map.groupBy is Node 21+; the CLI runs on Node 20. */
function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key);
    if (list) list.push(item);
    else out.set(key, [item]);
  }
  return out;
}
export const DEFAULT_CONVERSION_DAYS = 5;
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const rate = (x: number) => round(x, 4);
const money = (x: number) => round(x, 2);
const ratio = (n: number, d: number) => (d > 0 ? rate(n / d) : null);
const estimate = (e: { estimate: number; lower: number; upper: number }, digits: number) => ({ estimate: round(e.estimate, digits), lower: round(e.lower, digits), upper: round(e.upper, digits) });
const inPeriod = (at: string | undefined, from: number, to: number) => at !== undefined && Date.parse(at) >= from && Date.parse(at) < to;

/** Stage ranks for "moved up": buying stages above the stages of a relationship fading or not begun. */
const RANK: Record<LifecycleStage, number> = { prospect: 0, lapsed: 1, declining: 2, exploring: 3, growing: 4, stable: 5 };
const ACTIVE: ReadonlySet<LifecycleStage> = new Set(['exploring', 'growing', 'stable', 'declining']);
const BUYING: ReadonlySet<LifecycleStage> = new Set(['exploring', 'growing', 'stable']);

/**
 * A customer's stage at instant `t`: the target of their last change at or before t; else
 * the origin of their first change after t; else (no change recorded) their stage now.
 * `changes` must be sorted by time.
 */
export function stageAt(changes: readonly SnapshotStageChange[], t: number, current: LifecycleStage): LifecycleStage {
  let last: SnapshotStageChange | undefined;
  for (const c of changes) {
    if (Date.parse(c.changedAt) <= t) last = c;
    else return last ? last.to : c.from;
  }
  return last ? last.to : current;
}

/** The Lorenz curve at customer shares 0, 5%, …, 100% (linear between customers), and the top 20%'s share. */
export function lorenz(values: readonly number[]): { lorenz: { customerShare: number; valueShare: number }[]; top20Share: number | null } {
  const sorted = values.map((v) => Math.max(0, v)).sort((a, b) => a - b);
  const total = sorted.reduce((a, b) => a + b, 0);
  if (!sorted.length || total <= 0) return { lorenz: [], top20Share: null };
  const cumulative = [0];
  for (const v of sorted) cumulative.push(cumulative[cumulative.length - 1]! + v / total);
  const n = sorted.length;
  const at = (q: number) => {
    const x = q * n;
    const i = Math.min(n - 1, Math.floor(x));
    return cumulative[i]! + (cumulative[i + 1]! - cumulative[i]!) * (x - i);
  };
  const points = Array.from({ length: 21 }, (_, k) => ({ customerShare: rate(k / 20), valueShare: rate(Math.min(1, at(k / 20))) }));
  return { lorenz: points, top20Share: rate(1 - at(0.8)) };
}

const month = (iso: string) => iso.slice(0, 7);
const monthIndex = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
const MAX_COHORTS = 24;

/**
 * First-purchase cohorts by month: for each later month, the share of the cohort whose last
 * order so far falls in that month or after (still buying then). Months after the period's
 * end are null.
 */
export function cohorts(customers: readonly { firstOrderAt?: string | undefined; lastOrderAt?: string | undefined }[], to: number): CrmReport['cohorts'] {
  const endMonth = monthIndex(month(new Date(to - 1).toISOString()));
  const byCohort = new Map<string, number[]>();
  for (const [key, cs] of groupBy(customers.filter((c) => c.firstOrderAt && Date.parse(c.firstOrderAt) < to), (c) => month(c.firstOrderAt!))) {
    byCohort.set(key, cs.map((c) => monthIndex(month(c.lastOrderAt ?? c.firstOrderAt!))));
  }
  const keys = [...byCohort.keys()].sort().slice(-MAX_COHORTS);
  const width = keys.length ? endMonth - monthIndex(keys[0]!) + 1 : 0;
  const offsets = Array.from({ length: Math.max(0, width) }, (_, k) => k);
  const rows = keys.map((cohort) => {
    const last = byCohort.get(cohort)!;
    const start = monthIndex(cohort);
    return {
      cohort,
      customers: last.length,
      shares: offsets.map((k) => (start + k > endMonth ? null : rate(last.filter((m) => m >= start + k).length / last.length))),
    };
  });
  return { offsets, rows };
}

interface Placement {
  campaignId: string;
  journeyId?: string | undefined;
  stepId?: string | undefined;
}

/** The report rows a send or held-out moment counts in: its campaign, or its journey and step. */
function placements(p: Placement): { key: string; label: string; level: 'campaign' | 'journey' | 'step' }[] {
  if (p.journeyId) {
    return [
      { key: `journey:${p.journeyId}`, label: p.journeyId, level: 'journey' },
      ...(p.stepId ? [{ key: `step:${p.journeyId}/${p.stepId}`, label: `${p.journeyId} › ${p.stepId}`, level: 'step' as const }] : []),
    ];
  }
  return [{ key: `campaign:${p.campaignId}`, label: p.campaignId, level: 'campaign' }];
}

function defaultPeriod(s: ParsedSnapshot): { from: number; to: number } {
  const sendTimes = s.sends.flatMap((x) => [x.sentAt ?? x.claimedAt]).map(Date.parse);
  const times = [...sendTimes, ...s.stageChanges.map((c) => Date.parse(c.changedAt)), ...s.deliverability.map((d) => Date.parse(`${d.day}T00:00:00Z`) + DAY - 1)];
  if (!times.length) {
    const readAt = Date.parse(s.readAt);
    return { from: readAt - 30 * DAY, to: readAt };
  }
  // A loop, not Math.min(...xs): a deployed ledger can hold more items than a call has arguments.
  const least = (xs: readonly number[]) => xs.reduce((a, b) => (b < a ? b : a), Infinity);
  const first = sendTimes.length ? least(sendTimes) : least(times);
  return { from: Math.floor(first / DAY) * DAY, to: times.reduce((a, b) => (b > a ? b : a), -Infinity) + 1 };
}

/** Builds the CRM report. Throws InvalidInputError naming the field if the snapshot is malformed. */
export function buildReport(input: ReportSnapshot, options: ReportOptions): CrmReport {
  const s = parseOrThrow(ReportSnapshot, input, 'report snapshot');
  const period = defaultPeriod(s);
  const from = options.from ? Date.parse(options.from) : period.from;
  const to = options.to ? Date.parse(options.to) : period.to;
  if (!(from < to)) throw new RangeError(`report period: from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`);
  const conversionDays = options.conversionDays ?? DEFAULT_CONVERSION_DAYS;
  const windows = s.attributionWindows ?? DEFAULT_ATTRIBUTION_WINDOWS;

  // Sends in the period, and what each produced.
  const sent = s.sends.filter((x) => x.status === 'sent' && inPeriod(x.sentAt ?? x.claimedAt, from, to));
  const sendById = new Map(sent.map((x) => [x.sendId, x]));

  // Attribution: as recorded, or computed here from orders and touches when those were recorded instead.
  let attributed: { sendId: string; value: number; touch: 'click' | 'human-open' }[] | null = null;
  if (s.attributedOrders) {
    attributed = s.attributedOrders.filter((o) => inPeriod(o.at, from, to) && sendById.has(o.sendId));
  } else if (s.orders && s.touches) {
    const touchesOf = groupBy(s.touches.filter((t) => sendById.has(t.sendId)), (t) => t.customerId);
    attributed = s.orders.filter((o) => inPeriod(o.at, from, to)).flatMap((o) => {
      const a = attributeOrder(o.at, touchesOf.get(o.customerId) ?? [], windows);
      return a ? [{ sendId: a.sendId, value: o.value, touch: a.touch }] : [];
    });
  }
  const attributedBySend = attributed ? groupBy(attributed, (a) => a.sendId) : undefined;

  const rows = new Map<string, SendRow & { hasSplit: boolean; hasUnsub: boolean }>();
  for (const x of sent) {
    for (const p of placements(x)) {
      const row = rows.get(p.key) ?? { ...p, sent: 0, delivered: 0, opens: 0, humanOpens: 0, machineOpens: 0, clicks: 0, unsubscribes: 0, bounces: 0, complaints: 0, attributedOrders: attributed ? 0 : null, attributedRevenue: attributed ? 0 : null, hasSplit: true, hasUnsub: true };
      row.sent++;
      if (x.delivered) row.delivered++;
      if (x.bounced) row.bounces++;
      if (x.complained) row.complaints++;
      row.opens += x.opens;
      row.clicks += x.clicks;
      if (x.humanOpens === undefined || x.machineOpens === undefined) row.hasSplit = false;
      else {
        row.humanOpens! += x.humanOpens;
        row.machineOpens! += x.machineOpens;
      }
      if (x.unsubscribed === undefined) row.hasUnsub = false;
      else if (x.unsubscribed) row.unsubscribes!++;
      for (const a of attributedBySend?.get(x.sendId) ?? []) {
        row.attributedOrders!++;
        row.attributedRevenue = money(row.attributedRevenue! + a.value);
      }
      rows.set(p.key, row);
    }
  }
  const sends: SendRow[] = [...rows.values()]
    .sort((a, b) => a.key.localeCompare(b.key))
    .map(({ hasSplit, hasUnsub, ...row }) => ({ ...row, humanOpens: hasSplit ? row.humanOpens : null, machineOpens: hasSplit ? row.machineOpens : null, unsubscribes: hasUnsub ? row.unsubscribes : null }));

  const uplift = buildUplift(s, sent, from, to, conversionDays);
  uplift.lastTouch = lastTouchAgainstHoldout(sends, uplift.rows);
  const lifecycle = buildLifecycle(s, from, to);
  const spend = lorenz(s.customers.map((c) => c.totalSpend));
  const withClv = s.customers.filter((c) => c.value);
  const clv = withClv.length ? lorenz(withClv.map((c) => c.value!.predictedClv)) : null;

  const report: CrmReport = {
    generatedAt: options.generatedAt,
    source: s.source,
    currency: s.currency,
    period: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    summary: {
      customers: s.customers.length,
      emailsSent: sent.length,
      attributedOrders: attributed ? attributed.length : null,
      attributedRevenue: attributed ? money(attributed.reduce((a, o) => a + o.value, 0)) : null,
      retentionRate: lifecycle.retentionRate,
      churnRate: lifecycle.churnRate,
      upgradeRate: lifecycle.upgradeRate,
    },
    sends,
    attribution: {
      available: attributed !== null,
      windows,
      note: attributed
        ? `Last touch: an order is credited to the latest click within ${windows.clickDays} days or human open within ${windows.humanOpenDays} day(s) before it; machine opens never count. Last touch credits emails with orders that would have happened anyway: read the holdout uplift for what the emails caused.`
        : 'No attributed orders recorded: the tables hold no per-order record joined to sends yet, so no order is credited to any email.',
      orders: attributed ? attributed.length : null,
      revenue: attributed ? money(attributed.reduce((a, o) => a + o.value, 0)) : null,
      byClick: attributed ? attributed.filter((a) => a.touch === 'click').length : null,
      byHumanOpen: attributed ? attributed.filter((a) => a.touch === 'human-open').length : null,
    },
    uplift,
    lifecycle,
    cohorts: cohorts(s.customers, to),
    value: {
      spend,
      clv,
      byStage: LIFECYCLE_STAGES.map((stage) => {
        const inStage = s.customers.filter((c) => c.stage === stage);
        const clvs = inStage.flatMap((c) => (c.value ? [c.value.predictedClv] : []));
        const total = clvs.reduce((a, b) => a + b, 0);
        return {
          stage,
          customers: inStage.length,
          averageSpend: money(inStage.length ? inStage.reduce((a, c) => a + c.totalSpend, 0) / inStage.length : 0),
          customersWithClv: clvs.length,
          averagePredictedClv: clvs.length ? money(total / clvs.length) : null,
          totalPredictedClv: money(total),
        };
      }),
    },
    deliverability: {
      bounceThreshold: s.guardrail.bounceRate,
      complaintThreshold: s.guardrail.complaintRate,
      days: s.deliverability
        .filter((d) => Date.parse(`${d.day}T00:00:00Z`) + DAY > from && Date.parse(`${d.day}T00:00:00Z`) < to)
        .sort((a, b) => a.day.localeCompare(b.day))
        .map((d) => ({
          day: d.day,
          sends: d.sends,
          hardBounces: d.hardBounces,
          complaints: d.complaints,
          // Six decimals: complaint rates live around 0.1%.
          bounceRate: d.sends ? round(d.hardBounces / d.sends, 6) : null,
          complaintRate: d.sends ? round(d.complaints / d.sends, 6) : null,
        })),
    },
  };
  return CrmReport.parse(report);
}

/** Per journey and campaign: the revenue last touch credits beside the revenue the holdout says was caused. */
export function lastTouchAgainstHoldout(sends: readonly SendRow[], rows: readonly UpliftReportRow[]): LastTouchRow[] {
  return rows.flatMap((u) => {
    const credited = sends.find((x) => x.key === u.key)?.attributedRevenue;
    if ((u.level !== 'journey' && u.level !== 'campaign') || !u.incrementalRevenue || credited === null || credited === undefined) return [];
    const verdict = credited > u.incrementalRevenue.upper ? 'overstates' : credited < u.incrementalRevenue.lower ? 'understates' : 'within-interval';
    return [{ key: u.key, label: u.label, level: u.level, lastTouchRevenue: credited, incrementalRevenue: u.incrementalRevenue, verdict }];
  });
}

function buildLifecycle(s: ParsedSnapshot, from: number, to: number): CrmReport['lifecycle'] {
  const changesOf = groupBy(
    [...s.stageChanges].sort((a, b) => a.changedAt.localeCompare(b.changedAt)),
    (c) => c.customerId,
  );
  const origins = ['new', ...LIFECYCLE_STAGES] as const;
  const matrix = origins.map(() => LIFECYCLE_STAGES.map(() => 0));
  let base = 0;
  let activeAtStart = 0;
  let retained = 0;
  let churned = 0;
  let upgraded = 0;
  for (const c of s.customers) {
    const joined = Date.parse(c.registeredAt ?? c.firstOrderAt ?? c.createdAt);
    if (joined >= to) continue;
    const changes = changesOf.get(c.customerId) ?? [];
    const end = stageAt(changes, to - 1, c.stage);
    const isNew = joined > from;
    const start = isNew ? 'new' : stageAt(changes, from, c.stage);
    matrix[origins.indexOf(start)]![LIFECYCLE_STAGES.indexOf(end)]!++;
    if (start === 'new') continue;
    base++;
    if (RANK[end] > RANK[start]) upgraded++;
    if (ACTIVE.has(start)) {
      activeAtStart++;
      if (BUYING.has(end)) retained++;
      if (end === 'lapsed') churned++;
    }
  }
  return {
    origins: [...origins],
    stages: [...LIFECYCLE_STAGES],
    matrix,
    base,
    activeAtStart,
    retained,
    churned,
    upgraded,
    retentionRate: ratio(retained, activeAtStart),
    churnRate: ratio(churned, activeAtStart),
    upgradeRate: ratio(upgraded, base),
  };
}

const UPLIFT_METHOD =
  "Conversion: an order within the window after the send (or the held-out moment). Rate difference with Newcombe's hybrid score 95% interval; revenue per customer difference with Welch's t 95% interval; p-values Holm–Bonferroni adjusted over all rows in the table; incremental figures are the difference × treated customers.";

function buildUplift(s: ParsedSnapshot, sent: ParsedSnapshot['sends'], from: number, to: number, conversionDays: number): CrmReport['uplift'] {
  const heldOut = (s.heldOut ?? []).filter((h) => inPeriod(h.at, from, to));
  const none = (note: string): CrmReport['uplift'] => ({ available: false, note, method: UPLIFT_METHOD, conversionDays, rows: [], lastTouch: [], abTests: [] });
  if (!heldOut.length && !s.orders) return none('No holdout data: no journey or campaign held customers out in this period, and orders are not recorded per order, so this report cannot say what the emails caused. Set `holdout:` on a journey or campaign to measure it.');
  if (!heldOut.length) return none('No holdout data: no journey or campaign held customers out in this period, so there is nothing to compare the mailed customers against. Set `holdout:` on a journey or campaign to measure it.');
  if (!s.orders) return none('Held-out customers are recorded, but orders are not recorded per order, so conversions after the send cannot be counted.');

  const variantsOf = groupBy(sent, (x) => x.campaignId);
  const multiVariant = new Set([...variantsOf].filter(([, xs]) => new Set(xs.map((x) => x.variant)).size > 1).map(([id]) => id));
  const labels = new Map<string, { label: string; level: UpliftReportRow['level'] }>();
  const exposures: Exposure[] = [];
  const expose = (p: Placement & { variant: string }, customerId: string, group: Exposure['group'], at: string) => {
    for (const place of placements(p)) {
      labels.set(place.key, place);
      exposures.push({ key: place.key, customerId, group, at });
    }
    if (multiVariant.has(p.campaignId)) {
      const key = `variant:${p.campaignId}/${p.variant}`;
      labels.set(key, { label: `${p.campaignId} variant ${p.variant}`, level: 'variant' });
      exposures.push({ key, customerId, group, at });
    }
  };
  for (const x of sent) expose(x, x.customerId, 'treated', x.sentAt ?? x.claimedAt);
  for (const h of heldOut) expose(h, h.customerId, 'held-out', h.at);
  const outcomes = customerOutcomes(exposures, s.orders, conversionDays);
  const rows: UpliftReportRow[] = upliftRows(outcomes).map((r) => ({
    key: r.key,
    label: labels.get(r.key)?.label ?? r.key,
    level: labels.get(r.key)?.level ?? 'campaign',
    treatedCustomers: r.treated.customers,
    heldOutCustomers: r.heldOut.customers,
    treatedConversionRate: rate(r.treated.conversionRate),
    heldOutConversionRate: rate(r.heldOut.conversionRate),
    conversionDifference: estimate(r.conversionDifference, 4),
    treatedRevenuePerCustomer: money(r.treated.revenuePerCustomer),
    heldOutRevenuePerCustomer: money(r.heldOut.revenuePerCustomer),
    revenueDifference: r.revenueDifference ? estimate(r.revenueDifference, 2) : null,
    incrementalOrders: estimate(r.incrementalOrders, 2),
    incrementalRevenue: r.incrementalRevenue ? estimate(r.incrementalRevenue, 2) : null,
    pValue: round(r.conversionDifference.pValue, 4),
    adjustedPValue: round(r.conversionAdjustedP, 4),
    significant: r.conversionSignificant,
    revenueAdjustedPValue: r.revenueAdjustedP === null ? null : round(r.revenueAdjustedP, 4),
    revenueSignificant: r.revenueSignificant,
  }));

  // A/B: the mailed customers of each variant against each other.
  const abTests: AbTestRow[] = [...multiVariant].sort().map((campaignId) => {
    const arms = groupBy(outcomes.filter((o) => o.group === 'treated' && o.key.startsWith(`variant:${campaignId}/`)), (o) => o.key.slice(`variant:${campaignId}/`.length));
    const judged = judgeAbTest([...arms].map(([name, os]) => ({ name, customers: os.length, conversions: os.filter((o) => o.converted).length })));
    return {
      campaignId,
      arms: [...arms].sort(([a], [b]) => a.localeCompare(b)).map(([variant, os]) => ({ variant, customers: os.length, conversions: os.filter((o) => o.converted).length, conversionRate: rate(os.filter((o) => o.converted).length / os.length) })),
      verdict: judged.verdict,
      winner: judged.verdict === 'winner' ? judged.winner : null,
      why: judged.verdict === 'winner' ? `${judged.winner} converts significantly better than every other variant after the Holm correction` : judged.why,
    };
  });
  return {
    available: rows.length > 0,
    note: rows.length ? `${rows.length} row(s) compared at once, so the p-values are Holm–Bonferroni adjusted over them; "not significant" means the adjusted p-value is 0.05 or more: the difference may be chance.` : 'Held-out customers are recorded, but no row has both mailed and held-out customers in this period.',
    method: UPLIFT_METHOD,
    conversionDays,
    rows,
    lastTouch: [],
    abTests,
  };
}
