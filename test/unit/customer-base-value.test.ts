import { describe, expect, it } from 'vitest';
import { fitValueModel, purchaseHistoryOf, scoreCustomerValue, valueMoved } from '#domain/customer-base-value.ts';
import { type CustomerProfile, newProfile } from '#domain/customer-profile.ts';
import { readFileSync } from 'node:fs';
import { parseOrderLog } from '#cli/run/order-log.ts';

const now = '2026-11-01T00:00:00.000Z';
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.parse(now) - days * DAY).toISOString();

/** Profiles as ingest would build them from the real CDNOW sample, calibration ending 1997-09-30. */
function cdnowBase(): { profiles: CustomerProfile[]; at: string } {
  const at = '1997-10-01T00:00:00.000Z';
  const text = readFileSync(new URL('../../data/cdnow/CDNOW_sample.txt', import.meta.url), 'utf8');
  const byCustomer = new Map<string, { days: Set<string>; spend: number }>();
  for (const o of parseOrderLog(text, 'cdnow').orders) {
    if (o.date > '1997-09-30') continue;
    const c = byCustomer.get(o.customerId) ?? { days: new Set<string>(), spend: 0 };
    c.days.add(o.date);
    c.spend += o.amount;
    byCustomer.set(o.customerId, c);
  }
  const profiles = [...byCustomer].map(([id, c]) => {
    const days = [...c.days].sort();
    return { ...newProfile(id, at), firstOrderAt: `${days[0]}T00:00:00.000Z`, lastOrderAt: `${days.at(-1)}T00:00:00.000Z`, orderDays: days.length, orderCount: days.length, totalSpend: c.spend };
  });
  return { profiles, at };
}

describe('customer value on the stored base', () => {
  it('expresses a profile in the models terms (weeks, repeat purchase days)', () => {
    const p = { ...newProfile('c', now), firstOrderAt: ago(70), lastOrderAt: ago(14), orderDays: 3, orderCount: 4, totalSpend: 90 };
    expect(purchaseHistoryOf(p, now)).toEqual({ x: 2, tx: 8, T: 10, monetaryValue: 30 });
    expect(purchaseHistoryOf(newProfile('p', now), now)).toBeUndefined();
  });

  it('fits on real profiles (close to the published CDNOW fit), and scores a silent frequent buyer below an active one', () => {
    const { profiles: customers, at } = cdnowBase();
    const fit = fitValueModel(customers, at);
    if (!fit.fitted) throw new Error(`not fitted: ${JSON.stringify(fit)}`);
    // Profiles give T up to the day after calibration: within a few percent of r=0.243, alpha=4.414, a=0.793, b=2.426.
    expect(fit.model.bgnbd.r).toBeGreaterThan(0.2);
    expect(fit.model.bgnbd.r).toBeLessThan(0.29);
    expect(fit.model.bgnbd.alpha).toBeGreaterThan(3.8);
    expect(fit.model.bgnbd.alpha).toBeLessThan(5);
    const agoAt = (d: number) => new Date(Date.parse(at) - d * DAY).toISOString();
    const silent = { ...newProfile('silent', at), firstOrderAt: agoAt(260), lastOrderAt: agoAt(200), orderDays: 8, orderCount: 8, totalSpend: 400 };
    const active = { ...silent, customerId: 'active', lastOrderAt: agoAt(3) };
    const scores = scoreCustomerValue(fit.model, [...customers, silent, active], at);
    expect(scores.get('silent')!.pAlive).toBeLessThan(scores.get('active')!.pAlive);
    expect(scores.get('silent')!.predictedClv).toBeLessThan(scores.get('active')!.predictedClv);
    expect(scores.get('active')!.clvPercentile).toBeGreaterThan(90);
    for (const v of scores.values()) {
      expect(v.pAlive).toBeGreaterThanOrEqual(0);
      expect(v.pAlive).toBeLessThanOrEqual(1);
      expect(v.churnRisk).toBeCloseTo(1 - v.pAlive, 4);
      expect(Number.isFinite(v.predictedClv)).toBe(true);
    }
  });

  it('declines to fit a base too small to say anything, with the reason', () => {
    const few = cdnowBase().profiles.slice(0, 5);
    expect(fitValueModel(few, '1997-10-01T00:00:00.000Z')).toEqual({ fitted: false, reason: '5 buyers, need 30' });
  });

  it('writes value only when it moved', () => {
    const v = { pAlive: 0.5, expectedPurchases90d: 1, predictedClv: 100, clvPercentile: 50, churnRisk: 0.5, modelFittedAt: now };
    expect(valueMoved(v, { ...v, pAlive: 0.51 })).toBe(false);
    expect(valueMoved(v, { ...v, pAlive: 0.45 })).toBe(true);
    expect(valueMoved(undefined, v)).toBe(true);
  });
});
