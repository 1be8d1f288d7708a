/**
 * The platforms' own export files, as the backfill reads them: Shopify's orders and
 * customers CSV exports (Admin → Orders/Customers → Export), WooCommerce's REST API JSON
 * (`GET /wp-json/wc/v3/orders`, `/customers`: one array, pages concatenated, or JSON Lines).
 * Each becomes the same events the webhooks give, with the same ids and keys, so a backfill
 * after (or before) the webhooks fills gaps and changes nothing already there.
 */
import { z } from 'zod';
import { guestCustomerId, type MappedEvent, type OrderOwner, validateMapped } from '../functions/connector/mapped-event.ts';
import { shopifyCustomerId, shopifyOrderId } from '../functions/connector/shopify-mapping.ts';
import { mapWooCommerceWebhook } from '../functions/connector/woocommerce-mapping.ts';
import { csvRows } from './csv-records.ts';

export interface ExportRejection {
  /** Line (CSV) or item number (JSON), 1-based. */
  line: number;
  reason: string;
}

export interface ExportEvents {
  kind: string;
  events: MappedEvent[];
  owners: OrderOwner[];
  rejected: ExportRejection[];
  /** Rows or items that are not a purchase (unpaid, voided…), with why. */
  skipped: ExportRejection[];
}

/** Shopify's export dates: `2024-01-15 10:30:00 -0500`. */
export function shopifyExportInstant(raw: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}) ?([+-]\d{2}):?(\d{2})$/.exec(raw.trim());
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}T${m[2]}${m[3]}:${m[4]}`);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** Shopify prefixes ids with an apostrophe so spreadsheets keep their digits. */
const exportId = (raw: string | undefined) => raw?.replace(/^'/, '').trim() ?? '';
const money = (raw: string | undefined) => (raw && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw.trim()) : undefined);
const yes = (raw: string | undefined) => /^(yes|true|subscribed)$/i.test(raw?.trim() ?? '');

export const isShopifyOrdersExport = (header: readonly string[]) => header.includes('Lineitem name') && header.includes('Name');
export const isShopifyCustomersExport = (header: readonly string[]) => header.includes('Email') && (header.includes('Customer ID') || header.includes('Accepts Email Marketing') || header.includes('Accepts Marketing'));

/**
 * The customers export: each row states the customer's details and consent as they stood
 * at `exportedAt` (the file carries no times of its own), as a `Customer Updated`.
 */
export function shopifyCustomersExport(text: string, exportedAt: string): ExportEvents & { idsByEmail: Map<string, string> } {
  const { rows } = csvRows(text);
  const out: ExportEvents & { idsByEmail: Map<string, string> } = { kind: 'shopify customers', events: [], owners: [], rejected: [], skipped: [], idsByEmail: new Map() };
  for (const { line, values } of rows) {
    const id = exportId(values['Customer ID']);
    const email = values['Email']?.toLowerCase();
    if (!/^\d+$/.test(id)) {
      out.rejected.push({ line, reason: `Customer ID: expected Shopify's numeric id, got "${id.slice(0, 40)}"` });
      continue;
    }
    const consentColumn = values['Accepts Email Marketing'] ?? values['Accepts Marketing'];
    const tags = values['Tags'];
    const detail: Record<string, unknown> = {
      customerId: shopifyCustomerId(id),
      ...(email ? { email } : {}),
      ...(values['First Name'] ? { firstName: values['First Name'] } : {}),
      ...(values['Last Name'] ? { lastName: values['Last Name'] } : {}),
      ...(consentColumn !== undefined && consentColumn !== '' ? { marketingConsent: yes(consentColumn), consentAt: exportedAt, consentSource: 'shopify-export' } : {}),
      ...(tags ? { attributes: { tags: tags.slice(0, 500) } } : {}),
      updatedAt: exportedAt,
    };
    const checked = validateMapped([{ detailType: 'Customer Updated', time: exportedAt, detail }]);
    if (checked.kind === 'invalid') out.rejected.push({ line, reason: checked.reason });
    else {
      out.events.push(...checked.events);
      if (email) out.idsByEmail.set(email, shopifyCustomerId(id));
    }
  }
  return out;
}

/**
 * The orders export: one row per line item, the order's own columns on its first row.
 * The export names the buyer by email only: the customers export (read first) gives their
 * Shopify id; without it, the webhook path's guest id for that email. Refunds are not taken
 * from it: it holds a total per order, not the refunds that `refunds/create` keys by id.
 */
