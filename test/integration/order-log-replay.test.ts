/**
 * `lifecycle-mailer run --orders` end to end (dynalite, aws-ses-v2-local): consent comes only
 * from the log, customers are never merged, and a stray date does not move the window.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import type { Catalog } from '#domain/catalog.ts';
import { encodeCustomerId } from '#cli/run/customer-id.ts';
import { runJob } from '#cli/run/run-job.ts';
import type { RunSummary } from '#cli/run/run-summary.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const SAMPLE = new URL('../../data/cdnow/CDNOW_sample.txt', import.meta.url);
const SAMPLE_CUSTOMERS = 300;
let catalog: Catalog;
let work: string;

const emlFiles = (dataDir: string) => (existsSync(join(dataDir, 'outbox')) ? readdirSync(join(dataDir, 'outbox')).filter((f) => f.endsWith('.eml')) : []);

beforeAll(async () => {
  catalog = await buildCatalog(projectPaths(repoRoot));
  work = mkdtempSync(join(tmpdir(), 'lm-orders-'));
});

describe('the CDNOW sample replay (its first 300 customers, one week live)', () => {
  const marketing = () => catalog.campaigns.filter((c) => c.kind === 'marketing').map((c) => c.id);
  const marketingSent = (s: RunSummary) => marketing().reduce((n, id) => n + (s.campaigns[id]?.sent ?? 0), 0);
  let log: string;
  beforeAll(() => {
    // The sample's second column numbers its customers 1…2357.
    const lines = readFileSync(SAMPLE, 'utf8').split('\n').filter((line) => Number(line.trim().split(/\s+/)[1]) <= SAMPLE_CUSTOMERS);
    log = join(work, 'cdnow-sample-300.txt');
    writeFileSync(log, lines.join('\n') + '\n');
  });
  const replay = (dataDir: string, assumeConsent: boolean) =>
    runJob({ catalog, dataDir, orders: { file: log, format: 'cdnow' }, from: '1998-05-01', to: '1998-05-07', quiet: true, sendRate: 500, assumeConsent }).then((r) => r.summary);

  it('without --assume-consent sends no marketing mail: the log gives no consent', async () => {
    const dataDir = join(work, 'no-consent');
    const summary = await replay(dataDir, false);
    expect(summary.customers).toBe(SAMPLE_CUSTOMERS);
    expect(summary.emailsSent).toBe(0);
    expect(marketingSent(summary)).toBe(0);
    expect(emlFiles(dataDir)).toEqual([]);
    const noConsentSkips = marketing().reduce((n, id) => n + (summary.campaigns[id]?.notMailed['no-consent'] ?? 0), 0);
    expect(noConsentSkips).toBeGreaterThan(0); // the campaigns ran and found nobody willing
    expect(summary.assumedConsent).toBeUndefined();
  }, 240_000);

  it('with --assume-consent sends, and the summary says for how many customers consent was assumed', async () => {
    const dataDir = join(work, 'assumed');
    const summary = await replay(dataDir, true);
    expect(summary.assumedConsent).toBe(SAMPLE_CUSTOMERS);
    expect(marketingSent(summary)).toBeGreaterThan(0);
    expect(emlFiles(dataDir)).toHaveLength(summary.emailsSent);
  }, 240_000);
});

describe('a csv order log with look-alike ids, a stray date and a bad address', () => {
  let summary: RunSummary;
  let dataDir: string;
  const profiles = new Map<string, { orderCount: number; totalSpend: number; email?: string; consent: { marketing: boolean } }>();

  beforeAll(async () => {
    const lines = ['customer_id,date,quantity,amount,email,marketing_consent'];
    for (let i = 1; i <= 30; i++) lines.push(`c${i},2026-0${1 + (i % 3)}-${String(1 + (i % 27)).padStart(2, '0')},1,${i},,`);
    lines.push('a.b,2026-03-10,1,10,ab@example.com,true', 'a-b,2026-03-11,1,20,,', 'c31,2030-01-15,1,99,,', 'c32,2026-03-12,1,5,not an address,true');
    const file = join(work, 'orders.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    dataDir = join(work, 'csv');
    const result = await runJob({ catalog, dataDir, orders: { file, format: 'csv' }, quiet: true, serve: true, serveUnsubscribe: false, sendRate: 500 });
    summary = result.summary;
    try {
      for await (const page of result.runtime!.customers.scanSegment(0, 1)) for (const p of page) profiles.set(p.customerId, p);
    } finally {
      await result.runtime!.stop();
    }
  }, 240_000);
  afterAll(() => undefined);

  it('a.b and a-b stay two customers, each with their own order', () => {
    expect(profiles.get(encodeCustomerId('a.b'))).toMatchObject({ orderCount: 1, totalSpend: 10, email: 'ab@example.com', consent: { marketing: true } });
    expect(profiles.get('a-b')).toMatchObject({ orderCount: 1, totalSpend: 20, consent: { marketing: false } });
    expect(profiles.size).toBe(32);
  });

  it('rejects the 2030 line and the bad address at parse, each in the rejected-lines file, and takes the window from the bulk', () => {
    const rejected = readFileSync(join(dataDir, 'rejected-order-lines.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; reason: string });
    expect(rejected.map((r) => [r.line, r.reason.split(':')[0]])).toEqual([
      [34, 'date'],
      [35, 'email'],
    ]);
    expect(summary.failedEvents.import).toBe(2);
    expect(summary.window.to.slice(0, 10)).toBe('2026-03-28'); // the day after the bulk's last order (2026-03-27), not 2030
    expect(profiles.has('c31')).toBe(false);
  });
});

describe('the CDNOW sample replay cannot be influenced by email (its first 800 customers, four weeks live)', () => {
  it('reports no journey or campaign with significant uplift after the Holm correction', async () => {
    const lines = readFileSync(SAMPLE, 'utf8').split('\n').filter((line) => Number(line.trim().split(/\s+/)[1]) <= 800);
    const log = join(work, 'cdnow-sample-800.txt');
    writeFileSync(log, lines.join('\n') + '\n');
    const { report, trueEffects } = await runJob({ catalog, dataDir: join(work, 'uplift'), orders: { file: log, format: 'cdnow' }, from: '1998-04-01', to: '1998-04-28', quiet: true, sendRate: 500, assumeConsent: true });
    // A fixed log has no response to clicks: the demo's true effects are not made up for it.
    expect(trueEffects).toBeUndefined();
    expect(report!.uplift.available).toBe(true);
    expect(report!.uplift.rows.filter((r) => r.level === 'journey').length).toBeGreaterThan(0);
    for (const r of report!.uplift.rows) expect({ row: r.key, significant: r.significant, adjustedP: r.adjustedPValue > 0.05 }).toEqual({ row: r.key, significant: false, adjustedP: true });
    // The report was written next to the outbox, as for the demo.
    expect(existsSync(join(work, 'uplift', 'report.html'))).toBe(true);
  }, 420_000);
});
