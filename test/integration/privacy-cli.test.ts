/** `lifecycle-mailer privacy export` and `privacy erase` as commands, on the tables a local run left under --data-dir. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { registerPrivacyCommands, withLocalPrivacy } from '#cli/privacy-commands.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { TABLES } from '#lib/tables.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const EMAIL = 'cli.person@example.com';
const FIRST = 'Ottilie';
const LAST = 'Brandauer';
let dataDir: string;

const run = async (...args: string[]) => {
  let out = '';
  const program = new Command().exitOverride();
  registerPrivacyCommands(program, (t) => (out += t));
  await program.parseAsync(['node', 'lifecycle-mailer', ...args, '--data-dir', dataDir]);
  return out;
};
const everyTable = () =>
  withLocalPrivacy(dataDir, async ({ db, tables }) => {
    const out: Record<string, unknown[]> = {};
    for (const t of TABLES) out[t.name] = (await db.send(new ScanCommand({ TableName: tables[t.name] }))).Items ?? [];
    return out;
  });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'privacy-cli-'));
  const runtime = await LocalRuntime.start({ catalog: await buildCatalog(projectPaths(repoRoot)), dataDir, start: '2026-10-08T09:00:00.000Z' });
  const publish = (detailType: string, detail: Record<string, unknown>, time: string) =>
    runtime.bus.putEvents('shop', [{ Source: SHOP_EVENT_SOURCE, DetailType: detailType, Time: new Date(time), Detail: JSON.stringify(detail) }]);
  try {
    await publish('Customer Registered', { customerId: 'shopify-4242', email: EMAIL, firstName: FIRST, lastName: LAST, marketingConsent: true, topics: [], registeredAt: '2026-10-08T09:00:00Z' }, '2026-10-08T09:00:00Z');
    await runtime.drainSendQueue();
    await publish('Order Placed', { customerId: 'woo-4242', orderId: 'woo-order-4242', email: EMAIL, placedAt: '2026-10-08T10:00:00Z', total: 30, items: [] }, '2026-10-08T10:00:00Z');
    await publish('Customer Registered', { customerId: 'shopify-4343', email: 'someone.else@example.com', firstName: 'Sam', marketingConsent: false, registeredAt: '2026-10-08T09:30:00Z' }, '2026-10-08T09:30:00Z');
  } finally {
    await runtime.stop();
  }
}, 90_000);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('privacy commands on a data dir', () => {
  it('export prints every record the tables hold about the person, found by either storefront id; --out writes the same document', async () => {
    const doc = JSON.parse(await run('privacy', 'export', 'woo-4242')) as { customerId: string; ids: string[]; profile: Record<string, unknown>; records: Record<string, unknown[]> };
    expect(doc.customerId).toBe('shopify-4242');
    expect(doc.ids.sort()).toEqual(['shopify-4242', 'woo-4242']);
    expect(doc.profile).toMatchObject({ email: EMAIL, firstName: FIRST, lastName: LAST, orderCount: 1 });
    expect(Object.fromEntries(Object.entries(doc.records).map(([t, items]) => [t, items.length]))).toMatchObject({ customers: 1, 'send-ledger': 1, 'stage-changes': 1, identities: 3, idempotency: 2 });
    expect(JSON.stringify(doc)).not.toContain('someone.else@example.com');
    const file = join(dataDir, 'export.json');
    expect(await run('privacy', 'export', EMAIL, '--out', file)).toMatch(/^wrote \d+ records about shopify-4242 to /);
    expect((JSON.parse(readFileSync(file, 'utf8')) as typeof doc).records).toEqual(doc.records);
  });

  it('erase removes the address and the name from every table, says what it removed, and leaves the others', async () => {
    const said = await run('privacy', 'erase', EMAIL, '--by', 'test-dpo');
    expect(said).toMatch(/^erased shopify-4242 at .+ \(by test-dpo\): removed customers 1, failed-events 0, stage-changes 1, shop-connector 0, identities 3, journey-entries \d+; 1 address\(es\) kept as salted hashes; receipt receipt#/);
    const raw = JSON.stringify(await everyTable()).toLowerCase();
    for (const trace of [EMAIL, FIRST, LAST]) expect(raw).not.toContain(trace.toLowerCase());
    expect(raw).toContain('someone.else@example.com');
    await expect(run('privacy', 'export', 'not an id!')).rejects.toThrow('is neither an email address nor a customer id');
  });
});
