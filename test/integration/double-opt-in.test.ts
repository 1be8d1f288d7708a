import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { checkEligibility } from '#domain/campaign-choice.ts';
import { signConfirmToken } from '#signed-links/confirm-token.ts';
import { customerFacts } from '#domain/customer-facts.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { syncOutbox } from '#lib/local/ses-local.ts';
import { launchChromium } from '../support/chromium.ts';

/**
 * Double opt-in end to end, with `consent.doubleOptIn: true`: the ingest, send and
 * unsubscribe functions on dynalite and aws-ses-v2-local, the unsubscribe function on a
 * real local port (the emails' links point at it), and every outcome read back from the
 * customers table, the send ledger and the local SES outbox.
 */
const repoRoot = new URL('../..', import.meta.url).pathname;
const start = '2026-10-01T08:00:00.000Z';
const secret = randomBytes(32).toString('hex');
let runtime: LocalRuntime;
let outbox: string;
const seen = new Set<string>();

const register = (detail: Record<string, unknown>) =>
  runtime.bus.putEvents('shop', [
    {
      Source: SHOP_EVENT_SOURCE,
      DetailType: 'Customer Registered',
      Detail: JSON.stringify({ marketingConsent: true, topics: ['newsletter', 'offers'], registeredAt: runtime.clock.now(), ...detail }),
      Time: new Date(runtime.clock.now()),
    },
  ]);

/** Sends what is queued, then the messages the local SES accepted since the last call, parsed. */
async function newMail(): Promise<ParsedMail[]> {
  await runtime.drainSendQueue();
  await syncOutbox(runtime.services.ses.endpoint, outbox);
  const fresh = readdirSync(outbox).filter((f) => f.endsWith('.eml') && !seen.has(f));
  fresh.forEach((f) => seen.add(f));
  return Promise.all(fresh.map((f) => simpleParser(readFileSync(join(outbox, f)))));
}
const header = (mail: ParsedMail, name: string) => String(mail.headers.get(name) ?? '');
const confirmLink = (mail: ParsedMail) => /Confirm my subscription \[([^\]]+)\]/.exec(mail.text ?? '')?.[1];
const campaign = (id: string) => runtime.catalog.campaigns.find((c) => c.id === id)!;
const form = (fields: string) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields });

beforeAll(async () => {
  outbox = mkdtempSync(join(tmpdir(), 'lm-doi-outbox-'));
  const catalog = await buildCatalog(projectPaths(repoRoot));
  runtime = await LocalRuntime.start({
    catalog: { ...catalog, config: { ...catalog.config, consent: { doubleOptIn: true, confirmLinkDays: 7 } } },
    start,
    serveUnsubscribe: true,
    unsubscribeSecret: secret,
  });
}, 60_000);
afterAll(async () => runtime?.stop());

