/**
 * Uplift against a randomized holdout: for each journey, step, campaign or variant, the
 * customers who were mailed (treated) against those held out at the moment the email would
 * have gone, compared on conversion (an order within the window) and on revenue per customer.
 * Intervals: Newcombe for the rate difference, Welch for revenue; the Holm correction runs
 * over all rows compared together, so reading many rows at once does not manufacture wins.
 */
import { type Difference, DEFAULT_LEVEL, holmAdjust, newcombeDifference, summarise, welchDifference } from './statistics.ts';

const DAY = 86_400_000;

export type HoldoutGroup = 'treated' | 'held-out';

/** A customer entering a comparison: mailed, or held out, at `at`. */
export interface Exposure {
  /** The row this exposure belongs to: a journey, a step, a campaign or a variant. */
  key: string;
  customerId: string;
  group: HoldoutGroup;
  at: string;
}

export interface OrderValue {
  customerId: string;
  at: string;
  value: number;
}

export interface CustomerOutcome {
  key: string;
  customerId: string;
  group: HoldoutGroup;
  converted: boolean;
  orders: number;
  revenue: number;
}

/**
 * Each customer's outcome per row: converted when an order falls within `windowDays` after
 * their first exposure on that row (a customer counts once per row, in the group of that
 * first exposure), with the revenue of the orders in the window.
 */
export function customerOutcomes(exposures: readonly Exposure[], orders: readonly OrderValue[], windowDays: number): CustomerOutcome[] {
  const first = new Map<string, Exposure>();
  for (const e of exposures) {
    const id = `${e.key}\u0000${e.customerId}`;
    const seen = first.get(id);
    if (!seen || Date.parse(e.at) < Date.parse(seen.at)) first.set(id, e);
  }
  const ordersOf = new Map<string, OrderValue[]>();
  for (const o of orders) {
    const list = ordersOf.get(o.customerId);
    if (list) list.push(o);
    else ordersOf.set(o.customerId, [o]);
  }
  return [...first.values()].map((e) => {
    const from = Date.parse(e.at);
    const inWindow = (ordersOf.get(e.customerId) ?? []).filter((o) => Date.parse(o.at) > from && Date.parse(o.at) <= from + windowDays * DAY);
    return { key: e.key, customerId: e.customerId, group: e.group, converted: inWindow.length > 0, orders: inWindow.length, revenue: inWindow.reduce((a, o) => a + o.value, 0) };
  });
}

export interface GroupFigures {
  customers: number;
  converters: number;
  conversionRate: number;
  revenuePerCustomer: number;
}

export interface Estimate {
  estimate: number;
  lower: number;
  upper: number;
}

export interface UpliftRow {
  key: string;
  treated: GroupFigures;
  heldOut: GroupFigures;
  /** Treated minus held-out conversion rate (Newcombe). */
  conversionDifference: Difference;
  /** Treated minus held-out revenue per customer (Welch); null with fewer than two customers in a group. */
  revenueDifference: Difference | null;
  /** Customers brought to order by the email: rate difference × treated customers. */
  incrementalOrders: Estimate;
  /** Revenue difference per customer × treated customers. */
  incrementalRevenue: Estimate | null;
  /** Holm-adjusted over the conversion comparisons of every row in the same call. */
  conversionAdjustedP: number;
  conversionSignificant: boolean;
  revenueAdjustedP: number | null;
  revenueSignificant: boolean;
}

function figures(outcomes: readonly CustomerOutcome[]): GroupFigures {
  const customers = outcomes.length;
  const converters = outcomes.filter((o) => o.converted).length;
  const revenue = outcomes.reduce((a, o) => a + o.revenue, 0);
  return { customers, converters, conversionRate: customers ? converters / customers : 0, revenuePerCustomer: customers ? revenue / customers : 0 };
}

const scaled = (d: Difference, by: number): Estimate => ({ estimate: d.estimate * by, lower: d.lower * by, upper: d.upper * by });

/**
 * One uplift row per key that has customers in both groups (a key without a holdout has
 * nothing to compare against and gets no row). Significance is after Holm over the rows.
 */
export function upliftRows(outcomes: readonly CustomerOutcome[], level = DEFAULT_LEVEL): UpliftRow[] {
  const byKey = new Map<string, CustomerOutcome[]>();
  for (const o of outcomes) {
    const list = byKey.get(o.key);
    if (list) list.push(o);
    else byKey.set(o.key, [o]);
  }
  const raw = [...byKey.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([key, rows]) => {
      const treated = rows.filter((r) => r.group === 'treated');
      const heldOut = rows.filter((r) => r.group === 'held-out');
      if (!treated.length || !heldOut.length) return [];
      const t = figures(treated);
      const h = figures(heldOut);
      const conversionDifference = newcombeDifference(t.converters, t.customers, h.converters, h.customers, level);
      const revenueDifference = welchDifference(summarise(treated.map((r) => r.revenue)), summarise(heldOut.map((r) => r.revenue)), level) ?? null;
      return [{ key, t, h, conversionDifference, revenueDifference }];
    });
  const alpha = 1 - level;
  const conversionP = holmAdjust(raw.map((r) => r.conversionDifference.pValue));
  const revenueP = holmAdjust(raw.map((r) => r.revenueDifference?.pValue ?? Number.NaN));
  return raw.map((r, i) => ({
    key: r.key,
    treated: r.t,
    heldOut: r.h,
    conversionDifference: r.conversionDifference,
    revenueDifference: r.revenueDifference,
    incrementalOrders: scaled(r.conversionDifference, r.t.customers),
    incrementalRevenue: r.revenueDifference ? scaled(r.revenueDifference, r.t.customers) : null,
    conversionAdjustedP: conversionP[i]!,
    conversionSignificant: conversionP[i]! < alpha,
    revenueAdjustedP: r.revenueDifference ? revenueP[i]! : null,
    revenueSignificant: r.revenueDifference ? revenueP[i]! < alpha : false,
  }));
}
