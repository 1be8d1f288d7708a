import { type CustomerProfile, MAX_RECENT_ORDERS, newProfile, type RecentOrder, rememberEventKey } from './customer-profile.ts';
import { type ConsentPolicy, consentOnRegistration, SINGLE_OPT_IN } from './double-opt-in.ts';
import type { StorefrontIdentity } from './identity.ts';
import { consentStatedAt, type CustomerUpdated, eventKey, type ShopEvent } from './shop-events.ts';

export type ProfileUpdate =
  | { outcome: 'applied'; profile: CustomerProfile }
  | { outcome: 'duplicate'; profile: CustomerProfile };

const day = (iso: string) => iso.slice(0, 10);
const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Folds one shop event into a customer profile. Pure and idempotent: an event whose key
 * the profile has already seen changes nothing. Out-of-order orders still give the right
 * first/last order dates and distinct purchase days. A registration's consent applies only
 * when it was stated after the profile's current consent (`consent.updatedAt`): a replayed or
 * late registration never restores what the customer withdrew since, whatever the delivery
 * order. `consent` says whether a sign-up's consent needs confirming (double opt-in).
 */
export function applyShopEvent(current: CustomerProfile | undefined, event: ShopEvent, now: string, consent: ConsentPolicy = SINGLE_OPT_IN, identity?: Omit<StorefrontIdentity, 'firstSeenAt'>): ProfileUpdate {
  // An event another storefront sent about this customer keeps its own key (both storefronts register).
  const merged = identity !== undefined && identity.id !== event.detail.customerId;
  const key = merged ? `${eventKey(event)}@${identity.id}` : eventKey(event);
  const base = current ?? newProfile(event.detail.customerId, now);
  if (base.recentEventKeys.includes(key)) return { outcome: 'duplicate', profile: base };

  const profile: CustomerProfile = {
    ...base,
    recentEventKeys: rememberEventKey(base.recentEventKeys, key),
    version: base.version + 1,
    updatedAt: now,
  };
  if (identity && !base.identities.some((i) => i.source === identity.source && i.id === identity.id)) {
    profile.identities = [...base.identities, { ...identity, firstSeenAt: now }];
  }

  switch (event['detail-type']) {
    case 'Customer Registered': {
      const d = event.detail;
      const statedAt = consentStatedAt(event);
      const newerConsent = !consentStated(base) || Date.parse(statedAt) > Date.parse(base.consent.updatedAt);
      if (base.registeredAt !== undefined && merged) {
        // Registered at a second storefront: the first registration stands; the newer consent statement wins.
        if (!profile.firstName && d.firstName) profile.firstName = d.firstName;
        if (!profile.lastName && d.lastName) profile.lastName = d.lastName;
        if (d.attributes) profile.attributes = { ...base.attributes, ...d.attributes };
        if (newerConsent) profile.consent = consentOnRegistration(base.consent, d, consent, statedAt);
      } else if (newerConsent) {
        Object.assign(profile, {
          email: d.email,
          firstName: d.firstName,
          lastName: d.lastName,
          locale: d.locale,
          timeZone: d.timeZone,
          channel: d.channel,
          registeredAt: d.registeredAt,
          consent: consentOnRegistration(base.consent, d, consent, statedAt),
        });
        if (d.attributes) profile.attributes = { ...base.attributes, ...d.attributes };
      } else {
        // Older than what the profile holds: it may fill gaps, never overwrite.
        profile.email ??= d.email;
        profile.firstName ??= d.firstName;
        profile.lastName ??= d.lastName;
        if (!profile.registeredAt || d.registeredAt < profile.registeredAt) profile.registeredAt = d.registeredAt;
        if (d.attributes) profile.attributes = { ...d.attributes, ...base.attributes };
      }
      break;
    }
    case 'Customer Updated': {
      const d = event.detail;
      // Only what the statement names changes; an absent field keeps what is on file.
      if (d.email !== undefined) profile.email = d.email;
      if (d.firstName !== undefined) profile.firstName = d.firstName;
      if (d.lastName !== undefined) profile.lastName = d.lastName;
      if (d.locale !== undefined) profile.locale = d.locale;
      if (d.timeZone !== undefined) profile.timeZone = d.timeZone;
      if (d.attributes) profile.attributes = { ...base.attributes, ...d.attributes };
      profile.consent = consentOnUpdate(base.consent, d, current !== undefined && consentStated(current));
      break;
    }
    case 'Order Placed': {
      const d = event.detail;
      const purchaseDays = withDay(profile.purchaseDays, day(d.placedAt));
      profile.orderCount += 1;
      profile.orderDays = countOrderDays(profile, purchaseDays, day(d.placedAt));
      profile.purchaseDays = purchaseDays;
      profile.totalSpend = round2(profile.totalSpend + d.total);
      profile.averageOrderValue = round2(profile.totalSpend / profile.orderCount);
      if (!profile.firstOrderAt || d.placedAt < profile.firstOrderAt) profile.firstOrderAt = d.placedAt;
      if (!profile.lastOrderAt || d.placedAt > profile.lastOrderAt) {
        profile.lastOrderAt = d.placedAt;
        profile.lastOrder = { orderId: d.orderId, placedAt: d.placedAt, total: d.total, currency: d.currency, items: d.items.map(({ sku, name, quantity, price }) => ({ sku, name, quantity, price })) };
      }
      if (d.email && !profile.email) profile.email = d.email;
      if (!current) profile.channel = d.channel; // first seen through an order: that is their channel
      const categoryCounts = { ...profile.categoryCounts };
      for (const item of d.items) {
        if (item.category) categoryCounts[item.category] = (categoryCounts[item.category] ?? 0) + item.quantity;
      }
      profile.categoryCounts = categoryCounts;
      profile.favouriteCategory = favourite(categoryCounts) ?? profile.favouriteCategory;
      profile.recentOrders = rememberOrder(profile.recentOrders, { orderId: d.orderId, at: d.placedAt, value: d.total });
      // A completed purchase supersedes an abandoned cart from before it.
      if (profile.lastCart && profile.lastCart.abandonedAt <= d.placedAt) profile.lastCart = undefined;
      break;
    }
    case 'Order Refunded': {
      const d = event.detail;
      profile.refundCount += 1;
      profile.refundTotal = round2(profile.refundTotal + d.amount);
      profile.totalSpend = round2(Math.max(0, profile.totalSpend - d.amount));
      profile.averageOrderValue = profile.orderCount ? round2(profile.totalSpend / profile.orderCount) : 0;
      break;
    }
    case 'Cart Abandoned': {
      const d = event.detail;
      if (!profile.lastOrderAt || d.abandonedAt > profile.lastOrderAt) {
        profile.lastCart = {
          cartId: d.cartId,
          value: d.value,
          abandonedAt: d.abandonedAt,
          items: d.items.map(({ sku, name, quantity, price }) => ({ sku, name, quantity, price })),
          ...(d.recoveryUrl ? { recoveryUrl: d.recoveryUrl } : {}),
        };
      }
      break;
    }
  }
  return { outcome: 'applied', profile };
}

