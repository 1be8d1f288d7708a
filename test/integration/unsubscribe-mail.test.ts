/**
 * The List-Unsubscribe `mailto:`: a real mail (test/fixtures/unsubscribe-mail/*.eml) as the
 * SES receipt rule's Lambda action hands it over, through the unsubscribe-mail handler, against
 * dynalite. It unsubscribes exactly as the one-click POST of the same token does.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { signUnsubscribeToken } from '#signed-links/unsubscribe-token.ts';
import { createUnsubscribeMailHandler } from '../../functions/unsubscribe-mail/handler.ts';
import { tokenFromSubject } from '../../functions/unsubscribe-mail/unsubscribe-by-mail.ts';
import { catalogTopics } from '../../functions/unsubscribe/unsubscribe.ts';
import { sesReceiptEventFromEml } from '../support/ses-receipt-event.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(repoRoot, 'test/fixtures/unsubscribe-mail');
/** The key the fixture's token was signed with (see the fixtures' README). */
const FIXTURE_KEY = 'fixture-signing-key-for-the-unsubscribe-mail-test';
const mailbox = 'unsubscribe@mailer.shop.example.com';
let runtime: LocalRuntime;
let handle: ReturnType<typeof createUnsubscribeMailHandler>;

beforeAll(async () => {
  runtime = await LocalRuntime.start({ catalog: await buildCatalog(projectPaths(repoRoot)), start: '2026-10-06T09:00:00.000Z' });
  for (const customerId of ['mail-c1', 'mail-c2']) {
    const detail = { customerId, email: `${customerId}@example.net`, marketingConsent: true, topics: ['newsletter', 'offers'], registeredAt: runtime.clock.now() };
    await runtime.bus.putEvents('shop', [{ Source: SHOP_EVENT_SOURCE, DetailType: 'Customer Registered', Detail: JSON.stringify(detail), Time: new Date(runtime.clock.now()) }]);
  }
  handle = createUnsubscribeMailHandler({
    customers: runtime.customers,
    ledger: runtime.ledger,
    clock: runtime.clock,
    logger: new Logger({ logLevel: 'SILENT' }),
    // Rotated since the fixture was mailed: its key is now the previous one.
    secret: { current: 'n'.repeat(48), previous: FIXTURE_KEY },
    topics: catalogTopics(runtime.catalog),
    onConfirmed: { campaigns: [], config: runtime.catalog.config, sendQueue: { enqueue: () => Promise.reject(new Error('unused')) }, failedEvents: runtime.failedEvents },
  });
}, 60_000);
afterAll(async () => runtime?.stop());

describe('unsubscribe by mail (SES receipt rule → Lambda)', () => {
  it('a mail client\'s "unsubscribe <token>" mail unsubscribes that topic, once; a repeat changes nothing', async () => {
    const event = await sesReceiptEventFromEml(join(fixtures, 'unsubscribe-request.eml'), { messageId: 'ses-in-1', recipient: mailbox });
    expect(event.Records[0]!.ses.mail.commonHeaders.subject).toMatch(/^unsubscribe \S+\.\S+$/);
    expect(await handle(event)).toEqual([{ messageId: 'ses-in-1', outcome: 'unsubscribed' }]);
    const profile = await runtime.customers.get('mail-c1');
    expect(profile?.consent.unsubscribedTopics).toEqual(['newsletter']);
    expect(profile?.consent.marketing).toBe(true); // one topic, as the one-click link does

    expect(await handle(event)).toEqual([{ messageId: 'ses-in-1', outcome: 'unsubscribed' }]);
    expect((await runtime.customers.get('mail-c1'))?.version).toBe(profile?.version);
  });

  it('a mail without a token (a person writing to the address) is ignored', async () => {
    const event = await sesReceiptEventFromEml(join(fixtures, 'no-token.eml'), { messageId: 'ses-in-2', recipient: mailbox });
    expect(event.Records[0]!.ses.mail.commonHeaders.subject).toBe('Question about my order – where is it?');
    expect(await handle(event)).toEqual([{ messageId: 'ses-in-2', outcome: 'ignored' }]);
  });

  it('a forged token is refused and changes nothing', async () => {
    const before = await runtime.customers.get('mail-c2');
    const forged = signUnsubscribeToken({ customerId: 'mail-c2', topic: 'offers', expiresAt: 4102444800 }, 'x'.repeat(48));
    const event = await sesReceiptEventFromEml(join(fixtures, 'unsubscribe-request.eml'), { messageId: 'ses-in-3', recipient: mailbox });
    event.Records[0]!.ses.mail.commonHeaders.subject = `Re: unsubscribe ${forged}`;
    expect(await handle(event)).toEqual([{ messageId: 'ses-in-3', outcome: 'refused', status: 400 }]);
    expect(await runtime.customers.get('mail-c2')).toEqual(before);
  });

  it('an event that is not an SES receipt is dropped without a throw (SES would only retry it)', async () => {
    expect(await handle({ Records: [{ eventSource: 'aws:sqs' }] })).toEqual([]);
    expect(tokenFromSubject('RE: Unsubscribe abc.def (sent from my phone)')).toBe('abc.def');
    expect(tokenFromSubject(undefined)).toBeUndefined();
  });
});
