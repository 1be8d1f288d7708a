/**
 * The deliverability guardrail end to end against dynalite and aws-ses-v2-local: real sends
 * counted per sending day, SES bounce and complaint events through the engagement handler,
 * pauses read back from the table, sends held back, and the explicit resume (the library
 * function the CLI uses, and the CLI itself on the data dir).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { campaignsWithoutJourneys } from '../support/campaigns-without-journeys.ts';
import { PAUSE_CACHE_MS } from '#adapters/pause-gate.ts';
import { Campaign } from '#domain/campaign.ts';
import type { Catalog } from '#domain/catalog.ts';
import { ALL_MARKETING, campaignScope, PauseRecord } from '#domain/deliverability-guardrail.ts';
import { buildSendRequest, sendIdOf } from '#domain/send-request.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { type OpenStore, openDeliverabilityStore, PauseCommandError, resolveScope, resumePause } from '#cli/pause-commands.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const D = '2026-10-05';
const D1 = '2026-10-06';
const MIN_SENDS = 50;
let runtime: LocalRuntime;
let catalog: Catalog;
let dataDir: string;
let open: OpenStore;

const storeCount = async () => ((await (await fetch(`${runtime.services.ses.endpoint}/store`)).json()) as { emails: unknown[] }).emails.length;
const welcome = () => catalog.campaigns.find((c) => c.id === 'welcome')!;
const digest = () => catalog.campaigns.find((c) => c.id === 'digest')!;

async function register(ids: string[]): Promise<void> {
  for (const id of ids) {
    const detail = { customerId: id, email: `${id}@example.com`, marketingConsent: true, topics: ['newsletter'], registeredAt: runtime.clock.now() };
    await runtime.bus.putEvents('shop', [{ Source: SHOP_EVENT_SOURCE, DetailType: 'Customer Registered', Detail: JSON.stringify(detail), Time: new Date(runtime.clock.now()) }]);
  }
}

/** The SES event for a message the pipeline sent, as the configuration set publishes it. */
async function sesEvent(campaignId: string, customerId: string, kind: 'hard-bounce' | 'soft-bounce' | 'complaint', eventId: string) {
  const sendId = sendIdOf(campaignId, 'once', customerId); // both test campaigns are once-only
  const entry = await runtime.ledger.get(sendId);
  if (!entry?.messageId || !entry.sentAt) throw new Error(`no sent ledger entry ${sendId}`);
  const mail = { timestamp: entry.sentAt, messageId: entry.messageId, destination: [`${customerId}@example.com`], tags: { campaign: [campaignId], customer: [customerId], send: [sendId] } };
  const at = runtime.clock.now();
  const detail =
    kind === 'complaint'
      ? { eventType: 'Complaint', mail, complaint: { timestamp: at, complaintFeedbackType: 'abuse' } }
      : { eventType: 'Bounce', mail, bounce: { bounceType: kind === 'hard-bounce' ? 'Permanent' : 'Transient', bounceSubType: kind === 'hard-bounce' ? 'General' : 'MailboxFull', timestamp: at } };
  return { version: '0', id: eventId, source: 'aws.ses', 'detail-type': kind === 'complaint' ? 'Email Complaint Received' : 'Email Bounced', time: at, detail };
}

const deliver = async (event: unknown) => runtime.bus.deliver('default', event);
const pause = (scope: string) => runtime.deliverability.getPause(scope);
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);
/** The send function trusts a read pause status for PAUSE_CACHE_MS of its clock. */
const pastPauseCache = () => runtime.clock.set(runtime.clock.epochMs + PAUSE_CACHE_MS + 1000);

