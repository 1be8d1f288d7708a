import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { localConnectorDeps, startWebhookServer, type WebhookServer } from '#cli/webhook-server.ts';
import { createPartnerHandler } from '../../functions/connector/partner-handler.ts';
import { signWebhookBody } from '../../functions/connector/webhook-signature.ts';

/**
 * The connector end to end on the local runtime (dynalite): fixtures signed with a test
 * secret go over real HTTP to the local endpoint, through the bus to ingest, and the stored
 * profiles are read back.
 */
const repoRoot = new URL('../..', import.meta.url).pathname;
const SHOPIFY_SECRET = 'test-shopify-secret-0123456789abcdef';
const WOO_SECRET = 'test-woo-secret-0123456789abcdef';
const fixtureText = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const fixture = (path: string) => JSON.parse(fixtureText(path)) as Record<string, unknown>;

let runtime: LocalRuntime;
let server: WebhookServer;

type Delivery = { topic: string; id: string; body: string; secret?: string | null; signature?: string };
function shopify({ topic, id, body, secret = SHOPIFY_SECRET, signature }: Delivery) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-shopify-topic': topic, 'x-shopify-webhook-id': id, 'x-shopify-shop-domain': 'tea-house.myshopify.com', 'x-shopify-api-version': '2025-07' };
  const sig = signature ?? (secret ? signWebhookBody(body, secret) : undefined);
  if (sig) headers['x-shopify-hmac-sha256'] = sig;
  return fetch(`${server.url}/webhooks/shopify`, { method: 'POST', headers, body });
}
function woo({ topic, id, body, secret = WOO_SECRET }: Delivery) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-wc-webhook-topic': topic, 'x-wc-webhook-delivery-id': id, 'x-wc-webhook-source': 'https://woo.example.com/' };
  if (secret) headers['x-wc-webhook-signature'] = signWebhookBody(body, secret);
  return fetch(`${server.url}/webhooks/woocommerce`, { method: 'POST', headers, body });
}
const connectorItems = async () => (await runtime.db.send(new ScanCommand({ TableName: runtime.tables['shop-connector'] }))).Items ?? [];
const MARIA = 'shopify-7231643828469';

beforeAll(async () => {
  runtime = await LocalRuntime.start({ catalog: await buildCatalog(projectPaths(repoRoot)), start: '2026-10-08T00:00:00.000Z' });
  server = await startWebhookServer({ runtime, secrets: { shopify: [SHOPIFY_SECRET], woocommerce: [WOO_SECRET] } });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await runtime?.stop();
});

