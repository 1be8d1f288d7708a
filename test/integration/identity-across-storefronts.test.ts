import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '#cli/webhook-server.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { signWebhookBody } from '../../functions/connector/webhook-signature.ts';

/**
 * One customer across storefronts, on the local runtime (dynalite): a Shopify and a WooCommerce
 * customer with the same address, through the local webhook endpoint, are one profile.
 */
const repoRoot = new URL('../..', import.meta.url).pathname;
const SHOPIFY_SECRET = 'test-shopify-secret-0123456789abcdef';
const WOO_SECRET = 'test-woo-secret-0123456789abcdef';
const fixtureText = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const MARIA = 'shopify-7231643828469';
const MARIA_EMAIL = 'maria.garcia@example.com';

let runtime: LocalRuntime;
let server: WebhookServer;

const shopify = (topic: string, id: string, body: string) =>
  fetch(`${server.url}/webhooks/shopify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopify-topic': topic, 'x-shopify-webhook-id': id, 'x-shopify-shop-domain': 'tea-house.myshopify.com', 'x-shopify-hmac-sha256': signWebhookBody(body, SHOPIFY_SECRET) },
    body,
  });
const woo = (topic: string, id: string, body: string) =>
  fetch(`${server.url}/webhooks/woocommerce`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-wc-webhook-topic': topic, 'x-wc-webhook-delivery-id': id, 'x-wc-webhook-source': 'https://woo.example.com/', 'x-wc-webhook-signature': signWebhookBody(body, WOO_SECRET) },
    body,
  });
/** The WooCommerce fixtures (Jonas, woo-25) with Maria's address instead. */
const asMaria = (text: string) => text.replaceAll('jonas.weber@example.com', 'Maria.Garcia@example.com ');
const scan = async (table: keyof LocalRuntime['tables']) => (await runtime.db.send(new ScanCommand({ TableName: runtime.tables[table] }))).Items ?? [];

beforeAll(async () => {
  runtime = await LocalRuntime.start({ catalog: await buildCatalog(projectPaths(repoRoot)), start: '2026-10-08T00:00:00.000Z' });
  server = await startWebhookServer({ runtime, secrets: { shopify: [SHOPIFY_SECRET], woocommerce: [WOO_SECRET] } });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await runtime?.stop();
});

describe('one customer across storefronts', () => {
  it('a Shopify and a WooCommerce customer with one address are one profile with both ids and both orders', async () => {
    expect((await shopify('customers/create', 'wh-c1', fixtureText('shopify/2025-07/customers-create.json'))).status).toBe(200);
    expect((await shopify('orders/create', 'wh-o1', fixtureText('shopify/2025-07/orders-create.json'))).status).toBe(200);
    expect((await woo('customer.created', 'wc-1', asMaria(fixtureText('woocommerce/wc-v3/customer-created.json')))).status).toBe(200);
    expect((await woo('order.created', 'wc-2', asMaria(fixtureText('woocommerce/wc-v3/order-created.json')))).status).toBe(200);

    const profile = await runtime.customers.get(MARIA);
    expect(profile).toMatchObject({ email: MARIA_EMAIL, orderCount: 2, totalSpend: 84.5 + 29.35, registeredAt: '2026-10-01T14:15:00.000Z' });
    expect(profile?.identities.map((i) => `${i.source}:${i.id}`)).toEqual(['shopify:shopify-7231643828469', 'woocommerce:woo-25']);
    expect(await runtime.customers.get('woo-25')).toBeUndefined();
    expect((await scan('customers')).filter((c) => c.email === MARIA_EMAIL)).toHaveLength(1);

    // The merge is recorded: which storefront id joined which profile, when and why.
    const links = (await scan('identities')).filter((i) => String(i.id).startsWith('source#'));
    expect(links).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'source#shopify#shopify-7231643828469', customerId: MARIA, reason: 'first seen' }),
        expect.objectContaining({ id: 'source#woocommerce#woo-25', customerId: MARIA, reason: 'same email address', linkedAt: expect.any(String) }),
      ]),
    );
    // No address is stored in the clear in the identities table.
    expect(JSON.stringify(await scan('identities'))).not.toContain('maria');
  });

  it('a later event naming only the WooCommerce id (a refund) reaches the one profile', async () => {
    expect((await woo('order.updated', 'wc-3', asMaria(fixtureText('woocommerce/wc-v3/order-updated-refunded.json')))).status).toBe(200);
    expect(await runtime.customers.get(MARIA)).toMatchObject({ orderCount: 2, refundCount: 1, refundTotal: 12 });
    expect(await runtime.customers.get('woo-25')).toBeUndefined();
  });

  it('concurrent first events for one address from several storefront ids make one profile', async () => {
    const email = 'race@example.com';
    const ids = ['shopify-900', 'woo-900', 'shopify-901', 'woo-901', 'shop-902', 'shop-903'];
    await Promise.all(
      ids.map((customerId, i) =>
        runtime.bus.putEvents('shop', [
          {
            Source: SHOP_EVENT_SOURCE,
            DetailType: 'Order Placed',
            Time: new Date('2026-10-07T10:00:00Z'),
            Detail: JSON.stringify({ customerId, orderId: `order-race-${i}`, email, placedAt: '2026-10-07T10:00:00Z', total: 10, items: [] }),
          },
        ]),
      ),
    );
    const profiles = (await scan('customers')).filter((c) => c.email === email);
    expect(profiles).toHaveLength(1);
    expect(profiles[0]).toMatchObject({ orderCount: ids.length, totalSpend: 10 * ids.length });
    expect((profiles[0]!.identities as { id: string }[]).map((i) => i.id).sort()).toEqual([...ids].sort());
    expect(runtime.access.violations).toEqual([]);
  });
});

describe('an event’s identity in one read', () => {
  it('looks up the erasure of its address and the link of its storefront id together', async () => {
    const ids = runtime.identities;
    expect(await ids.lookup('nobody@example.com', 'shopify', 'shopify-1')).toEqual({ erasedAt: undefined, customerId: undefined });
    await ids.claimSource('shopify', 'shopify-1', 'shopify-1', 'first seen', '2026-10-08T00:00:00.000Z');
    await ids.markErased('Erased@Example.com ', '2026-10-08T01:00:00.000Z');
    expect(await ids.lookup('erased@example.com', 'shopify', 'shopify-1')).toEqual({ erasedAt: '2026-10-08T01:00:00.000Z', customerId: 'shopify-1' });
    expect(await ids.lookup(undefined, 'shopify', 'shopify-1')).toEqual({ customerId: 'shopify-1' });
    await ids.forgetErasure('erased@example.com');
    expect(await ids.lookup('erased@example.com', 'shopify', 'shopify-2')).toEqual({ erasedAt: undefined, customerId: undefined });
  });
});
