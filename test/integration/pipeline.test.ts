import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import type { LocalRuntime } from '#lib/local/local-runtime.ts';
import { runJob } from '#cli/run/run-job.ts';
import type { RunSummary } from '#cli/run/run-summary.ts';
import { PAUSE_CACHE_MS } from '#adapters/pause-gate.ts';
import { ALL_MARKETING, campaignOfScope } from '#domain/deliverability-guardrail.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;

/** The whole job on a small demo shop, against real dynalite and aws-ses-v2-local, then read back. */
describe('lifecycle-mailer run on the demo shop', () => {
  let dataDir: string;
  let summary: RunSummary;
  let runtime: LocalRuntime;
  let profiles: CustomerProfile[];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'lm-run-'));
    const catalog = await buildCatalog(projectPaths(repoRoot));
    const result = await runJob({ catalog, dataDir, customers: 400, seed: 'integration', quiet: true, serve: true, serveUnsubscribe: false, summaryFile: join(dataDir, 'summary.json') });
    summary = result.summary;
    runtime = result.runtime!;
    profiles = [];
    for await (const page of runtime.customers.scanSegment(0, 1)) profiles.push(...page);
  }, 300_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  it('writes one .eml per accepted message, each complete and fully rendered', async () => {
    const files = readdirSync(join(dataDir, 'outbox')).filter((f) => f.endsWith('.eml'));
    expect(files.length).toBe(summary.emailsSent);
    expect(files.length).toBeGreaterThan(50);
    const sendIds = new Set<string>();
    const customerPeriods = new Set<string>();
    for (const f of files) {
      const raw = readFileSync(join(dataDir, 'outbox', f), 'utf8');
      const mail = await simpleParser(raw);
      expect(mail.from?.text, f).toBeTruthy();
      expect(mail.to, f).toBeTruthy();
      expect(mail.subject, f).toBeTruthy();
      expect(mail.html, f).toBeTruthy();
      expect(mail.text?.length, f).toBeGreaterThan(20);
      const header = (name: string) => mail.headerLines.find((h) => h.key === name)?.line ?? '';
      expect(header('list-unsubscribe-post'), f).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      expect(header('list-unsubscribe'), f).toMatch(/^List-Unsubscribe:\s*<https:\/\/[^>]+\?token=/);
      const html = String(mail.html);
      expect(`${html}${mail.text}${mail.subject}`, f).not.toMatch(/\{\{|<mj-/);
      expect(html, f).not.toMatch(/<script>alert/);
      const sendId = String(mail.headers.get('x-send-id'));
      const campaignId = String(mail.headers.get('x-campaign-id'));
      expect(sendId.startsWith(`${campaignId}_`), f).toBe(true);
      expect(sendIds.has(sendId), `send ${sendId} mailed twice`).toBe(false);
      sendIds.add(sendId);
      const [, period] = sendId.split('_');
      customerPeriods.add(`${campaignId}|${period}|${String(mail.to && 'text' in mail.to ? mail.to.text : '')}`);
    }
    expect(customerPeriods.size).toBe(files.length);
  });

  it('records every sent email in the ledger, matching the summary', async () => {
    let sent = 0;
    for await (const e of runtime.ledger.all()) if (e.status === 'sent') sent++;
    expect(sent).toBe(summary.emailsSent);
    expect(Object.values(summary.campaigns).reduce((s, c) => s + c.sent, 0)).toBe(sent);
  });

  it('places customers in every lifecycle stage and stores RFM and loyalty', () => {
    for (const stage of ['prospect', 'exploring', 'growing', 'stable', 'declining', 'lapsed'] as const) {
      expect(profiles.filter((p) => p.stage === stage).length, stage).toBeGreaterThan(0);
      expect(summary.stages[stage]).toBe(profiles.filter((p) => p.stage === stage).length);
    }
    const buyers = profiles.filter((p) => p.orderCount > 0);
    expect(buyers.every((p) => p.rfm !== undefined)).toBe(true);
    expect(profiles.filter((p) => p.orderCount === 0).every((p) => p.rfm === undefined)).toBe(true);
  });

  it('fits the purchase models, stores their parameters, and scores every buyer', async () => {
    const buyers = profiles.filter((p) => p.orderCount > 0);
    expect(buyers.every((p) => p.value !== undefined)).toBe(true);
    expect(summary.value.models?.bgnbd?.r).toBeGreaterThan(0);
    const latest = await runtime.modelRuns.latest('bgnbd');
    expect(latest?.converged).toBe(true);
    expect(latest?.params.r).toBeCloseTo(summary.value.models!.bgnbd!.r, 10);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const pAlive = (stage: string) => mean(buyers.filter((p) => p.stage === stage).map((p) => p.value!.pAlive));
    expect(pAlive('stable')).toBeGreaterThan(pAlive('lapsed'));
  });

  it('feeds opens and clicks back into engagement and loyalty', () => {
    expect(summary.opensRecorded).toBeGreaterThan(0);
    expect(summary.clicksRecorded).toBeGreaterThan(0);
    const clickers = profiles.filter((p) => (p.engagement?.clicks ?? 0) > 0);
    expect(clickers.length).toBeGreaterThan(0);
    const clicks = profiles.reduce((s, p) => s + (p.engagement?.clicks ?? 0), 0);
    expect(clicks).toBe(summary.clicksRecorded);
    expect(summary.loyaltyScoresChanged).toBeGreaterThan(0);
  });

  it('suppresses mailbox-simulator bounces and complaints, and never mails them again', () => {
    const bounced = profiles.filter((p) => p.email?.startsWith('bounce+'));
    expect(bounced.length).toBeGreaterThan(0);
    for (const p of bounced) {
      if (Object.keys(p.campaignsSent).length) expect(p.suppression?.reason).toBe('hard-bounce');
      expect(Object.keys(p.campaignsSent).length).toBeLessThanOrEqual(1);
    }
  });

  it('honours consent: no one without marketing consent got a marketing email', () => {
    const marketing = new Set(runtime.catalog.campaigns.filter((c) => c.kind === 'marketing').map((c) => c.id));
    for (const p of profiles.filter((x) => !x.consent.marketing)) {
      expect(Object.keys(p.campaignsSent).filter((id) => marketing.has(id))).toEqual([]);
    }
  });

  it('reports every guardrail pause with its reason, and sends nothing held by one (after the 30 s pause cache)', async () => {
    const records = await runtime.deliverability.listPauses();
    // (This 400-customer run has no day with enough sends and a complaint to pause; npm start's 2,000 do.)
    expect(summary.guardrail.pauses.filter((p) => p.status === 'active').map((p) => p.scope).sort()).toEqual(records.filter((r) => r.status === 'active').map((r) => r.scope).sort());
    for (const p of summary.guardrail.pauses) expect(p.reason).toMatch(/rate \d+\.\d\d% \(\d+ of \d+ sends on \d{4}-\d\d-\d\d\) ≥ \d+\.\d\d%/);
    expect(summary.guardrail.sendsSkippedPaused).toBe(Object.values(summary.campaigns).reduce((s, c) => s + (c.skippedAtSend.paused ?? 0), 0));
    const marketing = new Set(runtime.catalog.campaigns.filter((c) => c.kind === 'marketing').map((c) => c.id));
    for (const r of records.filter((x) => x.status === 'active')) {
      const heldFrom = new Date(Date.parse(r.pausedAt) + PAUSE_CACHE_MS).toISOString();
      const held = (campaignId: string) => (r.scope === ALL_MARKETING ? marketing.has(campaignId) : campaignOfScope(r.scope) === campaignId);
      for await (const e of runtime.ledger.all()) if (e.status === 'sent' && held(e.campaignId)) expect(e.sentAt! < heldFrom, `${e.sendId} sent ${e.sentAt}, paused ${r.pausedAt}`).toBe(true);
    }
  });

  it('writes the JSON summary with per-campaign figures', () => {
    const written = JSON.parse(readFileSync(join(dataDir, 'summary.json'), 'utf8')) as RunSummary;
    expect(written.customers).toBe(400);
    expect(written.emailsSent).toBe(summary.emailsSent);
    expect(Object.keys(written.campaigns).sort()).toEqual(runtime.catalog.campaigns.map((c) => c.id).sort());
    const sending = Object.values(written.campaigns).filter((c) => c.sent > 0).length;
    expect(sending).toBeGreaterThanOrEqual(6);
  });
});