describe('double opt-in against dynalite and the local SES', () => {
  let link: string;

  it('a sign-up gets exactly one email, the confirmation with its link, even when the registration arrives twice', async () => {
    await register({ customerId: 'd1', email: 'd1@example.com', firstName: 'Dana' });
    await register({ customerId: 'd1', email: 'd1@example.com', firstName: 'Dana' }); // a re-published registration
    const mails = await newMail();
    expect(mails).toHaveLength(1);
    const [mail] = mails as [ParsedMail];
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('d1@example.com');
    expect(header(mail, 'x-campaign-id')).toBe('confirm-subscription');
    link = confirmLink(mail)!;
    expect(link.startsWith(`${runtime.unsubscribeServer!.url}?confirm=`)).toBe(true);
    expect(mail.html).toContain('Confirm my subscription');
    expect(Buffer.from(new URL(link).searchParams.get('confirm')!.split('.')[0]!, 'base64url').toString()).not.toContain('@');

    const profile = await runtime.customers.get('d1');
    expect(profile?.consent).toMatchObject({ marketing: false, pending: { requestedAt: start, topics: ['newsletter', 'offers'] } });
    expect(profile?.campaignsSent).toEqual({ 'confirm-subscription': start });
  });

  it('sends no marketing email before confirmation: the registration enters no welcome series', async () => {
    await runtime.drainSendQueue();
    expect(await newMail()).toHaveLength(0);
    expect(await runtime.journeys.entries.get('d1', 'welcome-series')).toBeUndefined();
    // Both deliveries of the registration were refused: no consent yet.
    expect(runtime.journeys.tally.figures('welcome-series').refused.get('no-consent')).toBe(2);
  });

  it('a GET of the link (a mail scanner, or the customer opening it) changes nothing', async () => {
    const before = await runtime.customers.get('d1');
    const response = await fetch(link);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<button type="submit" name="action" value="confirm" class="primary">Confirm my subscription</button>');
    expect(html).not.toContain('@');
    expect(await runtime.customers.get('d1')).toEqual(before);
  });

  it('the POST of its button confirms, with proof; confirming twice is fine', async () => {
    runtime.clock.set('2026-10-01T09:15:00.000Z');
    const response = await fetch(link, form('action=confirm'));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Your subscription is confirmed');
    const confirmed = await runtime.customers.get('d1');
    expect(confirmed?.consent).toEqual({
      marketing: true,
      topics: ['newsletter', 'offers'],
      unsubscribedTopics: [],
      updatedAt: '2026-10-01T09:15:00.000Z',
      confirmed: { method: 'double-opt-in', requestedAt: start, confirmedAt: '2026-10-01T09:15:00.000Z' },
    });
    const again = await fetch(link, form('action=confirm'));
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('You are already subscribed');
    expect(await runtime.customers.get('d1')).toEqual(confirmed);
  });

  it('confirming entered the welcome series: its welcome goes out once, with no confirm link', async () => {
    const profile = (await runtime.customers.get('d1'))!;
    const now = runtime.clock.now();
    expect(checkEligibility(campaign('confirm-subscription'), profile, customerFacts(profile, now), now, runtime.catalog.config.frequency)).toMatchObject({ eligible: false });
    // Nothing enqueued by the test: the confirming POST queued it (and the repeated POST did not).
    const mails = await newMail();
    expect(mails.map((m) => header(m, 'x-campaign-id'))).toEqual(['welcome']);
    const sendId = 'welcome_welcome-series-1-steps0_d1'; // the journey step's ledger key: journey, entry, step
    expect(header(mails[0]!, 'x-send-id')).toBe(sendId);
    expect(mails[0]!.text).not.toContain('confirm=');
    expect((await runtime.customers.get('d1'))?.campaignsSent.welcome).toBe(now);
    expect((await runtime.ledger.get(sendId))?.status).toBe('sent');
    // The repeated POST entered no second series and queued no second welcome.
    expect(runtime.outcomesBySendId.get(sendId)).toEqual(['sent']);
    expect((await runtime.journeys.entries.get('d1', 'welcome-series'))?.entryNumber).toBe(1);
  });

  it('refuses tampered confirm tokens, unsubscribe tokens, unknown customers and a POST without the button; nothing changes', async () => {
    await register({ customerId: 'd2', email: 'd2@example.com' });
    const [mail] = (await newMail()) as [ParsedMail];
    const own = new URL(confirmLink(mail)!);
    const token = own.searchParams.get('confirm')!;
    const listUnsubscribe = mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '';
    const unsubscribeToken = /[?&]token=([^>&]+)/.exec(listUnsubscribe)![1]!;
    const before = await runtime.customers.get('d2');
    const d1 = await runtime.customers.get('d1');
    const [payload, signature = ''] = token.split('.');
    const url = (query: string) => `${runtime.unsubscribeServer!.url}?${query}`;
    const cases: [string, number][] = [
      [url(`confirm=${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`), 400], // signature changed
      [url(`confirm=${Buffer.from(JSON.stringify(['d1', 'confirm', 4_102_444_800])).toString('base64url')}.${signature}`), 400], // payload changed
      [url(`confirm=${unsubscribeToken}`), 400], // an unsubscribe token is no confirmation
      [url(`confirm=${signConfirmToken({ customerId: 'ghost', expiresAt: Math.floor(runtime.clock.epochMs / 1000) + 3600 }, secret)}`), 404],
    ];
    for (const [target, status] of cases) {
      const response = await fetch(target, form('action=confirm'));
      expect(response.status, target).toBe(status);
      expect((await fetch(target)).status, target).toBe(status);
    }
    expect((await fetch(own, form('List-Unsubscribe=One-Click'))).status).toBe(400);
    // ...and a confirmation token is no unsubscribe token.
    expect((await fetch(url(`token=${token}`), form('List-Unsubscribe=One-Click'))).status).toBe(400);
    expect(await runtime.customers.get('d2')).toEqual(before);
    expect(await runtime.customers.get('d1')).toEqual(d1);
    expect(await runtime.customers.get('ghost')).toBeUndefined();
    expect(await newMail()).toHaveLength(0);
  });
});

describe('confirmation page in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => browser?.close());

  it('lets a French customer confirm with the button, by keyboard', async () => {
    await register({ customerId: 'd3', email: 'd3@example.com', firstName: 'Zoé <3', locale: 'fr-FR', topics: ['offers'] });
    const [mail] = (await newMail()) as [ParsedMail];
    const context = await browser.newContext({ locale: 'fr-FR' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text())); // e.g. a CSP violation
    try {
      await page.goto(confirmLink(mail)!);
      await expect(page.locator('html').getAttribute('lang')).resolves.toBe('fr');
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Confirmez votre abonnement');
      await expect(page.getByText('Bonjour Zoé <3,').count()).resolves.toBe(1);
      await expect(page.getByRole('listitem').allTextContents()).resolves.toEqual(['Offres']);
      await expect(page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth")).resolves.not.toBe('none');
      expect((await runtime.customers.get('d3'))?.consent.marketing).toBe(false); // loading the page changed nothing

      const button = page.getByRole('button', { name: 'Confirmer mon abonnement' });
      await button.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Votre abonnement est confirmé' }).waitFor();
      await expect(page.getByRole('status').textContent()).resolves.toContain('Merci');
      const consent = (await runtime.customers.get('d3'))?.consent;
      expect(consent).toMatchObject({ marketing: true, topics: ['offers'], confirmed: { method: 'double-opt-in' } });
      expect(consent).not.toHaveProperty('pending');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 30_000);
});

describe('an expired confirmation link', () => {
  it('gets 410 and changes nothing', async () => {
    await register({ customerId: 'd4', email: 'd4@example.com' });
    const [mail] = (await newMail()) as [ParsedMail];
    const before = await runtime.customers.get('d4');
    runtime.clock.set(Date.parse(runtime.clock.now()) + 8 * 86_400_000); // confirmLinkDays is 7
    const response = await fetch(confirmLink(mail)!, form('action=confirm'));
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('invalid or has expired');
    expect(await runtime.customers.get('d4')).toEqual(before);
    expect(before?.consent.pending).toBeDefined();
  });
});
