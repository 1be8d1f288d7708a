import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { type Destination, exportEvents, publishAll, runtimeDestination } from '#cli/connect-commands.ts';
import { emailCustomerId, runImport } from '#cli/import-commands.ts';
import { mapShopifyWebhook } from '../../functions/connector/shopify-mapping.ts';

/** `import customers|orders` and `connect backfill` against the local runtime (dynalite), read back. */
const repoRoot = new URL('../..', import.meta.url).pathname;
const fixture = (path: string) => new URL(`../fixtures/${path}`, import.meta.url).pathname;
const NOW = '2026-10-08T00:00:00.000Z';

let runtime: LocalRuntime;
let destination: Destination;

beforeAll(async () => {
  runtime = await LocalRuntime.start({ catalog: await buildCatalog(projectPaths(repoRoot)), start: NOW });
  destination = runtimeDestination(runtime, 'test tables');
}, 60_000);
afterAll(async () => {
  await runtime?.stop();
});

describe('import customers', () => {
  it('--dry-run reports new, rejected (line and reason) and consent changes, and writes nothing', async () => {
    const result = await runImport('customers', fixture('imports/customers.csv'), { dryRun: true }, destination, NOW);
    expect(result.plan).toMatchObject({ newCustomers: 3, updatedCustomers: 0, unchangedCustomers: 0, applied: 3, alreadyThere: 0 });
    expect(result.plan?.consentChanges).toEqual([
      { customerId: 'crm-001', from: undefined, to: true, at: '2026-09-01T10:00:00.000Z' },
      { customerId: 'crm-002', from: undefined, to: false, at: '2026-09-15T08:00:00.000Z' },
    ]);
    expect(result.rejected).toEqual([
      { line: 5, reason: expect.stringContaining('email') },
      { line: 6, reason: expect.stringContaining('consentAt: required with marketingConsent') },
      { line: 7, reason: expect.stringContaining('timeZone') },
    ]);
    expect(result.text).toContain('dry run: nothing written');
    expect(result.published).toBe(0);
    for (const id of ['crm-001', 'crm-002', emailCustomerId('linus@example.com')]) expect(await runtime.customers.get(id)).toBeUndefined();
  });

  it('imports the rows with consent, its source and time, topics and attributes', async () => {
    const result = await runImport('customers', fixture('imports/customers.csv'), {}, destination, NOW);
    expect(result.published).toBe(3);
    expect(await runtime.customers.get('crm-001')).toMatchObject({
      email: 'ada@example.com',
      firstName: 'Ada',
      locale: 'en-GB',
      timeZone: 'Europe/London',
      consent: { marketing: true, topics: ['newsletter', 'offers'], updatedAt: '2026-09-01T10:00:00.000Z', source: 'crm-signup-form' },
      attributes: { tier: 'gold', points: 1200 },
    });
    expect(await runtime.customers.get(emailCustomerId('linus@example.com'))).toMatchObject({ email: 'linus@example.com', locale: 'fi', consent: { marketing: false } });
  });

  it('a second import of the same file changes nothing', async () => {
    const before = await Promise.all(['crm-001', 'crm-002', emailCustomerId('linus@example.com')].map((id) => runtime.customers.get(id)));
    const result = await runImport('customers', fixture('imports/customers.csv'), {}, destination, NOW);
    expect(result.plan).toMatchObject({ newCustomers: 0, updatedCustomers: 0, unchangedCustomers: 3, applied: 0, alreadyThere: 3, consentChanges: [] });
    expect(result.published).toBe(0);
    expect(await Promise.all(['crm-001', 'crm-002', emailCustomerId('linus@example.com')].map((id) => runtime.customers.get(id)))).toEqual(before);
  });

  it('never replaces a newer consent with an older one; a newer one is applied (JSON Lines)', async () => {
    const dry = await runImport('customers', fixture('imports/customers.jsonl'), { dryRun: true }, destination, NOW);
    expect(dry.plan).toMatchObject({ newCustomers: 1, updatedCustomers: 2 });
    // crm-001's statement (2026-08-01) is older than the consent on file (2026-09-01): not a change.
    expect(dry.plan?.consentChanges).toEqual([{ customerId: 'crm-002', from: false, to: true, at: '2026-09-20T00:00:00.000Z' }]);
    expect(dry.rejected).toEqual([{ line: 4, reason: 'not valid JSON' }]);
    await runImport('customers', fixture('imports/customers.jsonl'), {}, destination, NOW);
    expect(await runtime.customers.get('crm-001')).toMatchObject({ consent: { marketing: true, updatedAt: '2026-09-01T10:00:00.000Z', source: 'crm-signup-form' }, attributes: { tier: 'platinum', points: 1200 } });
    expect(await runtime.customers.get('crm-002')).toMatchObject({ consent: { marketing: true, updatedAt: '2026-09-20T00:00:00.000Z', source: 'preference-centre' } });
  });
});

