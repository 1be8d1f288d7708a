import type { CustomerRegistered, LineItem, OrderPlaced } from '#domain/shop-events.ts';
import type { z } from 'zod';
import { seededRandom } from '#lib/local/seeded-random.ts';
import type { ShopEventInput } from './shop-event-input.ts';

/** The demo shop's persona mix: every lifecycle stage is represented. */
const PERSONAS = [
  { kind: 'prospect', share: 0.14 },
  { kind: 'one-time', share: 0.24 },
  { kind: 'regular', share: 0.24 },
  { kind: 'vip', share: 0.07 },
  { kind: 'fading', share: 0.16 },
  { kind: 'lapsed', share: 0.15 },
] as const;
type Persona = (typeof PERSONAS)[number]['kind'];

const LOCALES = [
  { locale: 'en-US', timeZone: 'America/New_York' },
  { locale: 'en-US', timeZone: 'America/Los_Angeles' },
  { locale: 'en-GB', timeZone: 'Europe/London' },
  { locale: 'de-DE', timeZone: 'Europe/Berlin' },
  { locale: 'fr-FR', timeZone: 'Europe/Paris' },
  { locale: 'es-ES', timeZone: 'Europe/Madrid' },
  { locale: 'ja-JP', timeZone: 'Asia/Tokyo' },
  { locale: 'zh-CN', timeZone: 'Asia/Shanghai' },
  { locale: 'pt-BR', timeZone: 'America/Sao_Paulo' },
  { locale: 'en-AU', timeZone: 'Australia/Sydney' },
];
const FIRST = ['Olivia', 'Liam', 'Zoë', 'José', 'Łukasz', 'Søren', 'Ana', 'Noah', 'Chloé', 'Mateo', 'Aiko', '伟', 'Amélie', 'Björn', 'Fatima', 'Ömer', 'Priya', 'Sakura', 'Li', 'Jürgen'];
const LAST = ['Smith', 'García', 'Müller', 'Dubois', 'Nowak', 'Sørensen', 'Tanaka', '王', 'Silva', 'Öztürk', "O'Brien", 'Nguyễn', 'Kowalski', 'Rossi'];
/** Names a careless template would turn into markup: they must arrive escaped. */
const HOSTILE_NAMES = ['<script>alert("x")</script>', 'Bob & "Alice"', '<b>Bold</b>', '<a href="https://evil.example">win</a>', "Robert'); DROP TABLE--"];
const CHANNELS = ['web', 'web', 'web', 'ios', 'android', 'marketplace'] as const;
const CATALOG: (LineItem & { category: string })[] = [
  { sku: 'TEA-001', name: 'Sencha Green Tea', category: 'tea', quantity: 1, price: 14.5 },
  { sku: 'TEA-002', name: 'Earl Grey Supreme', category: 'tea', quantity: 1, price: 12 },
  { sku: 'TEA-003', name: 'Matcha Ceremonial', category: 'tea', quantity: 1, price: 32 },
  { sku: 'COF-001', name: 'Ethiopian Yirgacheffe', category: 'coffee', quantity: 1, price: 18 },
  { sku: 'COF-002', name: 'Espresso Blend', category: 'coffee', quantity: 1, price: 16 },
  { sku: 'WAR-001', name: 'Cast Iron Teapot', category: 'teaware', quantity: 1, price: 64 },
  { sku: 'WAR-002', name: 'Pour-over Kettle', category: 'teaware', quantity: 1, price: 48 },
  { sku: 'SWE-001', name: 'Dark Chocolate Bar', category: 'sweets', quantity: 1, price: 6.5 },
];

/**
 * How clean the demo shop's list is. `healthy`: a realistic trickle of SES mailbox-simulator
 * addresses (of those who sign up during the live weeks, one in 100 bounces and another one in
 * 100 complains, so they come one at a time, and the welcome series mails them), well under the guardrail. `dirty-list`: one in 150
 * bounces and one in 301 complains, about three times the rate at which SES reviews an account:
 * the guardrail pauses all marketing on the first live day.
 */
export const DEMO_SCENARIOS = ['healthy', 'dirty-list'] as const;
export type DemoScenario = (typeof DEMO_SCENARIOS)[number];

export interface DemoShopOptions {
  customers: number;
  seed: string;
  /** The last day of history (the replay ends here). */
  end: string;
  /** Days of history before `end`. */
  historyDays: number;
  /** Days at the end during which new customers keep signing up. */
  liveDays: number;
  scenario: DemoScenario;
}

export const DEFAULT_DEMO_SHOP: DemoShopOptions = { customers: 2000, seed: 'demo-shop', end: '2026-11-01', historyDays: 540, liveDays: 42, scenario: 'healthy' };

const DAY = 86_400_000;

/**
 * A deterministic (seeded) shop history: registrations, orders, refunds and abandoned carts
 * of customers whose behaviour spans every lifecycle stage, across channels, locales and
 * time zones, with non-ASCII and HTML-looking names.
 */