/**
 * The consent a `Customer Updated` statement leaves: changed only by a statement newer than
 * the consent on file (an older export or a late webhook never overrides a newer choice).
 * A withdrawal clears a pending double opt-in request; topic opt-outs are kept unless consent is given again.
 */
function consentOnUpdate(current: CustomerProfile['consent'], d: CustomerUpdated, stated: boolean): CustomerProfile['consent'] {
  if (d.consentAt === undefined || (stated && Date.parse(d.consentAt) <= Date.parse(current.updatedAt))) return current;
  if (d.marketingConsent === undefined && d.topics === undefined) return current;
  const marketing = d.marketingConsent ?? current.marketing;
  const topics = d.topics ?? current.topics;
  const { pending: _pending, ...rest } = current;
  return {
    ...rest,
    marketing,
    topics,
    unsubscribedTopics: d.marketingConsent === true ? current.unsubscribedTopics.filter((t) => !topics.includes(t)) : current.unsubscribedTopics,
    updatedAt: d.consentAt,
    ...(d.consentSource ? { source: d.consentSource } : {}),
    ...(d.marketingConsent === undefined && current.pending ? { pending: current.pending } : {}),
  };
}

/**
 * Whether the consent on file was ever stated: a profile first seen through an order carries
 * the default "no consent" timed at its creation, which any real statement supersedes.
 */
function consentStated(p: CustomerProfile): boolean {
  const c = p.consent;
  return p.registeredAt !== undefined || c.marketing || c.pending !== undefined || c.confirmed !== undefined || c.source !== undefined || c.updatedAt !== p.createdAt;
}

/** `days` (sorted, distinct) with `d` added in its place; the same array when it is there already. */
function withDay(days: readonly string[], d: string): string[] {
  let lo = 0;
  let hi = days.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (days[mid]! < d) lo = mid + 1;
    else hi = mid;
  }
  if (days[lo] === d) return days as string[];
  return [...days.slice(0, lo), d, ...days.slice(lo)];
}

/**
 * Distinct order days after an order on `d`: the size of the day set. A profile stored before
 * the set existed (more days counted than listed) keeps its count and adds a day the set, its
 * first and its last order do not already hold.
 */
function countOrderDays(before: CustomerProfile, purchaseDays: readonly string[], d: string): number {
  if (before.orderDays <= before.purchaseDays.length) return purchaseDays.length;
  if (purchaseDays === before.purchaseDays) return before.orderDays;
  const countedAlready = d === day(before.firstOrderAt ?? '') || d === day(before.lastOrderAt ?? '');
  return before.orderDays + (countedAlready ? 0 : 1);
}

function favourite(counts: Record<string, number>): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const [category, count] of Object.entries(counts)) {
    if (count > bestCount || (count === bestCount && best !== undefined && category < best)) {
      best = category;
      bestCount = count;
    }
  }
  return best;
}

/** The order on the profile's bounded list (newest MAX_RECENT_ORDERS by time); the same order id twice is kept once. */
function rememberOrder(orders: readonly RecentOrder[], order: RecentOrder): RecentOrder[] {
  if (orders.some((o) => o.orderId === order.orderId)) return [...orders];
  const next = [...orders, order].sort((a, b) => a.at.localeCompare(b.at));
  return next.length > MAX_RECENT_ORDERS ? next.slice(next.length - MAX_RECENT_ORDERS) : next;
}