describe('Shopify webhooks over HTTPS (local endpoint, dynalite)', () => {
  it('customers/create creates the profile with consent, locale and tags', async () => {
    const response = await shopify({ topic: 'customers/create', id: 'wh-c1', body: fixtureText('shopify/2025-07/customers-create.json') });
    expect(response.status).toBe(200);
    expect(await runtime.customers.get(MARIA)).toMatchObject({
      email: 'maria.garcia@example.com',
      firstName: 'María',
      locale: 'es',
      registeredAt: '2026-10-01T14:15:00.000Z',
      consent: { marketing: true },
      attributes: { tags: 'newsletter-signup, spring-promo' },
    });
  });

  it('a wrong or missing signature gets 401 and changes nothing, not even the delivery log', async () => {
    const before = await runtime.customers.get(MARIA);
    const itemsBefore = await connectorItems();
    const failedBefore = (await runtime.failedEvents.list()).length;
    const body = fixtureText('shopify/2025-07/orders-create.json');
    expect((await shopify({ topic: 'orders/create', id: 'wh-o1', body, secret: 'not-the-secret' })).status).toBe(401);
    expect((await shopify({ topic: 'orders/create', id: 'wh-o1', body, secret: null })).status).toBe(401);
    expect((await shopify({ topic: 'orders/create', id: 'wh-o1', body: body.replace('"84.50"', '"0.01"'), signature: signWebhookBody(body, SHOPIFY_SECRET) })).status).toBe(401);
    expect(await runtime.customers.get(MARIA)).toEqual(before);
    expect(await connectorItems()).toEqual(itemsBefore);
    expect((await runtime.failedEvents.list()).length).toBe(failedBefore);
  });

  it('orders/create adds the order (the refused attempts above did not use up its delivery id)', async () => {
    const response = await shopify({ topic: 'orders/create', id: 'wh-o1', body: fixtureText('shopify/2025-07/orders-create.json') });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('published');
    expect(await runtime.customers.get(MARIA)).toMatchObject({ orderCount: 1, totalSpend: 84.5, firstOrderAt: '2026-10-02T16:30:00.000Z' });
  });

  it('a redelivered webhook changes nothing; the same order under a new delivery id changes nothing either', async () => {
    const before = await runtime.customers.get(MARIA);
    const redelivery = await shopify({ topic: 'orders/create', id: 'wh-o1', body: fixtureText('shopify/2025-07/orders-create.json') });
    expect(redelivery.status).toBe(200);
    expect(await redelivery.text()).toBe('duplicate');
    expect((await shopify({ topic: 'orders/create', id: 'wh-o1-again', body: fixtureText('shopify/2025-07/orders-create.json') })).status).toBe(200);
    expect(await runtime.customers.get(MARIA)).toEqual(before);
  });

  it('refunds/create finds the order’s customer and takes the money returned off their spend', async () => {
    expect((await shopify({ topic: 'refunds/create', id: 'wh-r1', body: fixtureText('shopify/2025-07/refunds-create.json') })).status).toBe(200);
    expect(await runtime.customers.get(MARIA)).toMatchObject({ orderCount: 1, refundCount: 1, refundTotal: 53.15, totalSpend: 31.35 });
  });

  it('customers/update applies a newer consent, and a late older one does not undo it', async () => {
    expect((await shopify({ topic: 'customers/update', id: 'wh-u1', body: fixtureText('shopify/2025-07/customers-update.json') })).status).toBe(200);
    const updated = await runtime.customers.get(MARIA);
    expect(updated).toMatchObject({ firstName: 'María José', locale: 'es-MX', consent: { marketing: false, updatedAt: '2026-10-03T12:59:58.000Z', source: 'shopify' } });
    const late = { ...fixture('shopify/2025-07/customers-update.json'), updated_at: '2026-10-03T10:00:00-04:00', email_marketing_consent: { state: 'subscribed', opt_in_level: 'single_opt_in', consent_updated_at: '2026-10-02T08:00:00-04:00' } };
    expect((await shopify({ topic: 'customers/update', id: 'wh-u0', body: JSON.stringify(late) })).status).toBe(200);
    expect((await runtime.customers.get(MARIA))?.consent).toEqual(updated?.consent);
  });

  it('an open checkout becomes the abandoned cart with its recovery URL; a completed one does not', async () => {
    expect((await shopify({ topic: 'checkouts/create', id: 'wh-k1', body: fixtureText('shopify/2025-07/checkouts-create.json') })).status).toBe(200);
    const withCart = await runtime.customers.get(MARIA);
    expect(withCart?.lastCart).toMatchObject({ cartId: 'shopify-f99b685af5a1f207c7752b84ff43580b', value: 64, recoveryUrl: expect.stringContaining('/recover?key=') });
    const completed = await shopify({ topic: 'checkouts/update', id: 'wh-k2', body: fixtureText('shopify/2025-07/checkouts-update-completed.json') });
    expect(await completed.text()).toBe('ignored');
    expect(await runtime.customers.get(MARIA)).toEqual(withCart);
  });

  it('a signed payload that breaks the documented shape is answered 200 and set aside with its reason', async () => {
    const body = JSON.stringify({ ...fixture('shopify/2025-07/orders-create.json'), id: 1, total_price: 'lots' });
    const response = await shopify({ topic: 'orders/create', id: 'wh-bad', body });
    expect(response.status).toBe(200);
    expect((await runtime.failedEvents.list()).filter((f) => f.stage === 'connector').map((f) => f.reason)).toEqual([expect.stringContaining('total_price')]);
  });
});

