import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;

/** Orders from several storefront ids, some of them one address (one customer). */
const ORDERS = [
  { customerId: 'shopify-1', email: 'ana@example.com', at: '2026-09-01T10:00:00Z' },
  { customerId: 'woo-1', email: 'Ana@Example.com ', at: '2026-09-02T10:00:00Z' },
  { customerId: 'shopify-2', email: 'ben@example.com', at: '2026-09-03T10:00:00Z' },
  { customerId: 'woo-2', email: 'ben@example.com', at: '2026-09-03T10:00:00Z' },
  { customerId: 'shop-2', email: 'ben@example.com', at: '2026-09-03T10:00:00Z' },
  { customerId: 'shopify-1', email: 'ana@example.com', at: '2026-09-04T10:00:00Z' },
  { customerId: 'woo-3', at: '2026-09-05T10:00:00Z' },
  { customerId: 'woo-3', email: 'cy@example.com', at: '2026-09-06T10:00:00Z' },
];

async function imported(historyImport: 'buffered' | 'per-event') {
  const runtime = await LocalRuntime.start({ catalog: await buildCatalog(projectPaths(repoRoot)), start: '2026-10-01T00:00:00.000Z', historyImport, reads: historyImport === 'buffered' ? 'cached' : 'table' });
  try {
    await runtime.importHistory(async () => {
      // One after the other: orders of one address from different storefront ids at once would land in either order (in both modes).
      for (const [i, o] of ORDERS.entries())
        await runtime.bus.putEvents('shop', [
          { Source: SHOP_EVENT_SOURCE, DetailType: 'Order Placed', Time: new Date(o.at), Detail: JSON.stringify({ customerId: o.customerId, orderId: `order-${i}`, ...(o.email ? { email: o.email } : {}), placedAt: o.at, total: 10 + i, items: [] }) },
        ]);
    });
    const scan = async (table: keyof LocalRuntime['tables']) => (await runtime.db.send(new ScanCommand({ TableName: runtime.tables[table] }))).Items ?? [];
    const profiles = (await scan('customers')).sort((a, b) => String(a.customerId).localeCompare(String(b.customerId)));
    const identities = await scan('identities');
    return {
      profiles,
      links: identities.filter((i) => String(i.id).startsWith('source#')).sort((a, b) => String(a.id).localeCompare(String(b.id))),
      // Addresses are hashed under each runtime's own salt: compared by whose they are.
      addresses: identities.filter((i) => String(i.id).startsWith('email#')).map((i) => `${String(i.customerId)} ${String(i.linkedAt)}`).sort(),
      violations: runtime.access.violations,
    };
  } finally {
    await runtime.stop();
  }
}

describe('the buffered history import links storefront ids and addresses as per-event ingest does', () => {
  it('the same profiles, the same links with their reasons, the same address claims', async () => {
    const [perEvent, buffered] = [await imported('per-event'), await imported('buffered')];
    expect(perEvent.profiles.map((p) => p.customerId)).toEqual(['shopify-1', 'shopify-2', 'woo-3']);
    expect(perEvent.links.map((l) => `${String(l.id)} → ${String(l.customerId)} (${String(l.reason)})`)).toContain('source#woocommerce#woo-1 → shopify-1 (same email address)');
    expect(buffered.profiles).toEqual(perEvent.profiles);
    expect(buffered.links).toEqual(perEvent.links);
    expect(buffered.addresses).toEqual(perEvent.addresses);
    // Ana's and Ben's (an address is claimed when its first profile is made; woo-3's came without one).
    expect(buffered.addresses).toHaveLength(2);
    expect([...perEvent.violations, ...buffered.violations]).toEqual([]);
  }, 120_000);
});
