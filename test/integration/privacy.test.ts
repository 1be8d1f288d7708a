import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { IdentityStore } from '#adapters/identity-store.ts';
import { runtimeDestination } from '#cli/connect-commands.ts';
import { runImport } from '#cli/import-commands.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { localPrivacySalt } from '#lib/local/privacy-salt.ts';
import { TABLES } from '#lib/tables.ts';
import { erasePerson, exportPerson, type PrivacyDeps } from '../../functions/privacy/privacy-records.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import { createPrivacyHandler } from '../../functions/privacy/handler.ts';
import { mapShopifyWebhook } from '../../functions/connector/shopify-mapping.ts';
import { PRIVACY_REQUEST } from '#domain/privacy-request.ts';

/**
 * `privacy export` and `privacy erase` on the local runtime (dynalite): records are planted in
 * every table through the pipeline itself (ingest, send, SES events, a rejected event, the
 * connector's order link), then exported, erased, and the tables scanned for any trace.
 */
const repoRoot = new URL('../..', import.meta.url).pathname;
const EMAIL = 'erin.privacy@example.com';
const FIRST = 'Erinna';
const LAST = 'Quaglioni';
const SHOPIFY_ID = 'shopify-555';
const WOO_ID = 'woo-555';

let dataDir: string;
let runtime: LocalRuntime;
let deps: PrivacyDeps;

const publish = (detailType: string, detail: Record<string, unknown>, time: string) =>
  runtime.bus.putEvents('shop', [{ Source: SHOP_EVENT_SOURCE, DetailType: detailType, Time: new Date(time), Detail: JSON.stringify(detail) }]);
