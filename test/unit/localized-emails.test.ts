import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { PERSONAS } from '#authoring/personas.ts';
import { validateProject } from '#authoring/project-check.ts';
import { type Catalog } from '#domain/catalog.ts';
import { Campaign, closestLocale } from '#domain/campaign.ts';
import { composeEmail } from '#domain/compose-email.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { TemplateRenderer } from '#domain/template-renderer.ts';
import { linkSigner } from '#signed-links/link-signer.ts';
import { copyProject, plant } from '../support/project-copy.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const now = '2026-10-10T09:00:00.000Z';
let catalog: Catalog;
let renderer: TemplateRenderer;
beforeAll(async () => {
  catalog = await buildCatalog(projectPaths(repoRoot));
  renderer = new TemplateRenderer(catalog.templates);
});

const compose = (campaignId: string, personaId: string, over: Partial<CustomerProfile> = {}, variant?: string) => {
  const campaign = catalog.campaigns.find((c) => c.id === campaignId)!;
  const profile = { ...PERSONAS.find((p) => p.id === personaId)!.profile(now), ...over };
  const request = { ...buildSendRequest(campaign, profile.customerId, now, 'schedule'), ...(variant ? { variant } : {}) };
  return composeEmail({ request, campaign, profile, config: catalog.config, renderer, links: linkSigner('s'.repeat(40)), now });
};
const tag = (email: ReturnType<typeof compose>, name: string) => email.tags.find((t) => t.name === name)?.value;

describe('closestLocale', () => {
  it('drops subtags from the end, ignores case, and gives nothing when no language matches', () => {
    expect(closestLocale('ja-JP', ['de', 'ja'])).toBe('ja');
    expect(closestLocale('de-at', ['de', 'ja'])).toBe('de');
    expect(closestLocale('pt-BR', ['pt', 'pt-BR'])).toBe('pt-BR');
    expect(closestLocale('zh-Hant-TW', ['zh', 'zh-Hant'])).toBe('zh-Hant');
    expect(closestLocale('fr-FR', ['de', 'ja'])).toBeUndefined();
    expect(closestLocale('not a locale!', ['de'])).toBeUndefined();
  });
});

describe('localized campaigns', () => {
  it('sends a Japanese customer the Japanese welcome: subject, body, footer, lang and the locale recorded', () => {
    const email = compose('welcome', 'non-latin-name', {}, 'a');
    expect(email.subject).toBe('ご登録ありがとうございます：初回のご注文が10%オフになります');
    expect(email.html).toMatch(/<html lang="ja-JP"/);
    expect(email.html).toContain('山田 花子様');
    expect(email.text).toContain('メール配信設定');
    expect(email.text).not.toContain('Unsubscribe');
    expect(tag(email, 'locale')).toBe('ja');
    expect(email.headers).toContainEqual({ name: 'Content-Language', value: 'ja' });
  });

  it('gives variant b its own German subject, and the German default subject to variant a', () => {
    expect(compose('welcome', 'prospect', { locale: 'de-DE' }, 'b').subject).toBe('Zoë, hier sind 10 % Rabatt für Ihren Start');
    expect(compose('welcome', 'prospect', { locale: 'de-AT' }, 'a').subject).toBe('Willkommen, Zoë: 10 % Rabatt auf Ihre erste Bestellung');
    expect(compose('welcome', 'no-first-name', { locale: 'de-DE' }, 'a').subject).toBe('Willkommen: 10 % Rabatt auf Ihre erste Bestellung');
  });

  it('formats money and dates for the customer: German cart totals and dates, the Tokyo calendar day', () => {
    const de = compose('abandoned-cart', 'growing', { locale: 'de-DE', timeZone: 'Europe/Berlin' });
    expect(de.text).toMatch(/Summe: 46,50\s\$/); // Intl puts a no-break space before the sign
    expect(de.text).toContain('vom 10. Oktober 2026');
    // 23:30 UTC on the 10th is already the 11th in Tokyo.
    const late = { ...PERSONAS.find((p) => p.id === 'non-latin-name')!.profile(now).lastCart!, abandonedAt: '2026-10-10T23:30:00.000Z' };
    expect(compose('abandoned-cart', 'non-latin-name', { lastCart: late }).text).toContain('2026年10月11日にカートに入れた商品');
  });

  it('sends the English email where there is no copy in the language, and says it is English', () => {
    const email = compose('abandoned-cart', 'growing', { locale: 'fr-FR' });
    expect(email.subject).toBe('You left something in your cart, Zoë');
    expect(email.html).toMatch(/<html lang="en"/);
    expect(tag(email, 'locale')).toBe('en');
  });

  it('refuses a locale key that is not a language tag', () => {
    const base = { id: 'x', name: 'X', trigger: { type: 'schedule', cron: '0 9 * * *' }, audience: { stages: ['prospect'] }, priority: 1, cooldown: 'once', template: 'x', subject: 'Hi', from: { address: 'a@b.example', name: 'A' } };
    expect(Campaign.safeParse({ ...base, locales: { Japanese: { subject: 'こんにちは' } } }).success).toBe(false);
    expect(Campaign.safeParse({ ...base, locales: { ja: { subject: 'こんにちは' } } }).success).toBe(true);
  });
});

