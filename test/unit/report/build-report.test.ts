import { describe, expect, it } from 'vitest';
import { newcombeDifference } from '#domain/statistics.ts';
import { buildReport, lastTouchAgainstHoldout, lorenz, stageAt } from '#cli/report/build-report.ts';
import type { ReportSnapshot } from '#cli/report/snapshot.ts';

const FROM = '2026-09-01T00:00:00.000Z';
const TO = '2026-10-01T00:00:00.000Z';
const value = (predictedClv: number) => ({ pAlive: 0.8, expectedPurchases90d: 1, predictedClv, clvPercentile: 50, churnRisk: 0.2, modelFittedAt: '2026-09-01T00:00:00.000Z' });
const customer = (customerId: string, stage: string, registeredAt: string, totalSpend: number, orders?: [string, string], clv?: number) => ({
  customerId,
  stage,
  registeredAt,
  totalSpend,
  createdAt: registeredAt,
  ...(orders ? { firstOrderAt: orders[0], lastOrderAt: orders[1] } : {}),
  ...(clv === undefined ? {} : { value: value(clv) }),
});
const send = (sendId: string, customerId: string, campaignId: string, sentAt: string, extra: object = {}) => ({ sendId, customerId, campaignId, period: 'p', variant: 'default', status: 'sent', claimedAt: sentAt, sentAt, ...extra });

/** Six customers whose stage moves in the period are known by hand (see each line). */
const snapshot = (): ReportSnapshot =>
  ({
    source: 'test',
    readAt: TO,
    customers: [
      customer('c1', 'stable', '2025-01-10T00:00:00Z', 500, ['2025-01-10T00:00:00Z', '2026-09-15T00:00:00Z'], 500), // growing → stable: retained, upgraded
      customer('c2', 'lapsed', '2025-02-05T00:00:00Z', 100, ['2025-02-05T00:00:00Z', '2025-04-20T00:00:00Z'], 10), // declining → lapsed: churned
      customer('c3', 'exploring', '2026-09-12T00:00:00Z', 50, ['2026-09-12T00:00:00Z', '2026-09-12T00:00:00Z']), // new → exploring
      customer('c4', 'prospect', '2025-03-01T00:00:00Z', 0), // prospect all along
      customer('c5', 'declining', '2025-01-20T00:00:00Z', 250, ['2025-01-20T00:00:00Z', '2025-06-02T00:00:00Z'], 90), // growing → declining
      customer('c6', 'exploring', '2025-02-14T00:00:00Z', 100, ['2025-02-14T00:00:00Z', '2026-09-25T00:00:00Z'], 150), // lapsed → exploring: upgraded
    ],
    stageChanges: [
      { customerId: 'c1', from: 'growing', to: 'stable', changedAt: '2026-09-10T09:00:00Z' },
      { customerId: 'c2', from: 'declining', to: 'lapsed', changedAt: '2026-09-20T09:00:00Z' },
      { customerId: 'c3', from: 'prospect', to: 'exploring', changedAt: '2026-09-12T00:00:00Z' },
      { customerId: 'c5', from: 'stable', to: 'growing', changedAt: '2025-06-01T09:00:00Z' },
      { customerId: 'c5', from: 'growing', to: 'declining', changedAt: '2026-09-05T09:00:00Z' },
      { customerId: 'c6', from: 'lapsed', to: 'exploring', changedAt: '2026-09-25T09:00:00Z' },
    ],
    sends: [
      send('s1', 'c1', 'vip-thanks', '2026-09-02T09:00:00Z', { delivered: true, opens: 2, clicks: 1 }),
      send('s2', 'c2', 'win-back', '2026-09-03T09:00:00Z', { bounced: true }),
      send('s3', 'c5', 'win-back', '2026-09-03T09:00:00Z', { status: 'skipped' }),
      send('s4', 'c6', 'win-back', '2026-08-20T09:00:00Z', { delivered: true }), // before the period
    ],
    orders: [
      { customerId: 'c1', at: '2026-09-04T12:00:00Z', value: 80 }, // 2 days after s1's click: credited
      { customerId: 'c1', at: '2026-09-20T12:00:00Z', value: 40 }, // too late for any touch
    ],
    touches: [
      { customerId: 'c1', sendId: 's1', kind: 'click', at: '2026-09-02T10:00:00Z' },
      { customerId: 'c2', sendId: 's2', kind: 'machine-open', at: '2026-09-03T09:01:00Z' },
    ],
    deliverability: [
      { day: '2026-08-20', sends: 10 },
      { day: '2026-09-03', sends: 400, hardBounces: 4, complaints: 1 },
    ],
    guardrail: { bounceRate: 0.04, complaintRate: 0.0008 },
  }) as ReportSnapshot;

