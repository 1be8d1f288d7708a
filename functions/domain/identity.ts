import { z } from 'zod';

const IsoInstant = z.iso.datetime({ offset: true });

/** A storefront's own id for a customer, kept on the one profile that customer has. */
export const StorefrontIdentity = z.object({
  /** The storefront: `shopify`, `woocommerce`, or `shop` for ids the shop itself assigns (imports, the demo shop). */
  source: z.string(),
  id: z.string(),
  firstSeenAt: IsoInstant,
});
export type StorefrontIdentity = z.infer<typeof StorefrontIdentity>;

/** The connector's id prefixes (functions/connector/*-mapping.ts) name the storefront. */
const PREFIXES: readonly [string, string][] = [
  ['shopify-', 'shopify'],
  ['woo-', 'woocommerce'],
];

export function storefrontOf(customerId: string): string {
  return PREFIXES.find(([prefix]) => customerId.startsWith(prefix))?.[1] ?? 'shop';
}

/** Why a storefront id points at a profile: its own first event, or an address already known from another storefront. */
export const LinkReason = z.enum(['first seen', 'same email address']);
export type LinkReason = z.infer<typeof LinkReason>;

/**
 * Whether a shop event about an erased address may bring the person back: only a fresh sign-up
 * with consent, made after the erasure. Anything else (an import, an order, an update) is dropped.
 */
export function signsUpAnew(event: { type: string; marketingConsent?: boolean; registeredAt?: string }, erasedAt: string): boolean {
  return event.type === 'Customer Registered' && event.marketingConsent === true && event.registeredAt !== undefined && Date.parse(event.registeredAt) > Date.parse(erasedAt);
}

/** The storefronts a profile is known at: its storefront ids, or the one its own id names. */
export const storefrontsOf = (profile: { customerId: string; identities: readonly StorefrontIdentity[] }): string[] =>
  [...new Set(profile.identities.length ? profile.identities.map((i) => i.source) : [storefrontOf(profile.customerId)])].sort();

export interface StorefrontCounts {
  /** Customers known at each storefront (a shared customer counts at each of theirs). */
  customers: Record<string, number>;
  /** Customers known at more than one storefront: one profile each. */
  shared: number;
}

export function countStorefronts(profiles: Iterable<{ customerId: string; identities: readonly StorefrontIdentity[] }>): StorefrontCounts {
  const customers: Record<string, number> = {};
  let shared = 0;
  for (const p of profiles) {
    const sources = storefrontsOf(p);
    for (const s of sources) customers[s] = (customers[s] ?? 0) + 1;
    if (sources.length > 1) shared++;
  }
  return { customers, shared };
}
