/** A failed model fit is never used for scoring, and there is one CLV for the stored scores and `models fit`. */
import { mkdtempSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelFitRejectedError, runModelsFit } from '#cli/customer-value-report.ts';
import { fitValueModel, scoreCustomerValue } from '#domain/customer-base-value.ts';
import { newProfile } from '#domain/customer-profile.ts';
import { clvOptionsFor, expectedOrderValue, predictedClv } from '#domain/customer-value/clv.ts';
import { fitCustomerValue } from '#domain/customer-value/fit-customer-value.ts';
import { bgnbdFitProblems, gammaGammaFitProblems } from '#domain/customer-value/fit-quality.ts';
import type { Order } from '#domain/order.ts';
import { cdnowSampleOrders } from './cdnow-fixture.ts';

const DAY = 86_400_000;
const CDNOW = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/** 40 buyers with exactly the same history: no heterogeneity to estimate, so the BG/NBD shapes run off to infinity. */
function identicalBuyers(at: string) {
  const ago = (days: number) => new Date(Date.parse(at) - days * DAY).toISOString();
  return Array.from({ length: 40 }, (_, i) => ({ ...newProfile(`same-${i}`, at), firstOrderAt: ago(140), lastOrderAt: ago(0), orderDays: 5, orderCount: 5, totalSpend: 150 }));
}

describe('fit quality', () => {
  it('accepts the published CDNOW fit and rejects one that did not converge or has a degenerate parameter', () => {
    expect(bgnbdFitProblems({ ...CDNOW, converged: true, iterations: 300 })).toEqual([]);
    expect(bgnbdFitProblems({ ...CDNOW, converged: false, iterations: 10_000 })).toEqual(['did not converge in 10000 iterations']);
    expect(bgnbdFitProblems({ ...CDNOW, a: 7.4e6, converged: true, iterations: 300 })).toEqual(['a = 7400000 outside [0.0001, 10000]']);
    expect(gammaGammaFitProblems({ p: 6.25, q: 3.74, v: 15.44, converged: true, iterations: 200 })).toEqual([]);
    expect(gammaGammaFitProblems({ p: 2.6e7, q: 9.8e12, v: 1.1e7, converged: false, iterations: 10_150 })).toHaveLength(3);
  });

  it('fitValueModel does not hand a degenerate fit to scoring: it says why and keeps the fit for the record', () => {
    const at = '2026-11-01T00:00:00.000Z';
    const fit = fitValueModel(identicalBuyers(at), at);
    expect(fit.fitted).toBe(false);
    expect(fit).toMatchObject({ reason: expect.stringMatching(/^BG\/NBD fit not used: .*r = .* outside \[0\.0001, 10000\]/) });
    expect(!fit.fitted && fit.rejected?.problems.length).toBeGreaterThan(0);
  });
});

describe('models fit on a log it cannot fit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fit-rejected-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the report with NOT USABLE, writes no scores and fails with exit code 1', async () => {
    const lines = ['customer_id,date,quantity,amount'];
    for (let c = 0; c < 40; c++) for (let w = 0; w < 5; w++) lines.push(`c${c},${new Date(Date.parse('2024-01-01') + w * 35 * DAY).toISOString().slice(0, 10)},1,30`);
    const file = join(dir, 'same.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const scores = join(dir, 'scores.csv');
    let out = '';
    const run = runModelsFit({ orders: file, format: 'csv', calibrationEnd: '2024-05-10', scores }, (t) => (out += t));
    await expect(run).rejects.toThrow(ModelFitRejectedError);
    await expect(run).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/^the model fit is not usable, its scores must not be used: BG\/NBD did not converge in \d+ iterations; BG\/NBD r = /) });
    expect(out).toMatch(/converged: NO/);
    expect(out).toMatch(/NOT USABLE: BG\/NBD did not converge/);
    expect(existsSync(scores)).toBe(false);
  });
});

describe('one CLV', () => {
  it('the stored predictedClv and models fit give the same number for the same customer', () => {
    // A customer who spends 30 on five days, five weeks apart, then the CDNOW sample for the fit.
    const days = [0, 35, 70, 105, 140].map((d) => new Date(Date.parse('1997-01-10') + d * DAY).toISOString().slice(0, 10));
    const own: Order[] = days.map((date) => ({ customerId: 'zz-same', date, quantity: 1, amount: 30 }));
    const result = fitCustomerValue([...cdnowSampleOrders(), ...own], { calibrationEnd: '1997-09-30', periodDays: 7 });
    const fromModelsFit = result.scores.find((s) => s.customerId === 'zz-same')!;
    expect(fromModelsFit).toMatchObject({ x: 4 });

    const at = '1997-09-30T00:00:00.000Z';
    const profile = { ...newProfile('zz-same', at), firstOrderAt: `${days[0]}T00:00:00.000Z`, lastOrderAt: `${days.at(-1)}T00:00:00.000Z`, orderDays: 5, orderCount: 5, totalSpend: 150 };
    const { r, alpha, a, b } = result.bgnbd;
    const { p, q, v } = result.gammaGamma;
    const stored = scoreCustomerValue({ bgnbd: { r, alpha, a, b }, gammaGamma: { p, q, v }, fittedAt: at }, [profile], at).get('zz-same')!;

    expect(fromModelsFit.clv).toBeGreaterThan(10);
    expect(stored.predictedClv).toBe(Math.round(fromModelsFit.clv * 100) / 100);
    // Both are the one function, at 52 weeks and 10% a year, stepping week by week.
    expect(fromModelsFit.clv).toBeCloseTo(predictedClv({ r, alpha, a, b }, { p, q, v }, { ...fromModelsFit, monetaryValue: 30 }, clvOptionsFor(7)), 10);
    expect(clvOptionsFor(7)).toEqual({ horizonPeriods: 52, discountRatePerPeriod: Math.pow(1.1, 1 / 52) - 1 });
  });

  it('the order value behind it: Gamma-Gamma for repeat buyers, the own first order for one-time buyers, else the population mean', () => {
    const gg = { p: 6.25, q: 3.74, v: 15.44 };
    expect(expectedOrderValue(gg, 4, 30)).toBeCloseTo((6.25 * (15.44 + 4 * 30)) / (6.25 * 4 + 3.74 - 1), 10);
    expect(expectedOrderValue(gg, 0, 42.5)).toBe(42.5);
    expect(expectedOrderValue(gg, 0, 0)).toBeCloseTo((6.25 * 15.44) / 2.74, 10);
    expect(expectedOrderValue(undefined, 4, 30)).toBe(30);
    expect(expectedOrderValue({ p: 1, q: 0.5, v: 10 }, 0, 0)).toBe(0); // no finite mean and nothing observed
  });
});
