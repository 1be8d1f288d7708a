import { describe, expect, it } from 'vitest';
import { assignLifecycleStage, DEFAULT_STAGE_THRESHOLDS, interPurchaseDays } from '#domain/lifecycle-stage.ts';

const now = '2026-11-01T00:00:00.000Z';
const daysAgo = (n: number) => new Date(Date.parse(now) - n * 86_400_000).toISOString();

describe('assignLifecycleStage', () => {
  it('calls a customer without orders a prospect', () => {
    expect(assignLifecycleStage({ orderDays: 0 }, now)).toBe('prospect');
  });

  it('calls a recent one-time buyer exploring', () => {
    expect(assignLifecycleStage({ orderDays: 1, firstOrderAt: daysAgo(10), lastOrderAt: daysAgo(10) }, now)).toBe('exploring');
  });

  it('separates growing from stable by purchase days and RFM value', () => {
    const base = { firstOrderAt: daysAgo(200), lastOrderAt: daysAgo(5) };
    expect(assignLifecycleStage({ ...base, orderDays: 3, rfm: { r: 5, f: 3, m: 3, segment: 'x' } }, now)).toBe('growing');
    expect(assignLifecycleStage({ ...base, orderDays: 6, rfm: { r: 5, f: 4, m: 4, segment: 'x' } }, now)).toBe('stable');
    expect(assignLifecycleStage({ ...base, orderDays: 6, rfm: { r: 5, f: 2, m: 2, segment: 'x' } }, now)).toBe('growing');
  });

  it('judges churn against the customer own rhythm, not one fixed day count', () => {
    // A weekly buyer silent for 60 days has broken their rhythm; a quarterly buyer has not.
    const weekly = { orderDays: 20, firstOrderAt: daysAgo(60 + 19 * 7), lastOrderAt: daysAgo(60) };
    const quarterly = { orderDays: 5, firstOrderAt: daysAgo(60 + 4 * 90), lastOrderAt: daysAgo(60) };
    expect(assignLifecycleStage(weekly, now)).toBe('declining');
    expect(assignLifecycleStage(quarterly, now)).not.toBe('declining');
    expect(interPurchaseDays(weekly, DEFAULT_STAGE_THRESHOLDS)).toBeCloseTo(7, 5);
  });

  it('moves a long-silent customer to lapsed, capped by maxLapsedDays whatever the rhythm', () => {
    expect(assignLifecycleStage({ orderDays: 1, firstOrderAt: daysAgo(400), lastOrderAt: daysAgo(400) }, now)).toBe('lapsed');
    const slow = { orderDays: 3, firstOrderAt: daysAgo(2000), lastOrderAt: daysAgo(600) };
    expect(assignLifecycleStage(slow, now)).toBe('lapsed');
  });

  it('uses P(alive) when the purchase model has one', () => {
    const inputs = { orderDays: 4, firstOrderAt: daysAgo(150), lastOrderAt: daysAgo(60) };
    expect(assignLifecycleStage({ ...inputs, pAlive: 0.9 }, now)).toBe('growing');
    expect(assignLifecycleStage({ ...inputs, pAlive: 0.3 }, now)).toBe('declining');
  });
});