describe('campaigns validate on translations', () => {
  it('checks each locale as it checks the default: a typo in a German subject, a missing translation file, a stray one', async () => {
    const root = copyProject();
    const line = plant(root, 'campaigns/welcome.yaml', 'subject: "Willkommen{{#if customer.firstName}}, {{customer.firstName}}{{/if}}', 'subject: "Willkommen{{#if customer.firstName}}, {{customer.frstName}}{{/if}}');
    rmSync(join(root, 'templates/abandoned-cart.ja.mjml'));
    writeFileSync(join(root, 'templates/win-back.fr.mjml'), '<mjml><mj-body><mj-section><mj-column><mj-text>Bonjour {{customer.name}}</mj-text></mj-column></mj-section></mj-body></mjml>');
    const variantLine = plant(root, 'campaigns/welcome.yaml', '      b: { subject: はじめて', '      c: { subject: はじめて');
    writeFileSync(join(root, 'templates/win-back.French.mjml'), '<mjml><mj-body><mj-section><mj-column><mj-text>Bonjour</mj-text></mj-column></mj-section></mj-body></mjml>');
    const { problems, warnings } = await validateProject(projectPaths(root));
    expect(problems).toContainEqual({ file: 'campaigns/welcome.yaml', line, message: expect.stringMatching(/^locales\.de\.subject: unknown field customer\.frstName; did you mean customer\.firstName\?/) });
    expect(problems).toContainEqual({ file: 'campaigns/abandoned-cart.yaml', line: expect.any(Number), message: 'locales.ja: no templates/abandoned-cart.ja.mjml: the subject would be in ja and the email in English' });
    expect(problems).toContainEqual({ file: 'templates/win-back.French.mjml', message: "'French' in the file name is not a language tag like de, ja or pt-BR (a translation is named like welcome.ja.mjml)" });
    expect(problems).toContainEqual({ file: 'campaigns/welcome.yaml', line: variantLine, message: "locales.ja.variants.c: no variant 'c' in variants (a, b)" });
    expect(warnings).toContainEqual({ file: 'templates/win-back.fr.mjml', message: 'no campaign using templates/win-back.mjml has locales.fr: this translation is never sent' });
  });

  it('lists the campaigns that lack a language customers have', async () => {
    const { warnings } = await validateProject(projectPaths(copyProject()), { customerLocales: { locales: ['en-GB', 'de-DE', 'ja-JP', 'fr-CA'], source: 'test customers' } });
    expect(warnings).toContainEqual({ file: 'campaigns/welcome.yaml', message: 'locales: no copy for customers in fr-CA (test customers): they get the English email' });
    expect(warnings).toContainEqual({ file: 'campaigns/win-back.yaml', message: 'locales: no copy for customers in de-DE, fr-CA, ja-JP (test customers): they get the English email' });
  });
});
