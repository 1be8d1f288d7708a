import { type CustomerProfile, LIFECYCLE_STAGES, type LifecycleStage, newProfile } from '#domain/customer-profile.ts';

/**
 * Sample customers to preview and test every email with: a typical customer of each lifecycle
 * stage, and the awkward ones that break careless templates (no first name, a name that looks
 * like HTML, a non-Latin name in its own locale, a name ending in a dot, an empty cart).
 */
export interface Persona {
  id: string;
  description: string;
  profile: (now: string) => CustomerProfile;
}

const DAY_MS = 86_400_000;
const daysBefore = (now: string, days: number) => new Date(Date.parse(now) - days * DAY_MS).toISOString();

/** A subscribed customer of `stage` with a believable history and a two-item cart. */
function sample(id: string, stage: LifecycleStage, now: string, overrides: Partial<CustomerProfile> = {}): CustomerProfile {
  const base = newProfile(`persona-${id}`, now);
  const orders = { prospect: 0, exploring: 1, growing: 3, stable: 9, declining: 4, lapsed: 2 }[stage];
  const lastOrderDays = { prospect: 0, exploring: 10, growing: 20, stable: 12, declining: 150, lapsed: 400 }[stage];
  return {
    ...base,
    email: `persona-${id}@example.com`,
    firstName: 'Zoë',
    lastName: 'Müller',
    locale: 'en-US',
    timeZone: 'America/New_York',
    consent: { ...base.consent, marketing: true, topics: [], updatedAt: daysBefore(now, 500) },
    registeredAt: daysBefore(now, 500),
    stage,
    stageSince: daysBefore(now, 30),
    orderCount: orders,
    orderDays: orders,
    totalSpend: orders * 42.5,
    averageOrderValue: orders ? 42.5 : 0,
    favouriteCategory: orders ? 'tea' : undefined,
    ...(orders
      ? {
          firstOrderAt: daysBefore(now, 480),
          lastOrderAt: daysBefore(now, lastOrderDays),
          lastOrder: { orderId: `order-${id}`, placedAt: daysBefore(now, lastOrderDays), total: 42.5, currency: 'USD', items: [{ sku: 'TEA-002', name: 'Darjeeling First Flush', quantity: 1, price: 42.5 }] },
        }
      : {}),
    loyaltyScore: { prospect: 5, exploring: 30, growing: 55, stable: 90, declining: 35, lapsed: 10 }[stage],
    lastCart: {
      cartId: `cart-${id}`,
      value: 46.5,
      abandonedAt: daysBefore(now, 0.05),
      items: [
        { sku: 'TEA-003', name: 'Matcha Ceremonial', quantity: 1, price: 32 },
        { sku: 'TEA-001', name: 'Sencha Green Tea', quantity: 1, price: 14.5 },
      ],
    },
    ...overrides,
  };
}

export const PERSONAS: readonly Persona[] = [
  ...LIFECYCLE_STAGES.map((stage) => ({ id: stage, description: `a typical ${stage} customer`, profile: (now: string) => sample(stage, stage, now) })),
  { id: 'no-first-name', description: 'a customer who never gave a first name', profile: (now) => sample('no-first-name', 'growing', now, { firstName: undefined, lastName: undefined }) },
  {
    id: 'hostile-name',
    description: 'a name that looks like HTML and carries line breaks (must appear escaped, and never break a header)',
    profile: (now) => sample('hostile-name', 'stable', now, { firstName: '<script>alert(1)</script>\r\nBcc: x@evil.example "O\'Brien" & Co', lastName: '<b>Bold</b>' }),
  },
  {
    id: 'non-latin-name',
    description: 'a Japanese customer in the ja-JP locale and Tokyo time',
    profile: (now) => sample('non-latin-name', 'exploring', now, { firstName: '花子', lastName: '山田', locale: 'ja-JP', timeZone: 'Asia/Tokyo' }),
  },
  { id: 'name-with-dot', description: 'a first name ending in a dot', profile: (now) => sample('name-with-dot', 'declining', now, { firstName: 'St.' }) },
  {
    id: 'empty-cart',
    description: 'an abandoned cart with no items left in it',
    profile: (now) => sample('empty-cart', 'prospect', now, { lastCart: { cartId: 'cart-empty', value: 0, abandonedAt: daysBefore(now, 0.05), items: [] } }),
  },
];

export class UnknownPersonaError extends Error {
  override readonly name = 'UnknownPersonaError';
  constructor(readonly persona: string) {
    super(`no persona '${persona}'; expected one of ${PERSONAS.map((p) => p.id).join(', ')}`);
  }
}

export function personaById(id: string): Persona {
  const persona = PERSONAS.find((p) => p.id === id);
  if (!persona) throw new UnknownPersonaError(id);
  return persona;
}