export function shopifyOrdersExport(text: string, idsByEmail: ReadonlyMap<string, string> = new Map()): ExportEvents {
  const { rows } = csvRows(text);
  const out: ExportEvents = { kind: 'shopify orders', events: [], owners: [], rejected: [], skipped: [] };
  const orders = new Map<string, { line: number; values: Record<string, string>; items: { sku: string; name: string; quantity: number; price: number }[] }>();
  for (const { line, values } of rows) {
    const name = values['Name'];
    if (!name) {
      out.rejected.push({ line, reason: 'Name: the order name (#1001) is empty' });
      continue;
    }
    let order = orders.get(name);
    if (!order) orders.set(name, (order = { line, values, items: [] }));
    const quantity = Number(values['Lineitem quantity']);
    const price = money(values['Lineitem price']);
    if (values['Lineitem name'] && Number.isInteger(quantity) && quantity > 0 && price !== undefined) {
      order.items.push({ sku: values['Lineitem sku'] || `line-${order.items.length + 1}`, name: values['Lineitem name'].slice(0, 200), quantity, price });
    }
  }
  for (const { line, values, items } of orders.values()) {
    const id = exportId(values['Id']);
    if (!/^\d+$/.test(id)) {
      out.rejected.push({ line, reason: `Id: expected Shopify's numeric order id, got "${id.slice(0, 40)}"` });
      continue;
    }
    if (values['Financial Status'] === 'voided' || values['Cancelled at']) {
      out.skipped.push({ line, reason: `order ${values['Name']}: ${values['Cancelled at'] ? 'cancelled' : 'voided'}` });
      continue;
    }
    const placedAt = shopifyExportInstant(values['Paid at'] || values['Created at'] || '');
    if (!placedAt) {
      out.rejected.push({ line, reason: `Created at: expected a date like 2024-01-15 10:30:00 -0500, got "${(values['Created at'] ?? '').slice(0, 40)}"` });
      continue;
    }
    const email = values['Email']?.toLowerCase();
    const customerId = (email && idsByEmail.get(email)) ?? (email ? guestCustomerId('shopify', email) : undefined);
    if (!customerId) {
      out.skipped.push({ line, reason: `order ${values['Name']}: no email, nobody to attribute it to` });
      continue;
    }
    const orderId = shopifyOrderId(id);
    const checked = validateMapped([
      {
        detailType: 'Order Placed',
        time: placedAt,
        detail: { customerId, orderId, ...(email ? { email } : {}), placedAt, total: money(values['Total']), currency: (values['Currency'] || 'USD').toUpperCase(), channel: values['Source'] === 'pos' ? 'pos' : 'web', items },
      },
    ]);
    if (checked.kind === 'invalid') out.rejected.push({ line, reason: checked.reason });
    else {
      out.events.push(...checked.events);
      out.owners.push({ orderId, customerId });
    }
  }
  return out;
}

const WooItems = z.union([z.array(z.unknown()), z.object({ orders: z.array(z.unknown()).optional(), customers: z.array(z.unknown()).optional() })]);

/** WooCommerce REST JSON: orders and customers, told apart by their fields. */
export function wooCommerceExport(text: string): ExportEvents {
  const out: ExportEvents = { kind: 'woocommerce', events: [], owners: [], rejected: [], skipped: [] };
  let items: unknown[];
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith('[') || trimmed.startsWith('{"orders"') || trimmed.startsWith('{"customers"')) {
      const parsed = WooItems.parse(JSON.parse(trimmed));
      items = Array.isArray(parsed) ? parsed : [...(parsed.customers ?? []), ...(parsed.orders ?? [])];
    } else {
      items = trimmed.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
    }
  } catch (error) {
    out.rejected.push({ line: 1, reason: `not WooCommerce REST JSON (an array, {orders, customers} or JSON Lines): ${error instanceof Error ? error.message.slice(0, 200) : 'unreadable'}` });
    return out;
  }
  // Customers first: an order's customer then exists with their details when the order lands.
  const isOrder = (item: unknown) => typeof item === 'object' && item !== null && 'line_items' in item;
  const ordered = [...items.map((item, i) => ({ item, line: i + 1 })).filter((x) => !isOrder(x.item)), ...items.map((item, i) => ({ item, line: i + 1 })).filter((x) => isOrder(x.item))];
  for (const { item, line } of ordered) {
    // A customer as an update (their state at date_modified), never a registration: a registration
    // without WooCommerce consent meta would state "no consent" over consent given elsewhere.
    const mapping = mapWooCommerceWebhook(isOrder(item) ? 'order.updated' : 'customer.updated', item);
    if (mapping.kind === 'events') out.events.push(...mapping.events);
    else if (mapping.kind === 'ignored') out.skipped.push({ line, reason: mapping.reason });
    else if (mapping.kind === 'invalid') out.rejected.push({ line, reason: mapping.reason });
  }
  return out;
}