const scanAll = async () => {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) out[t.name] = (await runtime.db.send(new ScanCommand({ TableName: runtime.tables[t.name] }))).Items ?? [];
  return out;
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'privacy-'));
  runtime = await LocalRuntime.start({ catalog: await buildCatalog(projectPaths(repoRoot)), dataDir, start: '2026-10-08T09:00:00.000Z' });
  deps = { db: runtime.db, tables: runtime.tables, identities: new IdentityStore(runtime.db, runtime.tables.identities, localPrivacySalt(dataDir)) };

  await publish('Customer Registered', { customerId: SHOPIFY_ID, email: EMAIL, firstName: FIRST, lastName: LAST, marketingConsent: true, topics: [], registeredAt: '2026-10-08T09:00:00Z' }, '2026-10-08T09:00:00Z');
  await runtime.drainSendQueue(); // the welcome, while they are still a prospect
  await publish('Order Placed', { customerId: WOO_ID, orderId: 'woo-order-1', email: EMAIL, placedAt: '2026-10-08T10:00:00Z', total: 42, items: [{ sku: 'tea-1', name: 'Sencha', quantity: 1, price: 42 }] }, '2026-10-08T10:00:00Z');
  // A storefront event that fails our schema: set aside with the person's data in its payload.
  await publish('Customer Registered', { customerId: WOO_ID, email: EMAIL, firstName: FIRST, marketingConsent: 'maybe' }, '2026-10-08T10:05:00Z');
  // The connector's order → customer link (a refund names only its order).
  await runtime.db.send(new PutCommand({ TableName: runtime.tables['shop-connector'], Item: { id: 'order#woo-order-1', customerId: WOO_ID, expiresAt: 2_000_000_000 } }));
  await runtime.deliverSesEvents(Date.parse('2026-10-09T00:00:00Z'));
  // A bounce marker of the welcome's SES message, as the guardrail counts it.
  const [welcome] = ((await runtime.db.send(new ScanCommand({ TableName: runtime.tables['send-ledger'] }))).Items ?? []).filter((e) => e.customerId === SHOPIFY_ID);
  await runtime.db.send(new PutCommand({ TableName: runtime.tables.deliverability, Item: { id: `event#${String(welcome?.messageId)}#Bounce`, day: '2026-10-08', outcome: 'counted', expiresAt: 2_000_000_000 } }));
  // A journey entry (journeys keep one per customer and journey).
  await runtime.db.send(new PutCommand({ TableName: runtime.tables['journey-entries'], Item: { customerId: SHOPIFY_ID, journeyId: 'post-purchase', state: 'waiting', enteredAt: '2026-10-08T10:00:00Z' } }));
  // Someone else, who must be left alone.
  await publish('Customer Registered', { customerId: 'shopify-999', email: 'other@example.com', firstName: 'Otto', marketingConsent: true, registeredAt: '2026-10-08T09:30:00Z' }, '2026-10-08T09:30:00Z');
}, 90_000);
afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('privacy export', () => {
  it('returns every record the tables hold about the person, by address or by any of their ids', async () => {
    const doc = await exportPerson(EMAIL, deps, runtime.clock.now());
    expect(doc.customerId).toBe(SHOPIFY_ID);
    expect(doc.ids.sort()).toEqual([SHOPIFY_ID, WOO_ID].sort());
    expect(doc.profile).toMatchObject({ email: EMAIL, firstName: FIRST, lastName: LAST, orderCount: 1 });
    expect(doc.records.customers).toHaveLength(1);
    expect(doc.records['stage-changes']).toEqual([expect.objectContaining({ customerId: SHOPIFY_ID, from: 'prospect', to: 'exploring' })]);
    expect(doc.records['send-ledger']).toEqual([expect.objectContaining({ customerId: SHOPIFY_ID, campaignId: 'welcome' })]);
    expect(doc.records['failed-events']).toEqual([expect.objectContaining({ stage: 'ingest', payload: expect.stringContaining(EMAIL) })]);
    expect(doc.records['shop-connector']).toEqual([expect.objectContaining({ id: 'order#woo-order-1' })]);
    expect(doc.records.identities?.map((i) => String(i.id).split('#')[0]).sort()).toEqual(['email', 'source', 'source']);
    // The planted entry and those the journeys made (the welcome series), all theirs.
    expect(doc.records['journey-entries']).toEqual(expect.arrayContaining([expect.objectContaining({ customerId: SHOPIFY_ID, journeyId: 'post-purchase' })]));
    expect(doc.records['journey-entries']?.length).toBeGreaterThan(1);
    expect(doc.records['journey-entries']?.every((e) => e.customerId === SHOPIFY_ID)).toBe(true);
    // The events handled about them, by their outcomes (ingest: the sign-up and the order; engagement: their email's SES event that names them).
    expect(doc.records.idempotency?.map((r) => String(r.id).split('#')[0]).sort()).toEqual(['engagement', 'ingest', 'ingest']);
    expect(doc.records.deliverability).toEqual([expect.objectContaining({ id: expect.stringMatching(/^event#.+#Bounce$/) })]);
    // Nobody else's data.
    expect(JSON.stringify(doc)).not.toContain('other@example.com');
    // The same person by a storefront's id.
    expect((await exportPerson(WOO_ID, deps, runtime.clock.now())).records).toEqual(doc.records);
  });
});

describe('privacy erase', () => {
  it('leaves no trace of the address or the name in any table, and writes a receipt', async () => {
    const receipt = await erasePerson(WOO_ID, deps, runtime.clock.now(), 'test-dpo');
    expect(receipt).toMatchObject({ customerId: SHOPIFY_ID, by: 'test-dpo', suppressedAddresses: 1, removed: { customers: 1, 'stage-changes': 1, 'failed-events': 1, 'shop-connector': 1, identities: 3 } });
    expect(receipt.removed['journey-entries']).toBeGreaterThan(1);
    expect(((await scanAll())['journey-entries'] as { customerId: string }[]).filter((e) => e.customerId === SHOPIFY_ID)).toEqual([]);
    expect(Object.keys(receipt.removed)).not.toContain('send-ledger');
    const raw = JSON.stringify(await scanAll()).toLowerCase();
    for (const trace of [EMAIL, FIRST, LAST]) expect(raw).not.toContain(trace.toLowerCase());
    expect(raw).toContain('other@example.com');
    const identities = (await scanAll()).identities as { id: string }[];
    expect(identities.map((i) => i.id.split('#')[0]).sort()).toEqual(['email', 'erased', 'receipt', 'source']);
    expect(await runtime.customers.get(SHOPIFY_ID)).toBeUndefined();
  });

  it('a re-import of the address does not bring them back; a fresh sign-up with consent after the erasure is mailed', async () => {
    const file = join(dataDir, 'customers.csv');
    const rows = `crm-erin,${EMAIL},${FIRST},yes,2026-10-09T00:00:00Z\n`;
    writeFileSync(file, `customer_id,email,first_name,marketing_consent,consent_at\n${rows}`);
    // The plan resolves rows as ingest does: the erased address is counted as dropped, so nothing is published.
    const alone = await runImport('customers', file, {}, runtimeDestination(runtime, 'test tables'), runtime.clock.now());
    expect(alone.plan).toMatchObject({ newCustomers: 0, applied: 0, erased: 1 });
    expect(alone.published).toBe(0);
    expect(alone.text).toContain('1 about erased addresses (dropped)');
    // Beside a new customer the file is published, and ingest drops the erased address's row.
    writeFileSync(file, `customer_id,email,first_name,marketing_consent,consent_at\n${rows}crm-new,new.person@example.com,Nova,yes,2026-10-09T00:00:00Z\n`);
    const imported = await runImport('customers', file, {}, runtimeDestination(runtime, 'test tables'), runtime.clock.now());
    expect(imported.plan).toMatchObject({ newCustomers: 1, applied: 1, erased: 1 });
    expect(imported.published).toBe(2);
    await runtime.drainSendQueue();
    expect(await runtime.customers.get('crm-new')).toMatchObject({ email: 'new.person@example.com' });
    expect(await runtime.customers.get('crm-erin')).toBeUndefined();
    expect(JSON.stringify((await scanAll()).customers)).not.toContain(EMAIL);

    runtime.clock.set(Date.parse('2026-10-10T09:00:00Z'));
    await publish('Customer Registered', { customerId: 'shopify-777', email: EMAIL, firstName: FIRST, marketingConsent: true, registeredAt: '2026-10-10T09:00:00Z' }, '2026-10-10T09:00:00Z');
    await runtime.drainSendQueue();
    expect(await runtime.customers.get('shopify-777')).toMatchObject({ email: EMAIL, consent: { marketing: true } });
    const ledger = (await scanAll())['send-ledger'] as { customerId: string; campaignId: string; status: string }[];
    expect(ledger.filter((e) => e.customerId === 'shopify-777')).toEqual([expect.objectContaining({ campaignId: 'welcome', status: 'sent' })]);
    // The re-imported row was never mailed: no send for it at all.
    expect(ledger.filter((e) => e.customerId === 'crm-erin')).toEqual([]);
    expect(runtime.access.violations).toEqual([]);
  });
});

describe('the privacy function (Shopify privacy webhooks, as the shop bus delivers them)', () => {
  it('customers/data_request exports, customers/redact erases that customer, shop/redact the storefront’s others', async () => {
    const handle = createPrivacyHandler({ ...deps, clock: runtime.clock, logger: new Logger({ logLevel: 'SILENT' }) });
    const asEvent = (topic: string, payload: unknown) => {
      const mapped = mapShopifyWebhook(topic, payload, runtime.clock.now());
      if (mapped.kind !== 'privacy') throw new Error(`${topic} did not map to a privacy request: ${mapped.kind}`);
      return { source: SHOP_EVENT_SOURCE, 'detail-type': PRIVACY_REQUEST, detail: mapped.request };
    };
    const otto = { shop_domain: 'tea-house.myshopify.com', customer: { id: 999, email: 'other@example.com' } };
    const exported = await handle(asEvent('customers/data_request', otto));
    expect(exported).toMatchObject({ outcome: 'exported', document: { customerId: 'shopify-999', profile: { email: 'other@example.com', firstName: 'Otto' } } });
    expect(await handle(asEvent('customers/redact', otto))).toMatchObject({ outcome: 'erased', receipt: { customerId: 'shopify-999', by: 'shopify customers/redact (tea-house.myshopify.com)', removed: { customers: 1 } } });
    expect(JSON.stringify((await scanAll()).customers)).not.toContain('other@example.com');
    // shop/redact: Shopify-only customers go; one also known at WooCommerce stays.
    await publish('Customer Registered', { customerId: 'shopify-31', email: 'shared@example.com', marketingConsent: false, registeredAt: '2026-10-10T10:00:00Z' }, '2026-10-10T10:00:00Z');
    await publish('Order Placed', { customerId: 'woo-31', orderId: 'woo-order-31', email: 'shared@example.com', placedAt: '2026-10-10T11:00:00Z', total: 5, items: [] }, '2026-10-10T11:00:00Z');
    expect(await handle(asEvent('shop/redact', JSON.parse(readFileSync(new URL('../fixtures/shopify/2025-07/shop-redact.json', import.meta.url), 'utf8'))))).toEqual({ outcome: 'storefront-erased', receipts: 1, keptElsewhere: 1 });
    expect(await runtime.customers.get('shopify-777')).toBeUndefined();
    expect(await runtime.customers.get('shopify-31')).toMatchObject({ orderCount: 1 });
    expect(await handle({ detail: { action: 'erase' } })).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('subject') });
  });
});
