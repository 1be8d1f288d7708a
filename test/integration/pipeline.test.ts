import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import type { LocalRuntime } from '#lib/local/local-runtime.ts';
import { runJob } from '#cli/run/run-job.ts';
import type { RunSummary } from '#cli/run/run-summary.ts';
import { PAUSE_CACHE_MS } from '#adapters/pause-gate.ts';
import { ALL_MARKETING, campaignOfScope } from '#domain/deliverability-guardrail.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** runJob as `npm start` runs it (table printed), with what it wrote to stdout. */
async function runPrinted(options: Parameters<typeof runJob>[0]): Promise<{ result: Awaited<ReturnType<typeof runJob>>; printed: string }> {
  let printed = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((printed += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // progress lines
  try {
    return { result: await runJob({ ...options, quiet: false }), printed };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** Per campaign: queued = sent + skipped at send + set aside + still queued, and customers considered = mailed + not mailed. */
function expectCampaignsAddUp(summary: RunSummary, runtime: LocalRuntime): void {
  const atQueue = new Map<string, number>();
  for (const id of runtime.sendQueue.enqueuedSendIds) atQueue.set(id.slice(0, id.indexOf('_')), (atQueue.get(id.slice(0, id.indexOf('_'))) ?? 0) + 1);
  for (const [id, c] of Object.entries(summary.campaigns)) {
    expect(c.unaccounted, id).toBe(0);
    expect(c.sent + c.heldOut + total(c.skippedAtSend) + c.setAside + c.stillQueued, id).toBe(c.queued);
    // What the deciding functions queued is what the queue took, send id for send id.
    expect(c.queued, id).toBe(atQueue.get(id) ?? 0);
    expect(c.customersMailed + total(c.notMailed), id).toBe(c.customersConsidered);
    expect(c.customersMailed, id).toBeLessThanOrEqual(c.sent);
    expect(Object.values(c.variants).reduce((n, v) => n + v.sent, 0), id).toBe(c.sent);
    expect(Object.values(c.variants).reduce((n, v) => n + v.clicks, 0), id).toBe(c.clicks);
  }
  const events = Object.entries(summary.campaigns).filter(([, c]) => c.trigger === 'event');
  for (const [id, c] of events) expect(c.triggered, id).toBe(c.queued);
  expect(Object.values(summary.campaigns).reduce((n, c) => n + c.queued, 0)).toBe(summary.guarantees.sendsQueued);
  expect(summary.guarantees.sent + summary.guarantees.heldOut + summary.guarantees.skippedAtSend + summary.guarantees.setAside + summary.guarantees.stillQueued).toBe(summary.guarantees.sendsQueued);
  expect(summary.guarantees.unaccountedIds).toEqual([]);
}

/** Every pause is reported with its reason, and nothing it held went out (after the 30 s pause cache). */
async function expectPausesReportedAndHeld(summary: RunSummary, runtime: LocalRuntime): Promise<void> {
  const records = await runtime.deliverability.listPauses();
  expect(summary.guardrail.pauses.filter((p) => p.status === 'active').map((p) => p.scope).sort()).toEqual(records.filter((r) => r.status === 'active').map((r) => r.scope).sort());
  for (const p of summary.guardrail.pauses) expect(p.reason).toMatch(/rate \d+\.\d\d% \(\d+ of \d+ sends on \d{4}-\d\d-\d\d\) ≥ \d+\.\d\d%/);
  expect(summary.guardrail.sendsSkippedPaused).toBe(Object.values(summary.campaigns).reduce((s, c) => s + (c.skippedAtSend.paused ?? 0), 0));
  const marketing = new Set(runtime.catalog.campaigns.filter((c) => c.kind === 'marketing').map((c) => c.id));
  for (const r of records.filter((x) => x.status === 'active')) {
    const heldFrom = new Date(Date.parse(r.pausedAt) + PAUSE_CACHE_MS).toISOString();
    const held = (campaignId: string) => (r.scope === ALL_MARKETING ? marketing.has(campaignId) : campaignOfScope(r.scope) === campaignId);
    for await (const e of runtime.ledger.all()) if (e.status === 'sent' && held(e.campaignId)) expect(e.sentAt! < heldFrom, `${e.sendId} sent ${e.sentAt}, paused ${r.pausedAt}`).toBe(true);
  }
}

/**
 * Kept running afterwards to be read back (`serve`), but paced on the simulated clock and written
 * behind as `npm start` runs: real-time pacing and a round trip per write are order-log-replay's.
 */
const SERVED_AS_NPM_START = { serve: true, realtime: false, writes: 'behind', serveUnsubscribe: false } as const;

/** The whole job on a small demo shop, against real dynalite and aws-ses-v2-local, then read back. */
describe('lifecycle-mailer run on the demo shop', () => {
  let dataDir: string;
  let summary: RunSummary;
  let runtime: LocalRuntime;
  let profiles: CustomerProfile[];
  let printed: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'lm-run-'));
    const catalog = await buildCatalog(projectPaths(repoRoot));
    // Recipients unsubscribe five times as often as the demo's default, so a shop this small has some.
    const run = await runPrinted({ catalog, dataDir, customers: 400, seed: 'integration', ...SERVED_AS_NPM_START, summaryFile: join(dataDir, 'summary.json'), recipients: { unsubscribePerOpen: 0.05, resubscribePerUnsubscribe: 0.5 } });
    const result = run.result;
    printed = run.printed;
    summary = result.summary;
    runtime = result.runtime!;
    profiles = [];
    for await (const page of runtime.customers.scanSegment(0, 1)) profiles.push(...page);
  }, 420_000);

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

  it('pauses nothing on the healthy demo shop, which sends on many days and moves customers between stages', async () => {
    expect(summary.source).toMatch(/healthy/);
    expect(summary.guardrail.pauses).toEqual([]);
    expect(await runtime.deliverability.listPauses()).toEqual([]);
    expect(Object.values(summary.campaigns).reduce((s, c) => s + (c.skippedAtSend.paused ?? 0), 0)).toBe(0);
    const sendingDays = new Set<string>();
    for await (const e of runtime.ledger.all()) if (e.status === 'sent') sendingDays.add(e.sentAt!.slice(0, 10));
    expect(sendingDays.size).toBeGreaterThanOrEqual(14); // of 42
    // Stage changes after the go-live scoring (the first report): customers move during the live weeks.
    expect(runtime.reports.slice(1).reduce((n, r) => n + r.stageChanges, 0)).toBeGreaterThan(0);
    // A realistic trickle of bounces, still under the guardrail.
    expect(profiles.filter((p) => p.suppression?.reason === 'hard-bounce').length).toBeGreaterThan(0);
  });

  it('adds up per campaign: queued = sent + held out + skipped at send + set aside + still queued; customers once each', () => {
    expectCampaignsAddUp(summary, runtime);
    // The registration and cart campaigns go as journey steps now: their entries and sends.
    for (const id of ['welcome-series', 'abandoned-cart']) expect(summary.journeys[id]!.entered, id).toBeGreaterThan(0);
    for (const id of ['welcome', 'abandoned-cart']) expect(summary.campaigns[id]!.sent, id).toBeGreaterThan(0);
    // Customers are counted once over the 42 runs, not once per run: never more than the shop has.
    for (const [id, c] of Object.entries(summary.campaigns)) expect(c.customersConsidered, id).toBeLessThanOrEqual(summary.customers);
    // Every daily run considers every customer then in the base: the last run's base, counted once.
    expect(summary.campaigns['cross-sell']!.customersConsidered).toBe([...runtime.reports].reverse().find((r) => 'cross-sell' in r.campaigns)!.customers);
  });

  it('counts unsubscribes and re-subscriptions by the campaign whose link was used', () => {
    const unsubscribes = Object.values(summary.campaigns).reduce((n, c) => n + c.unsubscribes, 0);
    const resubscribes = Object.values(summary.campaigns).reduce((n, c) => n + c.resubscribes, 0);
    // Only a link's unsubscribe writes unsubscribedTopics; a re-subscription clears them all.
    const stillUnsubscribed = profiles.filter((p) => p.consent.unsubscribedTopics.length > 0).length;
    expect(stillUnsubscribed).toBeGreaterThan(0);
    expect(resubscribes).toBeGreaterThan(0);
    expect(stillUnsubscribed).toBeLessThanOrEqual(unsubscribes - resubscribes);
    for (const [id, c] of Object.entries(summary.campaigns)) expect(c.resubscribes, id).toBeLessThanOrEqual(c.unsubscribes);
  });

  it('reports the mean change of loyalty, signed and in size', () => {
    expect(summary.loyaltyChange.customers).toBeGreaterThan(0);
    expect(summary.loyaltyChange.meanAbsolute).toBeGreaterThan(0);
    expect(summary.loyaltyChange.meanAbsolute).toBeGreaterThanOrEqual(Math.abs(summary.loyaltyChange.mean));
    expect(summary.loyaltyChange.meanAbsolute).not.toBe(summary.averageLoyalty);
  });

  it('stamps each .eml with its simulated send time, so a mail client sorts the outbox as it was sent', async () => {
    const sentAt = new Map<string, string>();
    for await (const e of runtime.ledger.all()) if (e.status === 'sent') sentAt.set(e.sendId, e.sentAt!);
    const days = new Set<string>();
    for (const f of readdirSync(join(dataDir, 'outbox')).filter((x) => x.endsWith('.eml'))) {
      const raw = readFileSync(join(dataDir, 'outbox', f), 'utf8');
      const dates = [...raw.slice(0, raw.search(/\r?\n\r?\n/)).matchAll(/^Date: (.+)$/gim)].map((m) => m[1]!.trim());
      expect(dates, f).toHaveLength(1);
      const sendId = /^X-Send-ID: (\S+)/im.exec(raw)![1]!;
      expect(Date.parse(dates[0]!), f).toBe(Math.floor(Date.parse(sentAt.get(sendId)!) / 1000) * 1000);
      days.add(new Date(Date.parse(dates[0]!)).toISOString().slice(0, 10));
    }
    expect(days.size).toBeGreaterThanOrEqual(14);
    expect([...days].every((d) => d >= summary.window.from.slice(0, 10) && d < summary.window.to.slice(0, 10))).toBe(true);
  });

  it('prints the same figures as the JSON summary', () => {
    const written = JSON.parse(readFileSync(join(dataDir, 'summary.json'), 'utf8')) as RunSummary;
    const lines = printed.split('\n');
    const rowOf = (header: RegExp, id: string) => {
      const start = lines.findIndex((l) => header.test(l));
      expect(start, String(header)).toBeGreaterThan(-1);
      const row = lines.slice(start).find((l) => l.startsWith(`${id} `));
      expect(row, id).toBeDefined();
      return row!;
    };
    const reasons = (text: string) => Object.fromEntries(text ? text.split(', ').map((r) => [r.slice(0, r.lastIndexOf(' ')), Number(r.slice(r.lastIndexOf(' ') + 1))]) : []);
    const top = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 4));
    for (const [id, c] of Object.entries(written.campaigns)) {
      const sends = /^(\S+)\s+(schedule|event)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*(.*)$/.exec(rowOf(/^sends by campaign/, id));
      expect(sends, id).not.toBeNull();
      const [, , trigger, queued, sent, held, skipped, aside, still, opens, clicks, unsub, resub, why] = sends!;
      expect({ trigger, queued: +queued!, sent: +sent!, held: +held!, skipped: +skipped!, aside: +aside!, still: +still!, opens: +opens!, clicks: +clicks!, unsub: +unsub!, resub: +resub! }, id).toEqual({
        trigger: c.trigger,
        queued: c.queued,
        sent: c.sent,
        held: c.heldOut,
        skipped: total(c.skippedAtSend),
        aside: c.setAside,
        still: c.stillQueued,
        opens: c.opens,
        clicks: c.clicks,
        unsub: c.unsubscribes,
        resub: c.resubscribes,
      });
      expect(reasons(why!.trim()), id).toEqual(top(c.skippedAtSend));
      const customers = /^(\S+)\s+(\d+)\s+(\d+)\s*(.*)$/.exec(rowOf(/^customers by campaign/, id));
      expect(customers, id).not.toBeNull();
      expect([+customers![2]!, +customers![3]!], id).toEqual([c.customersConsidered, c.customersMailed]);
      expect(reasons(customers![4]!.trim()), id).toEqual(top(c.notMailed));
    }
    expect(printed).toContain(`emails sent ${written.emailsSent} `);
    const g = written.guarantees;
    expect(printed).toContain(`sends queued ${g.sendsQueued}: sent ${g.sent}, held out (never mailed) ${g.heldOut}, skipped at send ${g.skippedAtSend}, set aside with reason ${g.setAside}, still queued ${g.stillQueued}, unaccounted ${g.unaccounted}; mailed twice: ${g.mailedTwice}`);
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

/** `npm start -- --scenario dirty-list`: the guardrail's story, on a shop just big enough for two complaints on the first live day. */
describe('lifecycle-mailer run --scenario dirty-list', () => {
  let summary: RunSummary;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lm-dirty-'));
    const catalog = await buildCatalog(projectPaths(repoRoot));
    const result = await runJob({ catalog, dataDir, customers: 700, scenario: 'dirty-list', quiet: true, ...SERVED_AS_NPM_START });
    summary = result.summary;
    runtime = result.runtime!;
  }, 420_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  it('pauses all marketing, reports every pause with its reason, and sends nothing held by one (after the 30 s pause cache)', async () => {
    expect(summary.guardrail.pauses.length).toBeGreaterThan(0);
    expect(summary.guardrail.pauses.map((p) => [p.scope, p.status])).toContainEqual([ALL_MARKETING, 'active']);
    expect(summary.guardrail.sendsSkippedPaused).toBeGreaterThan(0);
    await expectPausesReportedAndHeld(summary, runtime);
  });

  it('adds up per campaign, event-triggered sends held by the pause included', () => {
    expectCampaignsAddUp(summary, runtime);
    const welcome = summary.campaigns.welcome!;
    expect(welcome.skippedAtSend.paused).toBeGreaterThan(0);
    expect(welcome.queued).toBe(welcome.sent + welcome.heldOut + welcome.skippedAtSend.paused! + total({ ...welcome.skippedAtSend, paused: 0 }) + welcome.setAside + welcome.stillQueued);
    expect(welcome.notMailed['at-send:paused']).toBeGreaterThan(0);
    expect(summary.guardrail.customersHeldByPause).toBeGreaterThan(0);
  });
});
