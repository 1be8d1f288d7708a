import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
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

  it('refuses tampered and expired tokens and leaves the profile alone', async () => {
    const before = await runtime.customers.get('u1');
    const [, signature] = tokenFor('u1', 'offers').split('.');
    const otherCustomer = `${Buffer.from(JSON.stringify(['u2', 'offers', nowSeconds() + 86_400])).toString('base64url')}.${signature}`;
    const wrongSecret = signUnsubscribeToken({ customerId: 'u1', topic: 'offers', expiresAt: nowSeconds() + 86_400 }, 'x'.repeat(64));
    for (const token of [otherCustomer, wrongSecret, 'not-a-token', tokenFor('u1', 'offers', nowSeconds() - 60)]) {
      const response = await oneClick(token);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(await response.text()).toContain('invalid or has expired');
    }
    expect(await runtime.customers.get('u1')).toEqual(before);
    expect((await runtime.customers.get('u2'))?.consent).toMatchObject({ marketing: true, unsubscribedTopics: [] });
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
});