describe('the CRM report from a hand-made snapshot', () => {
  const report = buildReport(snapshot(), { from: FROM, to: TO, generatedAt: TO });

  it('counts the migration matrix, and retention, churn and upgrade rates', () => {
    const cell = (from: string, to: string) => report.lifecycle.matrix[report.lifecycle.origins.indexOf(from as never)]![report.lifecycle.stages.indexOf(to as never)];
    expect(cell('new', 'exploring')).toBe(1);
    expect(cell('prospect', 'prospect')).toBe(1);
    expect(cell('growing', 'stable')).toBe(1);
    expect(cell('growing', 'declining')).toBe(1);
    expect(cell('declining', 'lapsed')).toBe(1);
    expect(cell('lapsed', 'exploring')).toBe(1);
    expect(report.lifecycle.matrix.flat().reduce((a, b) => a + b, 0)).toBe(6);
    expect(report.lifecycle).toMatchObject({ base: 5, activeAtStart: 3, retained: 1, churned: 1, upgraded: 2, retentionRate: 0.3333, churnRate: 0.3333, upgradeRate: 0.4 });
  });

  it('computes cohort shares still buying', () => {
    expect(report.cohorts.offsets).toHaveLength(21); // 2025-01 … 2026-09
    const jan = report.cohorts.rows.find((r) => r.cohort === '2025-01')!;
    expect(jan.customers).toBe(2);
    expect(jan.shares.slice(0, 6)).toEqual([1, 1, 1, 1, 1, 1]); // c5's last order is in month 5
    expect(jan.shares.slice(6)).toEqual(Array(15).fill(0.5)); // c1 still buying in 2026-09
    const feb = report.cohorts.rows.find((r) => r.cohort === '2025-02')!;
    expect(feb.shares.slice(0, 4)).toEqual([1, 1, 1, 0.5]);
    expect(feb.shares[19]).toBe(0.5);
    expect(feb.shares[20]).toBeNull(); // 2026-10 is after the period
    expect(report.cohorts.rows.find((r) => r.cohort === '2026-09')!.shares.slice(0, 2)).toEqual([1, null]);
  });

  it('draws the Lorenz curve of spend and the 80/20 share', () => {
    // Spend sorted 0, 50, 100, 100, 250, 500 of 1,000: cumulative 0, 0, .05, .15, .25, .5, 1 at k/6.
    const at = (q: number) => report.value.spend.lorenz.find((p) => p.customerShare === q)!.valueShare;
    expect(at(0)).toBe(0);
    expect(at(0.25)).toBe(0.025); // halfway between 1/6 (0) and 2/6 (0.05)
    expect(at(0.5)).toBe(0.15);
    expect(at(1)).toBe(1);
    expect(report.value.spend.top20Share).toBe(0.55); // 1 − (0.25 + 0.25 × 0.8)
    expect(report.value.clv!.top20Share).toBe(lorenz([500, 10, 90, 150]).top20Share);
    expect(report.value.byStage.find((s) => s.stage === 'stable')).toEqual({ stage: 'stable', customers: 1, averageSpend: 500, customersWithClv: 1, averagePredictedClv: 500, totalPredictedClv: 500 });
    expect(report.value.byStage.find((s) => s.stage === 'exploring')).toMatchObject({ customers: 2, customersWithClv: 1, averagePredictedClv: 150 });
  });

  it('counts the sends of the period per campaign, with last-touch attributed orders', () => {
    expect(report.sends.map((r) => [r.label, r.sent, r.delivered, r.opens, r.clicks, r.bounces, r.attributedOrders, r.attributedRevenue])).toEqual([
      ['vip-thanks', 1, 1, 2, 1, 0, 1, 80],
      ['win-back', 1, 0, 0, 0, 1, 0, 0],
    ]);
    // Not recorded per send: shown as unknown, not as zero.
    expect(report.sends[0]!.humanOpens).toBeNull();
    expect(report.sends[0]!.unsubscribes).toBeNull();
    expect(report.summary).toMatchObject({ emailsSent: 2, attributedOrders: 1, attributedRevenue: 80 });
    expect(report.attribution).toMatchObject({ available: true, byClick: 1, byHumanOpen: 0 });
  });

  it('reads deliverability per day against the guardrail lines', () => {
    expect(report.deliverability.days).toEqual([{ day: '2026-09-03', sends: 400, hardBounces: 4, complaints: 1, bounceRate: 0.01, complaintRate: 0.0025 }]);
    expect(report.deliverability.complaintThreshold).toBe(0.0008);
  });

  it('says plainly that there is no holdout data, with no numbers', () => {
    expect(report.uplift.available).toBe(false);
    expect(report.uplift.rows).toEqual([]);
    expect(report.uplift.note).toMatch(/No holdout data/);
  });

  it('defaults the period to the first send day through the last event', () => {
    const byDefault = buildReport(snapshot(), { generatedAt: TO });
    expect(byDefault.period.from).toBe('2026-08-20T00:00:00.000Z');
    expect(byDefault.summary.emailsSent).toBe(3);
  });

  it('refuses a malformed snapshot, naming the field', () => {
    const bad = { ...snapshot(), customers: [{ ...snapshot().customers[0], stage: 'loyal' }] } as unknown as ReportSnapshot;
    expect(() => buildReport(bad, { generatedAt: TO })).toThrow(/customers\.0\.stage/);
  });
});