beforeAll(async () => {
  const base = campaignsWithoutJourneys(await buildCatalog(projectPaths(repoRoot)));
  const welcomeCampaign = base.campaigns.find((c) => c.id === 'welcome')!;
  // A second marketing campaign for the same customers, so that one campaign's rates and the whole day's differ.
  const digestCampaign = Campaign.parse({ ...welcomeCampaign, id: 'digest', name: 'Test digest', trigger: { type: 'schedule', cron: '0 9 * * *' }, variants: [] });
  catalog = {
    ...base,
    campaigns: [...base.campaigns, digestCampaign],
    config: { ...base.config, frequency: { ...base.config.frequency, minHoursBetweenMarketing: 0, maxPerWindow: 100 }, guardrail: { ...base.config.guardrail, minSends: MIN_SENDS, minEvents: 1 } },
  };
  dataDir = mkdtempSync(join(tmpdir(), 'lm-guardrail-'));
  runtime = await LocalRuntime.start({ catalog, start: `${D}T08:00:00.000Z`, dataDir });
  open = { store: runtime.deliverability, where: 'test', close: async () => undefined };
}, 60_000);
let stopped = false;
afterAll(async () => {
  if (!stopped) await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('deliverability guardrail against dynalite', () => {
  beforeEach(async () => {
    await fetch(`${runtime.services.ses.endpoint}/clear-store`, { method: 'POST' });
  });

  it('counts every accepted send on its campaign and on the day', async () => {
    const customers = ids('g', 60);
    await register(customers); // each registration queues the welcome email
    await runtime.sendQueue.enqueue(customers.map((c) => buildSendRequest(digest(), c, runtime.clock.now(), 'schedule')));
    await runtime.drainSendQueue();
    expect(await storeCount()).toBe(120);
    const counters = await runtime.deliverability.dayCounters(D, 'welcome');
    expect(counters.campaign).toMatchObject({ sends: 60, hardBounces: 0, complaints: 0 });
    expect(counters.all).toMatchObject({ sends: 120 });
    expect((await runtime.deliverability.dayCounters(D, 'digest')).campaign).toMatchObject({ sends: 60 });
    // One item for the day holds the day's counters and each campaign's (a send is one write, a judgement one read).
    const { Items = [] } = await runtime.db.send(new ScanCommand({ TableName: runtime.tables.deliverability, ConsistentRead: true }));
    expect(Items.filter((i) => String(i.id).startsWith('day#'))).toEqual([expect.objectContaining({ id: `day#${D}#all`, sends: 120, 'campaign#welcome#sends': 60, 'campaign#digest#sends': 60 })]);
  });

  it("pauses a campaign on its own day's hard-bounce rate, with the reason and the numbers; a redelivered event counts once", async () => {
    runtime.clock.set(`${D}T10:00:00.000Z`);
    await deliver(await sesEvent('welcome', 'g001', 'soft-bounce', 'soft-1')); // counted, not judged
    await deliver(await sesEvent('welcome', 'g002', 'hard-bounce', 'hb-1'));
    await deliver(await sesEvent('welcome', 'g002', 'hard-bounce', 'hb-1')); // EventBridge delivers at least once
    await deliver(await sesEvent('welcome', 'g003', 'hard-bounce', 'hb-2'));
    expect(await pause(campaignScope('welcome'))).toBeUndefined(); // 2 of 60 = 3.33%
    await deliver(await sesEvent('welcome', 'g004', 'hard-bounce', 'hb-3'));

    const counters = await runtime.deliverability.dayCounters(D, 'welcome');
    expect(counters.campaign).toMatchObject({ sends: 60, hardBounces: 3, softBounces: 1 });
    expect(counters.all).toMatchObject({ sends: 120, hardBounces: 3, softBounces: 1 });
    const record = PauseRecord.parse(await pause(campaignScope('welcome')));
    expect(record).toMatchObject({
      scope: 'campaign#welcome',
      status: 'active',
      day: D,
      reason: `hard-bounce rate 5.00% (3 of 60 sends on ${D}) ≥ 4.00%`,
      pausedAt: `${D}T10:00:00.000Z`,
      numbers: { sends: 60, hardBounces: 3, softBounces: 1, complaints: 0, bounceRate: 0.05 },
      history: [],
    });
    // The whole day (3 of 120 = 2.5%) is still below the threshold: marketing goes on.
    expect(await pause(ALL_MARKETING)).toBeUndefined();
    // The hard bounce also suppressed the address, as before.
    expect((await runtime.customers.get('g004'))?.suppression?.reason).toBe('hard-bounce');
  });

  it('escalates to all marketing when the whole day crosses, though no other campaign crossed on its own', async () => {
    runtime.clock.set(`${D}T11:00:00.000Z`);
    await deliver(await sesEvent('digest', 'g010', 'hard-bounce', 'hb-4'));
    await deliver(await sesEvent('digest', 'g011', 'hard-bounce', 'hb-5')); // digest 2 of 60 = 3.33%; the day 5 of 120 = 4.17%
    expect(await pause(campaignScope('digest'))).toBeUndefined();
    expect(await pause(ALL_MARKETING)).toMatchObject({
      status: 'active',
      day: D,
      reason: `all campaigns: hard-bounce rate 4.17% (5 of 120 sends on ${D}) ≥ 4.00%`,
      numbers: { sends: 120, hardBounces: 5 },
    });
  });

  it("skips sends of a paused campaign with reason 'paused', sends nothing to SES, and gives the period back", async () => {
    pastPauseCache();
    const skipsBefore = runtime.sendSkips.get('welcome|paused') ?? 0;
    await register(['late-1']); // queues welcome: paused on its own
    const request = buildSendRequest(digest(), 'late-1', runtime.clock.now(), 'schedule');
    await runtime.sendQueue.enqueue([request]); // digest: held by the all-marketing pause
    await runtime.drainSendQueue();
    expect(await storeCount()).toBe(0);
    expect(runtime.sendSkips.get('welcome|paused')).toBe(skipsBefore + 1);
    expect(runtime.sendSkips.get('digest|paused')).toBe(1);
    expect(await runtime.ledger.get(request.sendId)).toBeUndefined();
    expect(await runtime.ledger.get(sendIdOf('welcome', 'once', 'late-1'))).toBeUndefined();
    expect((await runtime.deliverability.dayCounters(D, 'digest')).campaign?.sends).toBe(60);
  });

  it("does not queue a paused campaign in a scheduled run, and reports the customers as skipped 'paused'", async () => {
    const report = await runtime.fireSchedule({ recompute: false, campaignIds: ['digest'] });
    expect(report?.campaigns.digest).toMatchObject({ queued: 0 });
    expect(report?.campaigns.digest?.skipped.paused).toBeGreaterThan(0);
  });

  it('resume (the function the CLI runs) clears the pause, keeps why it was paused and records who, when and why', async () => {
    runtime.clock.set(`${D}T12:00:00.000Z`);
    const scope = await resolveScope(open, { campaignId: 'welcome' }, catalog.campaigns.map((c) => c.id));
    await resumePause(open, scope, { by: 'ops@test', reason: 'bad import removed', now: `${D}T12:00:00.000Z` });
    await resumePause(open, ALL_MARKETING, { by: 'ops@test', reason: 'list cleaned', now: `${D}T12:00:00.000Z` });
    const record = await pause(campaignScope('welcome'));
    expect(record).toMatchObject({
      status: 'resumed',
      day: D,
      reason: `hard-bounce rate 5.00% (3 of 60 sends on ${D}) ≥ 4.00%`,
      resumedAt: `${D}T12:00:00.000Z`,
      resumedBy: 'ops@test',
      resumedReason: 'bad import removed',
      rearmsAfter: D,
    });
    await expect(resumePause(open, scope, { by: 'ops@test', reason: 'again', now: `${D}T12:01:00.000Z` })).rejects.toThrow(PauseCommandError);
    await expect(resumePause(open, scope, { by: 'ops@test', reason: 'again', now: `${D}T12:01:00.000Z` })).rejects.toThrow(/campaign welcome is not paused/);
    await expect(resolveScope(open, { campaignId: 'no-such-campaign' }, catalog.campaigns.map((c) => c.id))).rejects.toThrow(/unknown campaign 'no-such-campaign'/);
    await expect(resolveScope(open, { campaignId: 'digest' }, catalog.campaigns.map((c) => c.id)).then((s) => resumePause(open, s, { by: 'x', reason: 'y', now: `${D}T12:00:00.000Z` }))).rejects.toThrow(/never been paused/);

    // Sending goes on at once (after the send function's pause cache).
    pastPauseCache();
    await register(['late-2']);
    await runtime.drainSendQueue();
    expect(await storeCount()).toBe(1);
  });

  it('does not pause again on the numbers of the day it was resumed on, however they grow', async () => {
    await deliver(await sesEvent('welcome', 'g020', 'hard-bounce', 'hb-6'));
    await deliver(await sesEvent('welcome', 'g021', 'complaint', 'c-1'));
    expect((await runtime.deliverability.dayCounters(D, 'welcome')).campaign).toMatchObject({ sends: 61, hardBounces: 4, complaints: 1 });
    expect(await pause(campaignScope('welcome'))).toMatchObject({ status: 'resumed', history: [] });
    expect(await pause(ALL_MARKETING)).toMatchObject({ status: 'resumed', history: [] });
  });

  it('re-arms the next sending day: a crossing then pauses again, and the earlier pause stays in the history', async () => {
    runtime.clock.set(`${D1}T09:00:00.000Z`);
    const customers = ids('h', MIN_SENDS);
    await register(customers);
    await runtime.drainSendQueue();
    expect((await runtime.deliverability.dayCounters(D1, 'welcome')).campaign?.sends).toBe(MIN_SENDS);
    runtime.clock.set(`${D1}T10:00:00.000Z`);
    await deliver(await sesEvent('welcome', 'h001', 'complaint', 'c-2'));
    const record = await pause(campaignScope('welcome'));
    expect(record).toMatchObject({ status: 'active', day: D1, reason: `complaint rate 2.00% (1 of 50 sends on ${D1}) ≥ 0.08%`, version: 3 });
    expect(record?.resumedAt).toBeUndefined();
    expect(record?.history).toEqual([expect.objectContaining({ day: D, reason: `hard-bounce rate 5.00% (3 of 60 sends on ${D}) ≥ 4.00%`, resumedBy: 'ops@test', resumedReason: 'bad import removed' })]);
    expect(await pause(ALL_MARKETING)).toMatchObject({ status: 'active', day: D1, history: [expect.objectContaining({ day: D, resumedReason: 'list cleaned' })] });
  });
});

describe('the lifecycle-mailer CLI on the data dir', () => {
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, [join(repoRoot, 'bin/lifecycle-mailer.js'), ...args, '--data-dir', dataDir], { cwd: repoRoot }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    await runtime.stop(); // dynalite holds the LevelDB files; the CLI opens them itself
    stopped = true;
  });

  it('resume --all-marketing records the reason; resuming it again exits 2 with why', async () => {
    const resumed = await cli('resume', '--all-marketing', '--reason', 'complaint investigated', '--by', 'cli-test');
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^resumed all marketing/);
    expect(resumed.stdout).toContain(`day ${D1}`);

    const again = await cli('resume', '--all-marketing', '--reason', 'again');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/all marketing is not paused/);

    // Read back from the table the CLI wrote.
    const reopened = await openDeliverabilityStore({ dataDir });
    try {
      const record = await reopened.store.getPause(ALL_MARKETING);
      expect(record).toMatchObject({ status: 'resumed', resumedBy: 'cli-test', resumedReason: 'complaint investigated', day: D1, history: [expect.objectContaining({ day: D })] });
      expect(await reopened.store.getPause(campaignScope('welcome'))).toMatchObject({ status: 'active' });
    } finally {
      await reopened.close();
    }
  }, 60_000);
});