describe('import orders', () => {
  it('adds the order history (CSV rows of one order are its line items), rejects bad rows, and a re-import changes nothing', async () => {
    const dry = await runImport('orders', fixture('imports/orders.csv'), { dryRun: true }, destination, NOW);
    // grace@example.com is crm-002 already: her order is counted against that profile, not as a new customer.
    expect(dry.plan).toMatchObject({ applied: 3, alreadyThere: 0, newCustomers: 0, updatedCustomers: 2 });
    expect(dry.rejected).toEqual([{ line: 6, reason: expect.stringContaining('placedAt') }]);
    expect((await runtime.customers.get('crm-001'))?.orderCount).toBe(0);
    await runImport('orders', fixture('imports/orders.csv'), {}, destination, NOW);
    const ada = await runtime.customers.get('crm-001');
    expect(ada).toMatchObject({ orderCount: 2, totalSpend: 66.5, firstOrderAt: '2026-06-01T12:00:00.000Z', lastOrderAt: '2026-08-01T12:00:00.000Z' });
    // An order naming only an address joins the profile that holds it (one customer across sources).
    expect(await runtime.customers.get('crm-002')).toMatchObject({ email: 'grace@example.com', orderCount: 1, totalSpend: 12 });
    expect(await runtime.customers.get(emailCustomerId('grace@example.com'))).toBeUndefined();
    const grace = await runtime.customers.get('crm-002');
    const dryAgain = await runImport('orders', fixture('imports/orders.csv'), { dryRun: true }, destination, NOW);
    expect(dryAgain.plan).toMatchObject({ newCustomers: 0, updatedCustomers: 0, unchangedCustomers: 2, applied: 0, alreadyThere: 3 });
    const again = await runImport('orders', fixture('imports/orders.csv'), {}, destination, NOW);
    expect(again.plan).toMatchObject({ applied: 0, alreadyThere: 3 });
    expect(again.published).toBe(0);
    expect(await runtime.customers.get('crm-001')).toEqual(ada);
    expect(await runtime.customers.get('crm-002')).toEqual(grace);
  });
});

describe('connect backfill', () => {
  const MARIA = 'shopify-7231643828469';

  it('Shopify exports fill what the webhooks missed, with the webhooks’ ids: an order already delivered is not counted twice, and a re-run changes nothing', async () => {
    // The webhook already brought Maria's order #1001.
    const webhook = mapShopifyWebhook('orders/create', JSON.parse(readFileSync(fixture('shopify/2025-07/orders-create.json'), 'utf8')));
    await publishAll(destination, webhook.kind === 'events' ? webhook.events : [], [], NOW);
    expect((await runtime.customers.get(MARIA))?.orderCount).toBe(1);

    const results = exportEvents('shopify', [fixture('exports/shopify-orders.csv'), fixture('exports/shopify-customers.csv')], '2026-10-07T00:00:00.000Z');
    expect(results.map((r) => [r.kind, r.events.length, r.rejected.map((x) => x.line), r.skipped.map((x) => x.reason)])).toEqual([
      // The export's record for María spans lines 2–3 (a note with a line break); the broken id is on line 5.
      ['shopify customers shopify-customers.csv', 2, [5], []],
      ['shopify orders shopify-orders.csv', 3, [], ['order #1004: cancelled']],
    ]);
    const backfill = () => publishAll(destination, results.flatMap((r) => r.events), results.flatMap((r) => r.owners), NOW);
    await backfill();
    const maria = await runtime.customers.get(MARIA);
    expect(maria).toMatchObject({ orderCount: 1, totalSpend: 84.5, consent: { marketing: true }, attributes: { tags: 'newsletter-signup, spring-promo' } });
    expect(await runtime.customers.get('shopify-7231643861237')).toMatchObject({ email: 'tom.baker@example.com', orderCount: 1, totalSpend: 35, consent: { marketing: false } });
    await backfill();
    expect(await runtime.customers.get(MARIA)).toEqual(maria);
  });

  it('a WooCommerce REST export gives the same profile as its webhooks', async () => {
    const [result] = exportEvents('woocommerce', [fixture('exports/woocommerce-rest.json')], undefined);
    expect(result?.rejected).toEqual([]);
    await publishAll(destination, result!.events, [], NOW);
    const jonas = await runtime.customers.get('woo-25');
    expect(jonas).toMatchObject({ email: 'jonas.weber@example.com', orderCount: 1, totalSpend: 17.35, refundCount: 1, consent: { marketing: true } });
    await publishAll(destination, result!.events, [], NOW);
    expect(await runtime.customers.get('woo-25')).toEqual(jonas);
  });
});