describe('stageAt', () => {
  const changes = [
    { customerId: 'x', from: 'exploring' as const, to: 'growing' as const, changedAt: '2026-01-01T00:00:00Z' },
    { customerId: 'x', from: 'growing' as const, to: 'stable' as const, changedAt: '2026-03-01T00:00:00Z' },
  ];
  it('is the last change before, else the origin of the first change after, else the stage now', () => {
    expect(stageAt(changes, Date.parse('2025-12-01T00:00:00Z'), 'stable')).toBe('exploring');
    expect(stageAt(changes, Date.parse('2026-02-01T00:00:00Z'), 'stable')).toBe('growing');
    expect(stageAt(changes, Date.parse('2026-03-01T00:00:00Z'), 'stable')).toBe('stable');
    expect(stageAt([], Date.parse('2026-02-01T00:00:00Z'), 'lapsed')).toBe('lapsed');
  });
});

describe('holdout uplift in the report', () => {
  it('compares mailed with held-out customers per campaign', () => {
    const s = snapshot();
    const customers = Array.from({ length: 300 }, (_, i) => customer(`h${i}`, 'stable', '2025-01-01T00:00:00Z', 100));
    const sends = customers.slice(0, 200).map((c, i) => send(`t${i}`, c.customerId, 'vip-thanks', '2026-09-10T09:00:00Z', { delivered: true }));
    const heldOut = customers.slice(200).map((c) => ({ customerId: c.customerId, campaignId: 'vip-thanks', at: '2026-09-10T09:00:00Z' }));
    // 40 of 200 mailed order within the 5-day window, 10 of 100 held out.
    const orders = [...customers.slice(0, 40), ...customers.slice(200, 210)].map((c) => ({ customerId: c.customerId, at: '2026-09-12T12:00:00Z', value: 50 }));
    const report = buildReport({ ...s, customers: [...s.customers, ...customers], sends: [...s.sends, ...sends], heldOut, orders } as ReportSnapshot, { from: FROM, to: TO, generatedAt: TO });
    expect(report.uplift.available).toBe(true);
    const row = report.uplift.rows.find((r) => r.key === 'campaign:vip-thanks')!;
    // The snapshot's own s1 to c1 is a mailed customer too (its orders were replaced: no order).
    expect(row.treatedCustomers).toBe(201);
    expect(row.heldOutCustomers).toBe(100);
    expect(row.treatedConversionRate).toBe(Math.round((40 / 201) * 10_000) / 10_000);
    expect(row.heldOutConversionRate).toBe(0.1);
    const exact = newcombeDifference(40, 201, 10, 100);
    expect(row.conversionDifference.lower).toBe(Math.round(exact.lower * 10_000) / 10_000);
    expect(row.conversionDifference.upper).toBe(Math.round(exact.upper * 10_000) / 10_000);
    expect(row.significant).toBe(exact.lower > 0); // the only row with a holdout: Holm changes nothing
    expect(row.incrementalOrders.estimate).toBeCloseTo(exact.estimate * 201, 2);
    expect(row.treatedRevenuePerCustomer).toBe(Math.round((40 * 50 * 100) / 201) / 100);
    expect(report.uplift.rows.map((r) => r.key)).toEqual(['campaign:vip-thanks']);
  });
});

