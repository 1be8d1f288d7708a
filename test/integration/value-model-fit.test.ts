/**
 * A failed model fit is never used for scoring, through the segment function against dynalite:
 * a degenerate fit is recorded as rejected with why, and the previous usable fit scores the
 * base (or none does), with a warning in the run's report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { consentingCustomer } from '../support/profiles.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const NOW = '2026-10-05T03:00:00.000Z';
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.parse(NOW) - days * DAY).toISOString();
const EARLIER = ago(10);
const GOOD = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await LocalRuntime.start({ catalog: await buildCatalog(projectPaths(repoRoot)), start: NOW });
  // 40 buyers with the same history: nothing to tell them apart, so the BG/NBD shapes run off to infinity.
  for (let i = 0; i < 40; i++) {
    await runtime.customers.save({ ...consentingCustomer(`same-${i}`, ago(200), { firstOrderAt: ago(140), lastOrderAt: ago(1), orderDays: 5, orderCount: 5, totalSpend: 150 }), version: 1 });
  }
}, 60_000);
afterAll(async () => {
  await runtime?.stop();
});

const scan = async () => {
  const out = [];
  for await (const page of runtime.customers.scanSegment(0, 1)) out.push(...page);
  return out;
};

describe('a degenerate fit in the segment function', () => {
  it('with no earlier fit: recorded as rejected, nobody scored, the report warns', async () => {
    const report = await runtime.fireSchedule({ recompute: true, campaignIds: [] });
    expect(report?.models?.bgnbd).toBeUndefined();
    expect(report?.models?.warning).toMatch(/^BG\/NBD fit not used: .*r = \d+ outside \[0\.0001, 10000\]/);
    expect(report?.models?.skipped).toMatch(/no earlier usable fit to score with$/);
    const run = await runtime.modelRuns.latest('bgnbd');
    expect(run).toMatchObject({ fittedAt: NOW, rejected: expect.stringMatching(/r = \d+ outside/) });
    expect(run!.params.r).toBeGreaterThan(1e4);
    expect(await runtime.modelRuns.latestUsable('bgnbd')).toBeUndefined();
    expect((await scan()).every((p) => p.value === undefined)).toBe(true);
  });

  it('with an earlier usable fit: that fit scores the base, and the report says so', async () => {
    await runtime.modelRuns.record({ model: 'bgnbd', fittedAt: EARLIER, params: GOOD, logLikelihood: -9582.4, iterations: 300, converged: true, customers: 2357 });
    const report = await runtime.fireSchedule({ recompute: true, campaignIds: [] });
    expect(report?.models?.bgnbd).toEqual(GOOD);
    expect(report?.models?.warning).toBe(`BG/NBD fit of ${NOW} not used: ${(await runtime.modelRuns.latest('bgnbd'))!.rejected}; scoring with the fit of ${EARLIER}`);
    const profiles = await scan();
    expect(profiles).toHaveLength(40);
    for (const p of profiles) expect(p.value?.modelFittedAt).toBe(EARLIER);
  });

  it('a week on, the refit is rejected again and the earlier usable fit still scores', async () => {
    const later = new Date(Date.parse(NOW) + 8 * DAY).toISOString();
    runtime.clock.set(later);
    const report = await runtime.fireSchedule({ recompute: true, campaignIds: [] });
    expect(report?.models?.bgnbd).toEqual(GOOD);
    expect(report?.models?.warning).toMatch(new RegExp(`^BG/NBD fit not used: .*; scoring with the fit of ${EARLIER}$`));
    expect(await runtime.modelRuns.latest('bgnbd')).toMatchObject({ fittedAt: later, rejected: expect.any(String) });
    expect(await runtime.modelRuns.latestUsable('bgnbd')).toMatchObject({ fittedAt: EARLIER, params: GOOD });
  });
});