describe('re-import plans resolve customers as ingest does', () => {
  it('a customer known by address or by another storefront’s id is not new: the dry run after an import reports 0 new and 0 changed, and a second import changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reimport-'));
    const file = join(dir, 'storefront-customers.jsonl');
    const rows = [
      // Ada is crm-001 (imported above): her Shopify id joins that profile by address.
      { customerId: 'shopify-5550001', email: 'ada@example.com', firstName: 'Ada', updatedAt: '2026-10-02T00:00:00Z', attributes: { shopifyTier: 'vip' } },
      // No id: the address alone names Grace (crm-002).
      { email: 'grace@example.com', attributes: { team: 'navy' }, updatedAt: '2026-10-02T00:00:00Z' },
      // Linus was imported by address (an email- id); his WooCommerce id joins him.
      { customerId: 'woo-5550002', email: 'linus@example.com', locale: 'sv-FI', updatedAt: '2026-10-02T00:00:00Z' },
    ];
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    const known = ['crm-001', 'crm-002', emailCustomerId('linus@example.com')];
    const profiles = () => Promise.all(known.map((id) => runtime.customers.get(id)));
    const links = async () => ((await runtime.db.send(new ScanCommand({ TableName: runtime.tables.identities }))).Items ?? []).map((i) => String(i.id)).sort();
    try {
      const untouched = await profiles();
      const linksBefore = await links();
      const first = await runImport('customers', file, { dryRun: true }, destination, NOW);
      expect(first.plan).toMatchObject({ newCustomers: 0, updatedCustomers: 3, unchangedCustomers: 0, applied: 3, alreadyThere: 0 });
      // The dry run wrote nothing: no profile, no identity link.
      expect(await profiles()).toEqual(untouched);
      expect(await links()).toEqual(linksBefore);

      await runImport('customers', file, {}, destination, NOW);
      const after = await profiles();
      expect(after[0]).toMatchObject({ customerId: 'crm-001', attributes: { shopifyTier: 'vip' } });
      expect(after[0]?.identities.map((i) => i.id)).toContain('shopify-5550001');
      expect(after[1]).toMatchObject({ customerId: 'crm-002', attributes: { team: 'navy' } });
      expect(after[2]).toMatchObject({ locale: 'sv-FI' });
      expect(after[2]?.identities.map((i) => i.id)).toContain('woo-5550002');
      for (const id of ['shopify-5550001', 'woo-5550002', emailCustomerId('grace@example.com')]) expect(await runtime.customers.get(id)).toBeUndefined();

      const dry = await runImport('customers', file, { dryRun: true }, destination, NOW);
      expect(dry.plan).toMatchObject({ newCustomers: 0, updatedCustomers: 0, unchangedCustomers: 3, applied: 0, alreadyThere: 3, consentChanges: [] });
      const again = await runImport('customers', file, {}, destination, NOW);
      expect(again.published).toBe(0);
      expect(await profiles()).toEqual(after);
      expect(runtime.access.violations).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
