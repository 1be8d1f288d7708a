import { describe, expect, it } from 'vitest';
import { attributeOrder, AttributionWindows, type Touch } from '#domain/attribution.ts';
import { newcombeDifference } from '#domain/statistics.ts';
import { type CustomerOutcome, customerOutcomes, upliftRows } from '#domain/uplift.ts';
import { seededRandom } from '#lib/local/seeded-random.ts';

const at = (day: number, hour = 0) => new Date(Date.UTC(2026, 8, 1 + day, hour)).toISOString();

describe('last-touch attribution', () => {
  it('credits a click for 5 days and a human open for 1 day', () => {
    const click: Touch = { sendId: 's-click', kind: 'click', at: at(0) };
    const open: Touch = { sendId: 's-open', kind: 'human-open', at: at(0) };
    expect(attributeOrder(at(4, 23), [click])).toEqual({ sendId: 's-click', touch: 'click', touchAt: at(0), hoursToOrder: 119 });
    expect(attributeOrder(at(5, 1), [click])).toBeUndefined();
    expect(attributeOrder(at(0, 23), [open])?.sendId).toBe('s-open');
    expect(attributeOrder(at(1, 1), [open])).toBeUndefined();
  });

  it('never credits a machine open', () => {
    expect(attributeOrder(at(0, 2), [{ sendId: 's', kind: 'machine-open', at: at(0) }])).toBeUndefined();
  });

  it('credits the latest qualifying touch, not an earlier one', () => {
    const touches: Touch[] = [
      { sendId: 'older-click', kind: 'click', at: at(0) },
      { sendId: 'newer-open', kind: 'human-open', at: at(2) },
      { sendId: 'newest-machine', kind: 'machine-open', at: at(2, 5) },
      { sendId: 'after-order', kind: 'click', at: at(3) },
    ];
    expect(attributeOrder(at(2, 6), touches)?.sendId).toBe('newer-open');
    // Once the open's day is over, the older click (still within 5 days) is the latest that qualifies.
    expect(attributeOrder(at(3, 1) , touches.slice(0, 3))?.sendId).toBe('older-click');
  });

  it('credits nothing for an order before any touch', () => {
    expect(attributeOrder(at(0), [{ sendId: 's', kind: 'click', at: at(1) }])).toBeUndefined();
    expect(attributeOrder(at(0), [])).toBeUndefined();
  });

  it('takes configured windows, and refuses bad ones with the field named', () => {
    const windows = AttributionWindows.parse({ clickDays: 1, humanOpenDays: 0 });
    expect(attributeOrder(at(1, 2), [{ sendId: 's', kind: 'click', at: at(0) }], windows)).toBeUndefined();
    expect(attributeOrder(at(0, 2), [{ sendId: 's', kind: 'human-open', at: at(0) }], windows)).toBeUndefined();
    const bad = AttributionWindows.safeParse({ clickDays: -1 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['clickDays']);
  });
});

describe('customer outcomes', () => {
  it('counts an order within the window after the first exposure, with its revenue', () => {
    const outcomes = customerOutcomes(
      [
        { key: 'win-back', customerId: 'a', group: 'treated', at: at(0) },
        { key: 'win-back', customerId: 'a', group: 'treated', at: at(3) },
        { key: 'win-back', customerId: 'b', group: 'held-out', at: at(0) },
        { key: 'win-back', customerId: 'c', group: 'treated', at: at(0) },
      ],
      [
        { customerId: 'a', at: at(2), value: 40 },
        { customerId: 'a', at: at(6), value: 25 },
        { customerId: 'a', at: at(9), value: 99 }, // after the 7-day window
        { customerId: 'b', at: at(1), value: 10 },
        { customerId: 'c', at: at(-1), value: 70 }, // before the send
      ],
      7,
    );
    const byCustomer = Object.fromEntries(outcomes.map((o) => [o.customerId, o]));
    expect(outcomes).toHaveLength(3);
    expect(byCustomer.a).toMatchObject({ converted: true, orders: 2, revenue: 65 });
    expect(byCustomer.b).toMatchObject({ group: 'held-out', converted: true, revenue: 10 });
    expect(byCustomer.c).toMatchObject({ converted: false, revenue: 0 });
  });
});

const outcomesFor = (key: string, group: 'treated' | 'held-out', customers: number, converters: number, value: number): CustomerOutcome[] =>
  Array.from({ length: customers }, (_, i) => ({ key, customerId: `${key}-${group}-${i}`, group, converted: i < converters, orders: i < converters ? 1 : 0, revenue: i < converters ? value : 0 }));

describe('uplift rows', () => {
  it('compares treated with held out: rates, Newcombe difference, incremental orders and revenue', () => {
    const rows = upliftRows([...outcomesFor('vip', 'treated', 800, 96, 50), ...outcomesFor('vip', 'held-out', 200, 12, 50)]);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.treated).toEqual({ customers: 800, converters: 96, conversionRate: 0.12, revenuePerCustomer: 6 });
    expect(row.heldOut).toEqual({ customers: 200, converters: 12, conversionRate: 0.06, revenuePerCustomer: 3 });
    const expected = newcombeDifference(96, 800, 12, 200);
    expect(row.conversionDifference.estimate).toBeCloseTo(0.06, 12);
    expect(row.conversionDifference.lower).toBeCloseTo(expected.lower, 12);
    expect(row.incrementalOrders.estimate).toBeCloseTo(48, 9);
    expect(row.incrementalOrders.lower).toBeCloseTo(expected.lower * 800, 9);
    expect(row.revenueDifference!.estimate).toBeCloseTo(3, 9);
    expect(row.incrementalRevenue!.estimate).toBeCloseTo(2400, 6);
    // One row: Holm changes nothing.
    expect(row.conversionAdjustedP).toBeCloseTo(expected.pValue, 12);
    expect(row.conversionSignificant).toBe(expected.lower > 0);
  });

  it('gives no row to a key without held-out customers', () => {
    expect(upliftRows(outcomesFor('welcome', 'treated', 50, 5, 20))).toEqual([]);
  });

  it('applies Holm over the rows: a borderline row alone is significant, among many it is not', () => {
    // 130/1000 vs 100/1000: p just under 0.05 alone.
    const borderline = [...outcomesFor('a', 'treated', 1000, 130, 10), ...outcomesFor('a', 'held-out', 1000, 100, 10)];
    const alone = upliftRows(borderline)[0]!;
    expect(alone.conversionDifference.pValue).toBeLessThan(0.05);
    expect(alone.conversionSignificant).toBe(true);
    const nulls = ['b', 'c', 'd', 'e'].flatMap((k) => [...outcomesFor(k, 'treated', 1000, 100, 10), ...outcomesFor(k, 'held-out', 1000, 100, 10)]);
    const together = upliftRows([...borderline, ...nulls]).find((r) => r.key === 'a')!;
    expect(together.conversionAdjustedP).toBeCloseTo(Math.min(1, 5 * alone.conversionDifference.pValue), 12);
    expect(together.conversionSignificant).toBe(false);
  });

  it('claims no uplift beyond chance when emails change nothing (seeded: 50 reports of 8 rows)', () => {
    const random = seededRandom('no-effect');
    let reportsWithAClaim = 0;
    for (let report = 0; report < 50; report++) {
      const outcomes: CustomerOutcome[] = [];
      for (let k = 0; k < 8; k++) {
        for (const group of ['treated', 'held-out'] as const) {
          for (let i = 0; i < (group === 'treated' ? 300 : 100); i++) {
            const converted = random() < 0.1;
            outcomes.push({ key: `row${k}`, customerId: `${k}-${group}-${i}`, group, converted, orders: converted ? 1 : 0, revenue: converted ? 30 + 40 * random() : 0 });
          }
        }
      }
      if (upliftRows(outcomes).some((r) => r.conversionSignificant || r.revenueSignificant)) reportsWithAClaim++;
    }
    // Holm holds each family's error at 5%; two families (conversion, revenue) allow about 10%.
    expect(reportsWithAClaim).toBeLessThanOrEqual(6);
  });
});