describe('last touch against the holdout', () => {
  const sendRow = (key: string, attributedRevenue: number | null) => ({ key, label: key, level: key.split(':')[0] as 'journey', sent: 10, delivered: 10, opens: 0, humanOpens: 0, machineOpens: 0, clicks: 0, unsubscribes: 0, bounces: 0, complaints: 0, attributedOrders: attributedRevenue === null ? null : 1, attributedRevenue });
  const upliftRow = (key: string, level: 'journey' | 'campaign' | 'step' | 'variant', incremental: [number, number, number] | null) => {
    const d = { estimate: 0, lower: 0, upper: 0 };
    return { key, label: key, level, treatedCustomers: 10, heldOutCustomers: 10, treatedConversionRate: 0, heldOutConversionRate: 0, conversionDifference: d, treatedRevenuePerCustomer: 0, heldOutRevenuePerCustomer: 0, revenueDifference: d, incrementalOrders: d, incrementalRevenue: incremental && { estimate: incremental[0], lower: incremental[1], upper: incremental[2] }, pValue: 1, adjustedPValue: 1, significant: false, revenueAdjustedPValue: 1, revenueSignificant: false };
  };

  it('says last touch overstates only when it is above the whole interval', () => {
    const rows = lastTouchAgainstHoldout(
      [sendRow('journey:a', 900), sendRow('journey:b', 500), sendRow('campaign:c', 10), sendRow('journey:d', null), sendRow('step:a/steps[0]', 900)],
      [upliftRow('journey:a', 'journey', [200, -100, 600]), upliftRow('journey:b', 'journey', [200, -100, 600]), upliftRow('campaign:c', 'campaign', [200, 50, 600]), upliftRow('journey:d', 'journey', [1, 0, 2]), upliftRow('step:a/steps[0]', 'step', [1, 0, 2])],
    );
    // d has no last-touch figure and steps are not compared: only a, b and c get a row.
    expect(rows.map((r) => [r.key, r.lastTouchRevenue, r.verdict])).toEqual([
      ['journey:a', 900, 'overstates'],
      ['journey:b', 500, 'within-interval'],
      ['campaign:c', 10, 'understates'],
    ]);
  });

  it('is in the report from recorded attribution and holdouts', () => {
    const s = snapshot();
    const customers = Array.from({ length: 300 }, (_, i) => customer(`h${i}`, 'stable', '2025-01-01T00:00:00Z', 100));
    const sends = customers.slice(0, 200).map((c, i) => send(`t${i}`, c.customerId, 'vip-thanks', '2026-09-10T09:00:00Z', { delivered: true }));
    const heldOut = customers.slice(200).map((c) => ({ customerId: c.customerId, campaignId: 'vip-thanks', at: '2026-09-10T09:00:00Z' }));
    // Everyone orders at the same rate (20%), mailed or not: last touch still credits the mailed ones who clicked.
    const buyers = [...customers.slice(0, 40), ...customers.slice(200, 220)];
    const orders = buyers.map((c) => ({ customerId: c.customerId, at: '2026-09-12T12:00:00Z', value: 50 }));
    const touches = customers.slice(0, 40).map((c, i) => ({ customerId: c.customerId, sendId: `t${i}`, kind: 'click', at: '2026-09-10T10:00:00Z' }));
    const report = buildReport({ ...s, customers: [...s.customers, ...customers], sends: [...s.sends, ...sends], heldOut, orders, touches } as ReportSnapshot, { from: FROM, to: TO, generatedAt: TO });
    const row = report.uplift.lastTouch.find((r) => r.key === 'campaign:vip-thanks')!;
    expect(row.lastTouchRevenue).toBe(40 * 50);
    const uplift = report.uplift.rows.find((r) => r.key === 'campaign:vip-thanks')!;
    expect(row.incrementalRevenue).toEqual(uplift.incrementalRevenue);
    expect(row.incrementalRevenue.upper).toBeLessThan(2000);
    expect(row.verdict).toBe('overstates');
  });
});
