import type { Order } from '#cli/run/order-log.ts';
import type { ShopEventInput } from './shop-event-input.ts';

/** The reserved domain for customers whose log has no email address (RFC 2606: never delivers). */
export const GENERATED_EMAIL_DOMAIN = 'customers.example';

/**
 * Turns an order log into shop events: each customer registers (with consent, as a shop's
 * existing subscribers would) just before their first order, then places their orders.
 */
export function orderLogEvents(orders: readonly Order[]): ShopEventInput[] {
  const byCustomer = new Map<string, Order[]>();
  for (const o of orders) {
    const list = byCustomer.get(o.customerId) ?? [];
    list.push(o);
    byCustomer.set(o.customerId, list);
  }
  const events: ShopEventInput[] = [];
  for (const [customerId, list] of byCustomer) {
    list.sort((a, b) => a.date.localeCompare(b.date));
    const safeId = customerId.replace(/[^A-Za-z0-9_-]/g, '-');
    const first = list[0]!;
    const registeredAt = `${first.date}T10:00:00.000Z`;
    events.push({
      time: registeredAt,
      detailType: 'Customer Registered',
      detail: {
        customerId: safeId,
        email: first.email ?? list.find((o) => o.email)?.email ?? `c${safeId.toLowerCase()}@${GENERATED_EMAIL_DOMAIN}`,
        marketingConsent: true,
        topics: ['newsletter', 'offers'],
        channel: 'import',
        registeredAt,
      },
    });
    list.forEach((o, n) => {
      const placedAt = `${o.date}T12:${String(n % 60).padStart(2, '0')}:00.000Z`;
      events.push({
        time: placedAt,
        detailType: 'Order Placed',
        detail: {
          customerId: safeId,
          orderId: o.orderId ?? `${safeId}-${n + 1}`,
          placedAt,
          total: o.amount,
          channel: 'import',
          items: [{ sku: 'ITEM', name: 'Item', quantity: Math.max(1, Math.round(o.quantity)), price: o.quantity > 0 ? o.amount / Math.round(o.quantity || 1) : o.amount }],
        },
      });
    });
  }
  return events.sort((a, b) => a.time.localeCompare(b.time));
}
