import type { ImportedOrder } from '#cli/run/order-log.ts';
import { encodeCustomerId, generatedEmailLocalPart } from './customer-id.ts';
import type { ShopEventInput } from './shop-event-input.ts';

/** The reserved domain for customers whose log has no email address (RFC 2606: never delivers). */
export const GENERATED_EMAIL_DOMAIN = 'customers.example';

/** The topics a customer gets when consent is assumed (`--assume-consent`). */
export const ASSUMED_TOPICS = ['newsletter', 'offers'];

export interface OrderLogImportOptions {
  /**
   * Customers the log says nothing about consent for are imported with marketing consent
   * to ASSUMED_TOPICS. For test data, or a list whose consent is documented elsewhere.
   */
  assumeConsent?: boolean;
}

export interface OrderLogImport {
  events: ShopEventInput[];
  /** Customers imported with assumed consent (0 unless `assumeConsent`). */
  assumedConsent: number;
}

interface ConsentStatement {
  statedAt: string;
  marketing: boolean;
  topics: string[];
}

const atTen = (date: string) => `${date}T10:00:00.000Z`;
const instant = (iso: string) => Date.parse(iso);

/** The log's consent statements for one customer, oldest first: each line that says `marketingConsent`, at `consentAt` or its order's date. */
function consentStatements(orders: readonly ImportedOrder[]): ConsentStatement[] {
  return orders
    .filter((o) => o.marketingConsent !== undefined)
    .map((o) => ({ statedAt: new Date(o.consentAt ?? atTen(o.date)).toISOString(), marketing: o.marketingConsent as boolean, topics: o.topics ?? [] }))
    .sort((a, b) => instant(a.statedAt) - instant(b.statedAt));
}

const sameStatement = (a: ConsentStatement, b: ConsentStatement) => a.marketing === b.marketing && a.topics.join('\n') === b.topics.join('\n');

/** The latest value a customer's lines give for a field (lines in date order). */
function latest<K extends 'email' | 'firstName' | 'lastName' | 'locale' | 'timeZone'>(orders: readonly ImportedOrder[], field: K): ImportedOrder[K] | undefined {
  for (let i = orders.length - 1; i >= 0; i--) {
    const value = orders[i]![field];
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * Turns an order log into shop events. Each customer registers just before their first order
 * (or at their first consent statement, if earlier) with the contact details their lines give,
 * then places their orders. Consent comes only from the log: each `marketingConsent` is a
 * statement at its `consentAt` (or its order's date); a later statement that changes it is a
 * later registration, which the ingest orders by time. A customer the log says nothing about
 * is registered without marketing consent, unless `assumeConsent`.
 * Source ids are kept apart by a reversible encoding (customer-id.ts), never merged.
 */
export function orderLogImport(orders: readonly ImportedOrder[], options: OrderLogImportOptions = {}): OrderLogImport {
  const byCustomer = new Map<string, ImportedOrder[]>();
  for (const o of orders) {
    const list = byCustomer.get(o.customerId) ?? [];
    list.push(o);
    byCustomer.set(o.customerId, list);
  }
  const events: ShopEventInput[] = [];
  let assumedConsent = 0;
  for (const [sourceId, list] of byCustomer) {
    list.sort((a, b) => a.date.localeCompare(b.date));
    const customerId = encodeCustomerId(sourceId);
    const first = list[0]!;
    const statements = consentStatements(list);
    const earliest = statements[0];
    const registeredAt = earliest && instant(earliest.statedAt) < instant(atTen(first.date)) ? earliest.statedAt : atTen(first.date);
    const contact = {
      customerId,
      email: latest(list, 'email') ?? `${generatedEmailLocalPart(sourceId)}@${GENERATED_EMAIL_DOMAIN}`,
      ...Object.fromEntries((['firstName', 'lastName', 'locale', 'timeZone'] as const).flatMap((f) => (latest(list, f) === undefined ? [] : [[f, latest(list, f)]]))),
      channel: 'import' as const,
      registeredAt,
    };
    const initial = statements.filter((s) => instant(s.statedAt) <= instant(registeredAt)).at(-1);
    if (initial) {
      events.push({ time: registeredAt, detailType: 'Customer Registered', detail: { ...contact, marketingConsent: initial.marketing, topics: initial.topics, consentAt: initial.statedAt } });
    } else if (statements.length === 0 && options.assumeConsent) {
      assumedConsent++;
      events.push({ time: registeredAt, detailType: 'Customer Registered', detail: { ...contact, marketingConsent: true, topics: ASSUMED_TOPICS } });
    } else {
      events.push({ time: registeredAt, detailType: 'Customer Registered', detail: { ...contact, marketingConsent: false, topics: [] } });
    }
    let previous = initial;
    for (const statement of statements) {
      if (instant(statement.statedAt) <= instant(registeredAt)) continue;
      if (previous && sameStatement(previous, statement)) continue;
      events.push({ time: statement.statedAt, detailType: 'Customer Registered', detail: { ...contact, marketingConsent: statement.marketing, topics: statement.topics, consentAt: statement.statedAt } });
      previous = statement;
    }
    list.forEach((o, n) => {
      const placedAt = `${o.date}T12:${String(n % 60).padStart(2, '0')}:00.000Z`;
      events.push({
        time: placedAt,
        detailType: 'Order Placed',
        detail: {
          customerId,
          orderId: o.orderId ?? `${customerId}-${n + 1}`,
          placedAt,
          total: o.amount,
          channel: 'import',
          items: [{ sku: 'ITEM', name: 'Item', quantity: Math.max(1, Math.round(o.quantity)), price: o.quantity > 0 ? o.amount / Math.round(o.quantity || 1) : o.amount }],
        },
      });
    });
  }
  return { events: events.sort((a, b) => a.time.localeCompare(b.time)), assumedConsent };
}
