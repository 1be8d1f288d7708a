import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { recordSend } from '#domain/customer-sends.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { signUnsubscribeToken } from '#signed-links/unsubscribe-token.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { startUnsubscribeServer, type UnsubscribeServer } from '#lib/local/unsubscribe-server.ts';
import { createUnsubscribeHandler } from '../../functions/unsubscribe/handler.ts';
import { catalogTopics } from '../../functions/unsubscribe/unsubscribe.ts';
import { launchChromium } from '../support/chromium.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const start = '2026-10-01T08:00:00.000Z';
const secret = randomBytes(32).toString('hex');
let runtime: LocalRuntime;
let server: UnsubscribeServer;

const register = (detail: Record<string, unknown>) =>
  runtime.bus.putEvents('shop', [
    { Source: SHOP_EVENT_SOURCE, DetailType: 'Customer Registered', Detail: JSON.stringify({ marketingConsent: true, registeredAt: start, ...detail }), Time: new Date(runtime.clock.now()) },
  ]);
const nowSeconds = () => Math.floor(runtime.clock.epochMs / 1000);
const tokenFor = (customerId: string, topic: string, expiresAt = nowSeconds() + 86_400) => signUnsubscribeToken({ customerId, topic, expiresAt }, secret);
const oneClick = (token: string) =>
  fetch(`${server.url}?token=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });

beforeAll(async () => {
  runtime = await LocalRuntime.start({ catalog: await buildCatalog(projectPaths(repoRoot)), start });
  const handler = createUnsubscribeHandler({
    customers: runtime.customers,
    ledger: runtime.ledger,
    clock: runtime.clock,
    logger: new Logger({ serviceName: 'lifecycle-mailer', logLevel: 'SILENT' }),
    secret,
    topics: catalogTopics(runtime.catalog),
    onConfirmed: { campaigns: runtime.catalog.campaigns, config: runtime.catalog.config, sendQueue: runtime.sendQueue, failedEvents: runtime.failedEvents },
  });
  server = await startUnsubscribeServer({ port: 0, handler });
  await register({ customerId: 'u1', email: 'u1@example.com', topics: ['newsletter', 'offers'] });
  await register({ customerId: 'u2', email: 'u2@example.com', locale: 'de-DE', firstName: 'Jürgen <3', topics: [] });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await runtime?.stop();
});

describe('unsubscribe endpoint against dynalite', () => {
  it('serves at a loopback /unsubscribe URL', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/unsubscribe$/);
    expect((await fetch(new URL('/elsewhere', server.url))).status).toBe(404);
  });

  it('GET shows the page and changes nothing', async () => {
    const before = await runtime.customers.get('u1');
    const response = await fetch(`${server.url}?token=${tokenFor('u1', 'newsletter')}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<html lang="en"');
    expect(html).not.toContain('@');
    expect(await runtime.customers.get('u1')).toEqual(before);
  });

  it('one-click POST unsubscribes the topic, once', async () => {
    const token = tokenFor('u1', 'newsletter');
    expect((await oneClick(token)).status).toBe(200);
    const after = await runtime.customers.get('u1');
    expect(after?.consent).toMatchObject({ marketing: true, unsubscribedTopics: ['newsletter'], updatedAt: runtime.clock.now() });
    expect((await oneClick(token)).status).toBe(200);
    expect(await runtime.customers.get('u1')).toEqual(after);
  });

  it('counts the unsubscribe on the ledger entry of the send whose link was used', async () => {
    await register({ customerId: 'u5', email: 'u5@example.com', topics: ['offers'] });
    const campaign = runtime.catalog.campaigns.find((c) => c.audience.topic === 'offers')!;
    const request = buildSendRequest(campaign, 'u5', runtime.clock.now(), 'schedule');
    await runtime.ledger.claim(request, runtime.clock.now());
    await runtime.ledger.markSent(request.sendId, 'm-u5', runtime.clock.now());
    expect(await runtime.ledger.get(request.sendId)).toMatchObject({ unsubscribed: false });
    const link = signUnsubscribeToken({ customerId: 'u5', topic: 'offers', expiresAt: nowSeconds() + 86_400, sendId: request.sendId }, secret);
    expect((await oneClick(link)).status).toBe(200);
    expect(await runtime.ledger.get(request.sendId)).toMatchObject({ unsubscribed: true, unsubscribedAt: runtime.clock.now() });
  });

  it('refuses tampered tokens and leaves the profile alone', async () => {
    const before = await runtime.customers.get('u1');
    const [, signature] = tokenFor('u1', 'offers').split('.');
    const otherCustomer = `${Buffer.from(JSON.stringify(['u2', 'offers', nowSeconds() + 86_400])).toString('base64url')}.${signature}`;
    const wrongSecret = signUnsubscribeToken({ customerId: 'u1', topic: 'offers', expiresAt: nowSeconds() + 86_400 }, 'x'.repeat(64));
    for (const token of [otherCustomer, wrongSecret, 'not-a-token']) {
      const response = await oneClick(token);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('invalid or has expired');
    }
    expect(await runtime.customers.get('u1')).toEqual(before);
    expect((await runtime.customers.get('u2'))?.consent).toMatchObject({ marketing: true, unsubscribedTopics: [] });
  });

  it('an expired, correctly signed one-click POST still unsubscribes; it can no longer subscribe', async () => {
    await register({ customerId: 'u3', email: 'u3@example.com', topics: ['newsletter', 'offers'] });
    const expired = tokenFor('u3', 'offers', nowSeconds() - 90 * 86_400);
    expect((await oneClick(expired)).status).toBe(200);
    const after = await runtime.customers.get('u3');
    expect(after?.consent).toMatchObject({ marketing: true, unsubscribedTopics: ['offers'] });
    const resubscribe = await fetch(`${server.url}?token=${encodeURIComponent(expired)}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=save&topic=offers&topic=newsletter' });
    expect(resubscribe.status).toBe(410);
    expect(await runtime.customers.get('u3')).toEqual(after);
  });

  it('keep me subscribed lifts a sunset suppression and nothing else', async () => {
    const sunset = runtime.catalog.campaigns.find((c) => c.id === 'sunset')!;
    await register({ customerId: 'u4', email: 'u4@example.com', topics: ['newsletter'] });
    await register({ customerId: 'u5', email: 'u5@example.com', topics: ['newsletter'] });
    // u4 got the sunset email (the send records its suppression); u5's address hard-bounced.
    await runtime.customers.modify('u4', (p) => p && recordSend(p, sunset, 'sunset_once_u4', runtime.clock.now(), runtime.catalog.config.frequency));
    await runtime.customers.modify('u5', (p) => p && { ...p, suppression: { reason: 'hard-bounce', at: runtime.clock.now() }, version: p.version + 1 });
    const before = await runtime.customers.get('u4');
    expect(before?.suppression?.reason).toBe('sunset');

    const keepLink = (customerId: string) => `${server.url}?token=${encodeURIComponent(tokenFor(customerId, 'newsletter'))}&view=keep`;
    const shown = await fetch(keepLink('u4'));
    expect(shown.status).toBe(200);
    expect(await runtime.customers.get('u4')).toEqual(before); // opening the link changes nothing
    const keep = (customerId: string) => fetch(keepLink(customerId), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=keep' });
    expect((await keep('u4')).status).toBe(200);
    const after = await runtime.customers.get('u4');
    expect(after?.suppression).toBeUndefined();
    expect(after?.consent).toEqual({ ...before!.consent, renewed: { method: 'keep-subscribed', at: runtime.clock.now() }, updatedAt: runtime.clock.now() });
    expect(after?.campaignsSent).toEqual(before?.campaignsSent); // the sunset stays sent: it will not go again

    expect((await keep('u5')).status).toBe(200);
    expect((await runtime.customers.get('u5'))?.suppression?.reason).toBe('hard-bounce');
  });

  it('answers 404 for a customer it does not know, and creates nobody', async () => {
    expect((await oneClick(tokenFor('ghost', 'offers'))).status).toBe(404);
    expect(await runtime.customers.get('ghost')).toBeUndefined();
  });
});

describe('preference page in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => browser?.close());

  it('lets a German customer drop a topic, then unsubscribe from all', async () => {
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text())); // e.g. a CSP violation
    try {
      await page.goto(`${server.url}?token=${tokenFor('u2', 'offers')}&view=preferences`);
      await expect(page.locator('html').getAttribute('lang')).resolves.toBe('de');
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('E-Mail-Einstellungen');
      await expect(page.getByText('Hallo Jürgen <3,').count()).resolves.toBe(1);
      // The stylesheet passed the page's Content-Security-Policy (its hash matches).
      await expect(page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth")).resolves.not.toBe('none');
      const offers = page.getByRole('checkbox', { name: 'Angebote' });
      const newsletter = page.getByRole('checkbox', { name: 'Newsletter' });
      expect([await offers.isChecked(), await newsletter.isChecked()]).toEqual([true, true]);

      await offers.uncheck();
      await page.getByRole('button', { name: 'Einstellungen speichern' }).click();
      await page.getByRole('heading', { name: 'Einstellungen gespeichert' }).waitFor();
      expect((await runtime.customers.get('u2'))?.consent).toMatchObject({ marketing: true, unsubscribedTopics: ['offers'] });

      await page.getByRole('link', { name: 'Einstellungen ändern' }).click();
      expect(await page.getByRole('checkbox', { name: 'Angebote' }).isChecked()).toBe(false);
      await page.getByRole('button', { name: 'Von allen abmelden' }).click();
      await page.getByText('Sie erhalten keine Marketing-E-Mails mehr von uns.').first().waitFor();
      expect((await runtime.customers.get('u2'))?.consent.marketing).toBe(false);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 30_000);

  it('the sunset email\'s button opens a page whose one button keeps the customer subscribed', async () => {
    const sunset = runtime.catalog.campaigns.find((c) => c.id === 'sunset')!;
    await register({ customerId: 'u6', email: 'u6@example.com', firstName: 'Mia', topics: ['newsletter'] });
    await runtime.customers.modify('u6', (p) => p && recordSend(p, sunset, 'sunset_once_u6', runtime.clock.now(), runtime.catalog.config.frequency));
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}?token=${tokenFor('u6', 'newsletter')}&view=keep`);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Keep receiving our emails?');
      expect((await runtime.customers.get('u6'))?.suppression?.reason).toBe('sunset');
      await page.getByRole('button', { name: 'Keep me subscribed' }).click();
      await page.getByRole('heading', { name: 'You are still subscribed' }).waitFor();
      expect((await runtime.customers.get('u6'))?.suppression).toBeUndefined();
    } finally {
      await context.close();
    }
  }, 30_000);
});