describe('WooCommerce webhooks over HTTPS', () => {
  it('answers the form-encoded ping when the webhook is saved, storing nothing', async () => {
    const itemsBefore = await connectorItems();
    const ping = await fetch(`${server.url}/webhooks/woocommerce`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'webhook_id=12' });
    expect(ping.status).toBe(200);
    expect(await connectorItems()).toEqual(itemsBefore);
  });

  it('customer.created, order.created and a refunded order.updated build the profile', async () => {
    for (const [topic, id, file] of [
      ['customer.created', 'wc-1', 'customer-created'],
      ['order.created', 'wc-2', 'order-created'],
      ['order.updated', 'wc-3', 'order-updated-refunded'],
      ['order.created', 'wc-4', 'order-created-pending'],
    ] as const) {
      expect((await woo({ topic, id, body: fixtureText(`woocommerce/wc-v3/${file}.json`) })).status, topic).toBe(200);
    }
    expect(await runtime.customers.get('woo-25')).toMatchObject({
      email: 'jonas.weber@example.com',
      consent: { marketing: true },
      orderCount: 1,
      totalSpend: 17.35,
      refundCount: 1,
      refundTotal: 12,
    });
  });

  it('a redelivered webhook changes nothing; the same order under a new delivery id changes nothing either', async () => {
    const before = await runtime.customers.get('woo-25');
    const itemsBefore = await connectorItems();
    const body = fixtureText('woocommerce/wc-v3/order-created.json');
    expect((await woo({ topic: 'order.created', id: 'wc-2', body })).status).toBe(200);
    expect(await connectorItems()).toEqual(itemsBefore);
    expect((await woo({ topic: 'order.created', id: 'wc-2-retry', body })).status).toBe(200);
    expect(await runtime.customers.get('woo-25')).toEqual(before);
  });

  it('customer.updated withdraws consent; a wrong or missing signature gets 401 and changes nothing, not even the delivery log', async () => {
    const body = fixtureText('woocommerce/wc-v3/customer-updated.json');
    const before = await runtime.customers.get('woo-25');
    const itemsBefore = await connectorItems();
    const failedBefore = (await runtime.failedEvents.list()).length;
    expect((await woo({ topic: 'customer.updated', id: 'wc-5', body, secret: 'wrong' })).status).toBe(401);
    expect((await woo({ topic: 'customer.updated', id: 'wc-5', body, secret: null })).status).toBe(401);
    expect(await runtime.customers.get('woo-25')).toEqual(before);
    expect(await connectorItems()).toEqual(itemsBefore);
    expect((await runtime.failedEvents.list()).length).toBe(failedBefore);
    expect((await woo({ topic: 'customer.updated', id: 'wc-5', body })).status).toBe(200);
    expect(await runtime.customers.get('woo-25')).toMatchObject({ lastName: 'Weber-Schmidt', consent: { marketing: false, updatedAt: '2026-10-06T07:59:00.000Z' } });
  });
});

describe('Shopify through the EventBridge partner source', () => {
  it('maps detail.payload by detail.metadata, and a redelivered event changes nothing', async () => {
    const handle = createPartnerHandler(localConnectorDeps(runtime));
    const event = fixture('shopify/eventbridge/orders-create.json') as { detail: { payload: Record<string, unknown>; metadata: Record<string, unknown> } };
    // A second order of Maria's, as its own webhook.
    event.detail.payload = { ...event.detail.payload, id: 5940139491299, total_price: '20.00' };
    const before = await runtime.customers.get(MARIA);
    expect(await handle(event)).toEqual({ outcome: 'published', events: 1 });
    const after = await runtime.customers.get(MARIA);
    expect(after).toMatchObject({ orderCount: (before?.orderCount ?? 0) + 1, totalSpend: (before?.totalSpend ?? 0) + 20 });
    expect(await handle(event)).toEqual({ outcome: 'duplicate' });
    expect(await runtime.customers.get(MARIA)).toEqual(after);
  });
});

describe("Shopify's privacy webhooks on the local endpoint (the privacy function's use case, under its declared access)", () => {
  const scanAll = async () => {
    const out: unknown[] = [];
    for (const table of Object.values(runtime.tables)) out.push(...((await runtime.db.send(new ScanCommand({ TableName: table }))).Items ?? []));
    return JSON.stringify(out).toLowerCase();
  };

  it('customers/data_request changes nothing; an unsigned customers/redact gets 401; a signed one erases the customer from every table, and a later order with the address is dropped', async () => {
    const before = await runtime.customers.get(MARIA);
    expect(before).toMatchObject({ email: 'maria.garcia@example.com' });
    expect((await shopify({ topic: 'customers/data_request', id: 'wh-p1', body: fixtureText('shopify/2025-07/customers-data_request.json') })).status).toBe(200);
    expect(await runtime.customers.get(MARIA)).toEqual(before);

    const redact = fixtureText('shopify/2025-07/customers-redact.json');
    expect((await shopify({ topic: 'customers/redact', id: 'wh-p2', body: redact, secret: null })).status).toBe(401);
    expect(await runtime.customers.get(MARIA)).toEqual(before);
    expect((await shopify({ topic: 'customers/redact', id: 'wh-p2', body: redact })).status).toBe(200);
    expect(await runtime.customers.get(MARIA)).toBeUndefined();
    const raw = await scanAll();
    for (const trace of ['maria.garcia@example.com', 'maría', 'garcía']) expect(raw).not.toContain(trace);
    // A redelivery is answered and changes nothing.
    expect((await shopify({ topic: 'customers/redact', id: 'wh-p2', body: redact })).status).toBe(200);

    // The salted hash of the address stops a new order from bringing her back (she has not signed up anew).
    const order = fixtureText('shopify/2025-07/orders-create.json').replace('"id": 5940139491234', '"id": 5940139499999');
    expect((await shopify({ topic: 'orders/create', id: 'wh-o9', body: order })).status).toBe(200);
    expect(await runtime.customers.get(MARIA)).toBeUndefined();
    expect(await scanAll()).not.toContain('maria.garcia@example.com');
    expect(runtime.access.violations).toEqual([]);
  });
});