export function generateDemoShop(options: DemoShopOptions = DEFAULT_DEMO_SHOP): ShopEventInput[] {
  const rnd = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  const end = Date.parse(`${options.end}T00:00:00Z`);
  const start = end - options.historyDays * DAY;
  const liveStart = end - options.liveDays * DAY;
  const events: ShopEventInput[] = [];
  const iso = (ms: number) => new Date(Math.round(ms / 1000) * 1000).toISOString();
  let liveSignUps = 0;

  for (let i = 1; i <= options.customers; i++) {
    const customerId = `c${String(i).padStart(6, '0')}`;
    let roll = rnd();
    let persona: Persona = 'regular';
    for (const p of PERSONAS) {
      if ((roll -= p.share) < 0) {
        persona = p.kind;
        break;
      }
    }
    const place = pick(LOCALES);
    const firstName = i % 97 === 0 ? pick(HOSTILE_NAMES) : pick(FIRST);
    const lastName = pick(LAST);
    const channel = pick(CHANNELS);
    // When they signed up: recent for prospects and some one-timers, long ago for lapsed ones.
    const registeredAt =
      persona === 'prospect' && rnd() < 0.6
        ? liveStart + rnd() * (end - liveStart)
        : persona === 'lapsed'
          ? start + rnd() * 0.3 * (end - start)
          : persona === 'one-time' && rnd() < 0.3
            ? liveStart - 20 * DAY + rnd() * (end - liveStart)
            : start + rnd() * 0.7 * (liveStart - start);
    // Chosen without drawing from rnd, so both scenarios are the same shop but for these addresses.
    if (registeredAt >= liveStart) liveSignUps++;
    const bounces = options.scenario === 'dirty-list' ? i % 150 === 0 : registeredAt >= liveStart && liveSignUps % 100 === 25;
    const complains = options.scenario === 'dirty-list' ? i % 301 === 0 : registeredAt >= liveStart && liveSignUps % 100 === 50;
    const email = bounces ? `bounce+${customerId}@simulator.amazonses.com` : complains ? `complaint+${customerId}@simulator.amazonses.com` : `${customerId}@demo-shop.example`;
    const registered: z.input<typeof CustomerRegistered> = {
      customerId,
      email,
      firstName,
      lastName,
      locale: place.locale,
      timeZone: place.timeZone,
      channel,
      marketingConsent: rnd() < 0.88,
      topics: rnd() < 0.8 ? ['newsletter', 'offers'] : ['newsletter'],
      registeredAt: iso(registeredAt),
    };
    events.push({ time: registered.registeredAt, detailType: 'Customer Registered', detail: registered });

    const orderTimes: number[] = [];
    const firstOrder = registeredAt + (0.2 + rnd() * 20) * DAY;
    switch (persona) {
      case 'prospect':
        break;
      case 'one-time':
        orderTimes.push(firstOrder);
        break;
      case 'regular':
      case 'vip':
      case 'fading':
      case 'lapsed': {
        const gap = persona === 'vip' ? 10 + rnd() * 15 : persona === 'lapsed' ? 20 + rnd() * 40 : 25 + rnd() * 35;
        const stopAt = persona === 'fading' ? end - (90 + rnd() * 120) * DAY : persona === 'lapsed' ? registeredAt + (30 + rnd() * 90) * DAY : end;
        for (let t = firstOrder; t < Math.min(stopAt, end); t += gap * DAY * (0.5 + rnd())) orderTimes.push(t);
        if (orderTimes.length === 0) orderTimes.push(firstOrder);
        break;
      }
    }
    const basket = persona === 'vip' ? 2.5 : 1;
    orderTimes
      .filter((t) => t < end)
      .forEach((t, n) => {
        const items = Array.from({ length: 1 + Math.floor(rnd() * 3 * basket) }, () => ({ ...pick(CATALOG), quantity: 1 + Math.floor(rnd() * 2) }));
        const total = Math.round(items.reduce((s, it) => s + it.price * it.quantity, 0) * 100) / 100;
        const orderId = `o-${customerId}-${n + 1}`;
        const order: z.input<typeof OrderPlaced> = { customerId, orderId, placedAt: iso(t), total, currency: 'USD', channel, items };
        events.push({ time: order.placedAt, detailType: 'Order Placed', detail: order });
        if (rnd() < 0.03) {
          const refundedAt = iso(t + (3 + rnd() * 10) * DAY);
          if (Date.parse(refundedAt) < end) events.push({ time: refundedAt, detailType: 'Order Refunded', detail: { customerId, orderId, refundedAt, amount: total } });
        }
      });

    // Abandoned carts in the live weeks, for the cart recovery campaign.
    if (persona !== 'lapsed' && rnd() < 0.12) {
      const t = liveStart + rnd() * (end - liveStart - DAY);
      const items = [{ ...pick(CATALOG), quantity: 1 }];
      events.push({
        time: iso(t),
        detailType: 'Cart Abandoned',
        detail: { customerId, cartId: `cart-${customerId}-${Math.floor(t / DAY)}`, abandonedAt: iso(t), value: items[0]!.price, items },
      });
    }
  }
  return events.sort((a, b) => a.time.localeCompare(b.time));
}
