/**
 * SES account-level refusals against dynalite and aws-ses-v2-local: the error comes from the
 * SES client (middleware shaped like the SDK's own errors), the rest is the real send path.
 * Such an error pauses all marketing with the reason and gives the claim back; it never marks
 * the send skipped for its period, so once resumed the customer still gets it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { campaignsWithoutJourneys } from '../support/campaigns-without-journeys.ts';
import { PAUSE_CACHE_MS } from '#adapters/pause-gate.ts';
import { ALL_MARKETING, PauseRecord, resumedRecord } from '#domain/deliverability-guardrail.ts';
import { sendIdOf } from '#domain/send-request.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const start = '2026-10-07T10:00:00.000Z';
let runtime: LocalRuntime;
/** The SES error every SendEmail call gets while set. */
let refusal: { name: string; message: string } | undefined;

const outbox = async () => ((await (await fetch(`${runtime.services.ses.endpoint}/store`)).json()) as { emails: { destination: { to: string[] } }[] }).emails;
const mailsTo = async (customerId: string) => (await outbox()).filter((m) => m.destination.to.includes(`${customerId}@example.com`)).length;
const register = (customerId: string) =>
  runtime.bus.putEvents('shop', [
    {
      Source: SHOP_EVENT_SOURCE,
      DetailType: 'Customer Registered',
      Detail: JSON.stringify({ customerId, email: `${customerId}@example.com`, marketingConsent: true, topics: ['newsletter'], registeredAt: runtime.clock.now() }),
      Time: new Date(runtime.clock.now()),
    },
  ]);
/** Runs the queue past its visibility timeout (and the send function's pause cache) until nothing is waiting. */
async function drainWithRetries(): Promise<void> {
  await runtime.drainSendQueue();
  for (let next = runtime.sendQueue.nextVisibleAt(); next !== undefined; next = runtime.sendQueue.nextVisibleAt()) {
    runtime.clock.set(Math.max(next, runtime.clock.epochMs) + PAUSE_CACHE_MS);
    await runtime.drainSendQueue();
  }
}

beforeAll(async () => {
  runtime = await LocalRuntime.start({ catalog: campaignsWithoutJourneys(await buildCatalog(projectPaths(repoRoot))), start });
  runtime.ses.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendEmailCommand' || !refusal) return next(args);
      throw Object.assign(new Error(refusal.message), { name: refusal.name, $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 1 } });
    },
    { step: 'initialize', name: 'accountRefusal', priority: 'high' },
  );
}, 60_000);
afterAll(async () => runtime?.stop());

describe('an SES account-level error pauses instead of skipping', () => {
  it.each([
    ['AccountSuspendedException', 'Your account has been suspended.'],
    ['SendingPausedException', 'Sending is paused for this account.'],
    ['MailFromDomainNotVerifiedException', 'The MAIL FROM domain mail.shop.example.com is not verified.'],
    ['NotFoundException', 'Configuration set <lifecycle-marketing> does not exist.'],
  ])('%s: all marketing paused with the reason, the claim given back, then sent once after the resume', async (name, message) => {
    const customerId = `acct-${name.slice(0, 8).toLowerCase()}`;
    const sendId = sendIdOf('welcome', 'once', customerId);
    refusal = { name, message };
    await register(customerId);
    await drainWithRetries();

    expect(await mailsTo(customerId)).toBe(0);
    const pause = PauseRecord.parse(await runtime.deliverability.getPause(ALL_MARKETING));
    expect(pause).toMatchObject({ status: 'active', cause: 'ses-account' });
    expect(pause.reason).toContain(`${name}: ${message}`);
    expect(pause.numbers).toBeUndefined();
    // Never marked skipped (or rejected) for its period: the ledger holds nothing for it.
    expect(await runtime.ledger.get(sendId)).toBeUndefined();
    expect((await runtime.failedEvents.list()).filter((f) => f.payload.includes(sendId))).toEqual([]);
    expect(runtime.outcomesBySendId.get(sendId)).toEqual(['error:SystemicSendError', 'skipped']);
    expect(runtime.sendSkips.get('welcome|paused')).toBeGreaterThanOrEqual(1);
    expect((await runtime.customers.get(customerId))?.cappedSends ?? []).toEqual([]);

    // Fixed and resumed: the customer's welcome still goes, once.
    refusal = undefined;
    await runtime.deliverability.putPause(resumedRecord(pause, ALL_MARKETING, { by: 'test', reason: 'account fixed', now: runtime.clock.now() }));
    runtime.clock.set(runtime.clock.epochMs + PAUSE_CACHE_MS + 1000);
    await register(customerId); // a redelivered registration queues it again (ingest re-queues on a duplicate)
    await drainWithRetries();
    expect(await mailsTo(customerId)).toBe(1);
    expect((await runtime.ledger.get(sendId))?.status).toBe('sent');
    expect(runtime.access.violations).toEqual([]); // every call was one the function is granted in AWS
  });

  it('a NotFoundException about something other than the configuration set is a rejection of the message, not a pause', async () => {
    runtime.clock.set(runtime.clock.epochMs + PAUSE_CACHE_MS + 1000);
    refusal = { name: 'NotFoundException', message: 'Contact list <x> does not exist.' };
    const before = await runtime.deliverability.getPause(ALL_MARKETING);
    await register('acct-other');
    await drainWithRetries();
    refusal = undefined;
    expect((await runtime.ledger.get(sendIdOf('welcome', 'once', 'acct-other')))?.status).toBe('skipped');
    expect((await runtime.deliverability.getPause(ALL_MARKETING))?.version).toBe(before?.version);
  });
});
