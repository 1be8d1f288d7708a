/**
 * The demo shop's customers respond to email, by a known amount: a click on a journey's email
 * leads, with the journey's chance below, to an extra order 1–4 days later (seeded per send).
 * Some journeys are given no effect at all. The extra order goes through the bus like any shop
 * event, so the report sees it only as an order; `true-effects.json` says what was caused, so
 * a reader can check the report's holdout uplift against the truth (and see last-touch
 * attribution claim more than that). Replays of an order log (`--orders`) get none of this:
 * a fixed log cannot react to email.
 */
import type { Journey } from '#domain/journey.ts';
import type { SesEventDetail } from '#domain/ses-events.ts';
import { SEND_TAGS } from '#domain/ses-events.ts';
import { seededRandom } from '#lib/local/seeded-random.ts';
import type { ShopEventInput } from './shop-event-input.ts';

/** Chance that a click on the journey's email brings an order that would not have happened otherwise. */
export const DEMO_CLICK_RESPONSE: Readonly<Record<string, number>> = {
  'welcome-series': 0.7,
  'abandoned-cart': 0.9,
  'win-back': 0.6,
  // No effect: whatever the report shows for these is chance (or selection, for last touch).
  'post-purchase': 0,
  vip: 0,
};

const DAY = 86_400_000;
const RESPONSE_ITEMS = [
  { sku: 'TEA-001', name: 'Sencha Green Tea', category: 'tea', quantity: 1, price: 14.5 },
  { sku: 'COF-002', name: 'Espresso Blend', category: 'coffee', quantity: 1, price: 16 },
  { sku: 'TEA-003', name: 'Matcha Ceremonial', category: 'tea', quantity: 1, price: 32 },
];

/** The journey a send id belongs to: its period is `<journey>-<entry number>-<step token>` (see journeyStepOfSend). */
export function journeyOfSend(sendId: string, journeyIds: readonly string[]): string | undefined {
  const period = sendId.split('_')[1] ?? '';
  return journeyIds.find((id) => new RegExp(`^${id}-\\d+-`).test(period));
}

export interface ResponseOrder {
  journeyId: string;
  sendId: string;
  customerId: string;
  orderId: string;
  at: number;
  value: number;
}

/** Reacts to the clicks the SES emulator delivers; hands the replay the orders that fall due. */
export class DemoResponse {
  private readonly pending: ShopEventInput[] = [];
  readonly orders: ResponseOrder[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly journeys: readonly Pick<Journey, 'id'>[],
    private readonly seed: string,
    /** Orders after this (ms) are not placed: the replay has ended by then. */
    private readonly until: number,
    readonly response: Readonly<Record<string, number>> = DEMO_CLICK_RESPONSE,
  ) {}

  /** One SES event as the runtime delivers it: a click on a journey's email may bring an order. */
  onSesEvent(detail: SesEventDetail): void {
    if (detail.eventType !== 'Click') return;
    const sendId = detail.mail.tags[SEND_TAGS.send]?.[0];
    const customerId = detail.mail.tags[SEND_TAGS.customer]?.[0];
    if (!sendId || !customerId || this.seen.has(sendId)) return;
    this.seen.add(sendId); // one response per email, however often its links are clicked
    const journeyId = journeyOfSend(sendId, this.journeys.map((j) => j.id));
    const chance = journeyId ? (this.response[journeyId] ?? 0) : 0;
    if (!journeyId || chance <= 0) return;
    const rnd = seededRandom(`${this.seed}:response:${sendId}`);
    if (rnd() >= chance) return;
    const at = Math.round((Date.parse(detail.click.timestamp) + (1 + 3 * rnd()) * DAY) / 1000) * 1000;
    if (at >= this.until) return;
    const item = RESPONSE_ITEMS[Math.floor(rnd() * RESPONSE_ITEMS.length)]!;
    const orderId = `response-${sendId}`;
    const placedAt = new Date(at).toISOString();
    this.orders.push({ journeyId, sendId, customerId, orderId, at, value: item.price });
    this.pending.push({ time: placedAt, detailType: 'Order Placed', detail: { customerId, orderId, placedAt, total: item.price, currency: 'USD', channel: 'web', items: [item] } });
    this.pending.sort((a, b) => a.time.localeCompare(b.time));
  }

  nextAt(): number | undefined {
    return this.pending.length ? Date.parse(this.pending[0]!.time) : undefined;
  }

  /** Removes and returns the response orders due at or before `until` (ms), oldest first. */
  takeDue(until: number): ShopEventInput[] {
    let n = 0;
    while (n < this.pending.length && Date.parse(this.pending[n]!.time) <= until) n++;
    return this.pending.splice(0, n);
  }
}

export interface TrueEffect {
  /** The chance per click configured above. */
  clickResponse: number;
  /** Customers mailed at least one of the journey's emails. */
  treatedCustomers: number;
  /** Response orders placed (any window). */
  responseOrders: number;
  /** Treated customers whose only orders in the conversion window after their first send were this journey's response orders: converted because of its email. */
  incrementalConversions: number;
  /** That as a share of the treated customers: the true conversion uplift the report's interval should cover. */
  incrementalConversionRate: number;
  /** Revenue of the response orders in those windows, per treated customer. */
  incrementalRevenuePerCustomer: number;
  /** The same in total: what the journey's emails truly earned, the figure the report's incremental revenue estimates. */
  incrementalRevenue: number;
}

/**
 * The realized truth per journey: who was treated (first send per customer), and who converted
 * within `windowDays` of it only through response orders. Computed on the same window the
 * report's uplift uses, so the two compare like for like.
 */
export function trueEffects(
  journeyIds: readonly string[],
  firstSends: readonly { journeyId: string; customerId: string; at: string }[],
  orders: readonly { customerId: string; orderId: string; at: string; value: number }[],
  response: DemoResponse,
  windowDays: number,
): Record<string, TrueEffect> {
  const ordersOf = new Map<string, typeof orders[number][]>();
  for (const o of orders) ordersOf.set(o.customerId, [...(ordersOf.get(o.customerId) ?? []), o]);
  const out: Record<string, TrueEffect> = {};
  for (const journeyId of journeyIds) {
    // Only this journey's response orders: one another journey's email caused would have
    // happened without this journey's, exactly as for its held-out customers.
    const responseIds = new Set(response.orders.filter((o) => o.journeyId === journeyId).map((o) => o.orderId));
    const first = new Map<string, number>();
    for (const s of firstSends) if (s.journeyId === journeyId) first.set(s.customerId, Math.min(first.get(s.customerId) ?? Infinity, Date.parse(s.at)));
    let incremental = 0;
    let revenue = 0;
    for (const [customerId, from] of first) {
      const inWindow = (ordersOf.get(customerId) ?? []).filter((o) => Date.parse(o.at) > from && Date.parse(o.at) <= from + windowDays * DAY);
      if (inWindow.length && inWindow.every((o) => responseIds.has(o.orderId))) incremental++;
      revenue += inWindow.filter((o) => responseIds.has(o.orderId)).reduce((a, o) => a + o.value, 0);
    }
    const treated = first.size;
    out[journeyId] = {
      clickResponse: response.response[journeyId] ?? 0,
      treatedCustomers: treated,
      responseOrders: response.orders.filter((o) => o.journeyId === journeyId).length,
      incrementalConversions: incremental,
      incrementalConversionRate: treated ? Math.round((incremental / treated) * 1e4) / 1e4 : 0,
      incrementalRevenuePerCustomer: treated ? Math.round((revenue / treated) * 100) / 100 : 0,
      incrementalRevenue: Math.round(revenue * 100) / 100,
    };
  }
  return out;
}
