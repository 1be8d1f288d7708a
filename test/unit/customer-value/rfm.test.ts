import { describe, expect, it } from 'vitest';
import type { Order } from '#cli/run/order-log.ts';
import {
  RfmSegmentSchema,
  rfmInputsFromOrders,
  rfmQuintileThresholds,
  rfmSegment,
  scoreRfm,
  type RfmInput,
} from '#domain/customer-value/rfm.ts';

const base: RfmInput[] = Array.from({ length: 10 }, (_, i) => ({
  customerId: `c${i + 1}`,
  recencyDays: (i + 1) * 10, // c1 most recent
  frequency: i + 1,
  monetary: (i + 1) * 100,
}));

describe('rfmQuintileThresholds', () => {
  it('uses the 20/40/60/80 % quantiles with linear interpolation', () => {
    const t = rfmQuintileThresholds(base);
    expect(t.frequency).toEqual([2.8, 4.6, 6.4, 8.2].map((v) => expect.closeTo(v, 12)));
    expect(t.recency).toEqual([28, 46, 64, 82].map((v) => expect.closeTo(v, 10)));
    expect(t.monetary).toEqual([280, 460, 640, 820].map((v) => expect.closeTo(v, 10)));
  });

  it('throws on an empty base', () => {
    expect(() => rfmQuintileThresholds([])).toThrow(RangeError);
  });
});

describe('scoreRfm', () => {
  it('assigns quintile scores (recency reversed)', () => {
    const scores = scoreRfm(base);
    expect(scores.map((s) => s.f)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(scores.map((s) => s.m)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(scores.map((s) => s.r)).toEqual([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
    expect(scores[0]).toEqual({ customerId: 'c1', r: 5, f: 1, m: 1, fm: 1, segment: 'New' });
    expect(scores[9]).toEqual({ customerId: 'c10', r: 1, f: 5, m: 5, fm: 5, segment: "Can't lose them" });
  });

  it('gives tied values the same score, independent of input order', () => {
    const tied: RfmInput[] = [
      ...Array.from({ length: 6 }, (_, i) => ({ customerId: `one-${i}`, recencyDays: 30, frequency: 1, monetary: 20 })),
      { customerId: 'two', recencyDays: 5, frequency: 2, monetary: 50 },
      { customerId: 'three', recencyDays: 5, frequency: 3, monetary: 90 },
      { customerId: 'five', recencyDays: 1, frequency: 5, monetary: 400 },
      { customerId: 'old', recencyDays: 300, frequency: 1, monetary: 20 },
    ];
    const scores = scoreRfm(tied);
    const ones = scores.filter((s) => s.customerId.startsWith('one-'));
    expect(new Set(ones.map((s) => `${s.r}${s.f}${s.m}`)).size).toBe(1);
    expect(ones[0]?.f).toBe(1);
    const reversed = scoreRfm([...tied].reverse());
    const byId = new Map(reversed.map((s) => [s.customerId, s]));
    for (const s of scores) expect(byId.get(s.customerId)).toEqual(s);
  });

  it('scores against stored thresholds', () => {
    const thresholds = rfmQuintileThresholds(base);
    const [champion, lost] = scoreRfm(
      [
        { customerId: 'new-best', recencyDays: 1, frequency: 50, monetary: 5000 },
        { customerId: 'new-worst', recencyDays: 999, frequency: 1, monetary: 1 },
      ],
      thresholds,
    );
    expect(champion).toMatchObject({ r: 5, f: 5, m: 5, segment: 'Champions' });
    expect(lost).toMatchObject({ r: 1, f: 1, m: 1, segment: 'Lost' });
    expect(scoreRfm([])).toEqual([]);
  });

  it('validates inputs', () => {
    expect(() => scoreRfm([{ customerId: 'x', recencyDays: -1, frequency: 1, monetary: 1 }])).toThrow();
    expect(() => scoreRfm([{ customerId: 'x', recencyDays: 1, frequency: Number.NaN, monetary: 1 }])).toThrow();
  });
});

describe('rfmSegment', () => {
  it('maps R × FM cells to the 11 named segments', () => {
    const cases: [number, number, number, string][] = [
      [5, 5, 5, 'Champions'],
      [5, 4, 3, 'Champions'], // fm = round(3.5) = 4
      [4, 5, 4, 'Loyal'],
      [3, 4, 4, 'Loyal'],
      [5, 2, 3, 'Potential loyalist'],
      [4, 2, 2, 'Potential loyalist'],
      [5, 1, 1, 'New'],
      [4, 1, 1, 'Promising'],
      [3, 3, 3, 'Need attention'],
      [3, 1, 2, 'About to sleep'],
      [2, 3, 4, 'At risk'],
      [1, 3, 3, 'At risk'],
      [2, 5, 5, "Can't lose them"],
      [1, 5, 4, "Can't lose them"],
      [2, 1, 1, 'Hibernating'],
      [1, 2, 2, 'Hibernating'],
      [1, 1, 1, 'Lost'],
    ];
    for (const [r, f, m, segment] of cases) expect(rfmSegment(r, f, m), `${r}${f}${m}`).toBe(segment);
  });

  it('covers every score combination and reaches all 11 segments', () => {
    const seen = new Set<string>();
    for (let r = 1; r <= 5; r++)
      for (let f = 1; f <= 5; f++)
        for (let m = 1; m <= 5; m++) {
          const segment = rfmSegment(r, f, m);
          expect(RfmSegmentSchema.safeParse(segment).success).toBe(true);
          seen.add(segment);
        }
    expect(seen.size).toBe(11);
  });
});

describe('rfmInputsFromOrders', () => {
  const orders: Order[] = [
    { customerId: 'a', date: '2024-01-01', quantity: 1, amount: 10, orderId: 'o1' },
    { customerId: 'a', date: '2024-01-01', quantity: 1, amount: 5, orderId: 'o1' }, // same order, second line
    { customerId: 'a', date: '2024-01-20', quantity: 1, amount: 30 },
    { customerId: 'b', date: '2024-01-25', quantity: 1, amount: 8 },
    { customerId: 'b', date: '2024-02-10', quantity: 1, amount: 99 }, // after asOf: ignored
  ];

  it('computes recency in days, distinct orders and total or average spend as of a date', () => {
    expect(rfmInputsFromOrders(orders, { asOf: '2024-01-31' })).toEqual([
      { customerId: 'a', recencyDays: 11, frequency: 2, monetary: 45 },
      { customerId: 'b', recencyDays: 6, frequency: 1, monetary: 8 },
    ]);
    expect(rfmInputsFromOrders(orders, { asOf: '2024-01-31', monetary: 'average' })[0]?.monetary).toBe(22.5);
  });
});
