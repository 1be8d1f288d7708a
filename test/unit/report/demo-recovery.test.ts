import { describe, expect, it } from 'vitest';
import { attributeOrder, type Touch } from '#domain/attribution.ts';
import { isHeldOut } from '#domain/holdout.ts';
import { customerOutcomes, type Exposure, type OrderValue, upliftRows } from '#domain/uplift.ts';
import { seededRandom } from '#lib/local/seeded-random.ts';

/**
 * The demo's response model, simulated fast (no runtime): does the report's method recover a
 * known effect? Each replication draws a fresh population per journey; mailed customers click
 * with some chance, and a click brings an extra order 1–4 days later with the journey's chance
 * (as cli/run/demo-response.ts does); everyone also orders at a baseline rate whatever they got.
 * The holdout is the product's keyed-hash draw (25%, as the demo's journeys).
 */
const DAY = 86_400_000;
const T0 = Date.parse('2026-10-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const WINDOW = 5;
const CUSTOMERS = 1_200;
const HOLDOUT = 25;
const BASELINE_DAILY = 0.02; // → about 9.6% order within 5 days anyway
const CLICK = 0.25;
const JOURNEYS = { strong: 0.9, medium: 0.5, none: 0, 'none-too': 0 } as const;
const REPLICATIONS = 200;

/** The population effect: P(converted | mailed) − P(converted | held out). */
const trueEffect = (response: number) => {
  const base = 1 - (1 - BASELINE_DAILY) ** WINDOW;
  // A response order comes within 4 days of the send (click within a day, order 0.75–3 days later): always inside the window.
  return (1 - base) * CLICK * response;
};

function replicate(rep: number) {
  const rnd = seededRandom(`demo-recovery:${rep}`);
  const exposures: Exposure[] = [];
  const orders: OrderValue[] = [];
  const attributed = new Map<string, number>();
  for (const [journey, response] of Object.entries(JOURNEYS)) {
    let lastTouch = 0;
    for (let i = 0; i < CUSTOMERS; i++) {
      const customerId = `${journey}-${rep}-${i}`;
      const at = T0 + rnd() * 10 * DAY;
      const held = isHeldOut('demo-recovery', { journeyId: journey }, customerId, HOLDOUT);
      exposures.push({ key: `journey:${journey}`, customerId, group: held ? 'held-out' : 'treated', at: iso(at) });
      const mine: OrderValue[] = [];
      for (let d = 0; d < WINDOW; d++) if (rnd() < BASELINE_DAILY) mine.push({ customerId, at: iso(at + (d + rnd()) * DAY), value: 20 + 20 * rnd() });
      const touches: Touch[] = [];
      if (!held && rnd() < CLICK) {
        const clickAt = at + rnd() * 2 * DAY * 0.5;
        touches.push({ sendId: `${journey}:${customerId}`, kind: 'click', at: iso(clickAt) });
        if (rnd() < response) mine.push({ customerId, at: iso(clickAt + (1 + 3 * rnd()) * DAY * 0.75), value: 20 + 20 * rnd() });
      }
      for (const o of mine) {
        orders.push(o);
        if (attributeOrder(o.at, touches)) attributed.set(journey, (attributed.get(journey) ?? 0) + o.value);
      }
      lastTouch += touches.length;
    }
    expect(lastTouch).toBeGreaterThan(0);
  }
  return { rows: upliftRows(customerOutcomes(exposures, orders, WINDOW)), attributed };
}

describe('the report recovers the demo\'s known effects (200 simulated replications)', () => {
  const results = Array.from({ length: REPLICATIONS }, (_, rep) => replicate(rep));

  it('covers the true conversion uplift with about 95% of its 95% intervals', () => {
    let covered = 0;
    let total = 0;
    for (const { rows } of results) {
      for (const row of rows) {
        const journey = row.key.slice('journey:'.length) as keyof typeof JOURNEYS;
        const truth = trueEffect(JOURNEYS[journey]);
        total++;
        if (row.conversionDifference.lower <= truth && truth <= row.conversionDifference.upper) covered++;
      }
    }
    expect(total).toBe(REPLICATIONS * 4);
    if (process.env.PRINT_RECOVERY) console.log(`coverage ${covered}/${total}`);
    // 800 intervals at 95%: the binomial SD of the coverage is 0.77 points; 91–99% is about ±5 SD.
    expect(covered / total).toBeGreaterThan(0.91);
    expect(covered / total).toBeLessThan(0.99);
  });

  it('finds the no-effect journeys significant (after Holm) at most about 5% of the time, and the strong one nearly always', () => {
    const significantShare = (journey: string) => results.filter(({ rows }) => rows.find((r) => r.key === `journey:${journey}`)!.conversionSignificant).length / REPLICATIONS;
    if (process.env.PRINT_RECOVERY) console.log(Object.keys(JOURNEYS).map((j) => `${j} significant ${significantShare(j)}`).join('; '));
    expect(significantShare('none')).toBeLessThanOrEqual(0.06);
    expect(significantShare('none-too')).toBeLessThanOrEqual(0.06);
    expect(significantShare('strong')).toBeGreaterThan(0.8);
  });

  it('shows last-touch attributed revenue above the incremental revenue, on average, for every journey', () => {
    for (const journey of Object.keys(JOURNEYS)) {
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const attributed = mean(results.map(({ attributed }) => attributed.get(journey) ?? 0));
      const incremental = mean(results.map(({ rows }) => rows.find((r) => r.key === `journey:${journey}`)!.incrementalRevenue?.estimate ?? 0));
      if (process.env.PRINT_RECOVERY) console.log(`${journey}: attributed ${attributed.toFixed(0)} incremental ${incremental.toFixed(0)}`);
      expect(attributed, journey).toBeGreaterThan(incremental);
    }
  });
});
