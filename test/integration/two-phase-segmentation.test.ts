/**
 * The two-phase segmentation (summarise every scan segment, merge, then score every segment) that
 * the Step Functions state machine runs in AWS, run in-process by the local runtime against
 * dynalite, decides exactly what the single pass decides on the demo shop: the same stages, RFM,
 * value scores and loyalty on every profile, the same report, the same queued sends.
 */
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { generateDemoShop } from '#cli/run/demo-shop.ts';
import type { Catalog } from '#domain/catalog.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const END = '2026-11-01T00:00:00.000Z';
const RUN_AT = '2026-11-01T03:00:00.000Z';
let catalog: Catalog;
let single: LocalRuntime;
let twoPhase: LocalRuntime;

const scan = async (runtime: LocalRuntime) => {
  const out: CustomerProfile[] = [];
  for await (const page of runtime.customers.scanSegment(0, 1)) out.push(...page);
  return new Map(out.map((p) => [p.customerId, p]));
};

beforeAll(async () => {
  catalog = await buildCatalog(projectPaths(repoRoot));
  const events = generateDemoShop({ customers: 400, seed: 'two-phase', end: END.slice(0, 10), historyDays: 540, liveDays: 42, scenario: 'healthy' }).filter((e) => Date.parse(e.time) < Date.parse(END));
  [single, twoPhase] = await Promise.all([
    LocalRuntime.start({ catalog, start: events[0]!.time }),
    LocalRuntime.start({ catalog, start: RUN_AT, twoPhaseSegments: 5 }),
  ]);
  // The shop's history through the bus and the ingest function, into the first (as a replay imports
  // it: each customer's profile written once at the end); its profiles copied into the second.
  await single.importHistory(async () => {
    for (const e of events) {
      single.clock.set(e.time);
      await single.bus.putEvents('shop', [{ Source: SHOP_EVENT_SOURCE, DetailType: e.detailType, Detail: JSON.stringify(e.detail), Time: new Date(e.time) }]);
    }
  });
  for (const p of (await scan(single)).values()) await twoPhase.db.send(new PutCommand({ TableName: twoPhase.tables.customers, Item: p }));
  single.clock.set(RUN_AT);
}, 240_000);

afterAll(async () => {
  await Promise.all([single?.stop(), twoPhase?.stop()]);
});

describe('two-phase segmentation on the demo shop', () => {
  it('gives the same stages, scores, report and queued sends as the single pass', async () => {
    const scheduled = catalog.campaigns.filter((c) => c.enabled && c.trigger.type === 'schedule').map((c) => c.id);
    const before = await scan(single);
    // The history's event-triggered sends (welcome, carts) wait in the first runtime's queue: only the run's own are compared.
    const queuedBefore = single.sendQueue.pendingSendIds();
    const input = { recompute: true, campaignIds: scheduled };
    const [a, b] = [await single.fireSchedule(input), await twoPhase.fireSchedule(input)];
    expect(a).toBeDefined();
    expect(b).toEqual(a);
    // Something to compare: stages moved, the models were fitted and scored buyers, and sends were queued.
    expect(a!.profilesUpdated).toBeGreaterThan(50);
    expect(a!.models?.bgnbd).toBeDefined();
    expect(Object.values(a!.campaigns).reduce((n, c) => n + c.queued, 0)).toBeGreaterThan(10);

    const [one, two] = [await scan(single), await scan(twoPhase)];
    expect(two.size).toBe(before.size);
    let valued = 0;
    for (const [id, p] of one) {
      const q = two.get(id)!;
      const pick = (x: CustomerProfile) => ({ stage: x.stage, stageSince: x.stageSince, rfm: x.rfm, value: x.value, loyaltyScore: x.loyaltyScore, version: x.version });
      expect(pick(q), id).toEqual(pick(p));
      if (p.value) valued++;
    }
    expect(valued).toBeGreaterThan(100);
    const queuedByRun = [...single.sendQueue.pendingSendIds()].filter((id) => !queuedBefore.has(id));
    expect(queuedByRun.length).toBe(Object.values(a!.campaigns).reduce((n, c) => n + c.queued, 0));
    expect([...twoPhase.sendQueue.pendingSendIds()].sort()).toEqual(queuedByRun.sort());
    // Nothing the workers or the coordinator did was outside their declared access, and the run's items are gone.
    expect(twoPhase.access.violations).toEqual([]);
    const { Items } = await twoPhase.db.send(new ScanCommand({ TableName: twoPhase.tables['model-runs'] }));
    expect((Items ?? []).filter((i) => String(i.model).startsWith('segmentation#'))).toEqual([]);
  }, 120_000);
});
