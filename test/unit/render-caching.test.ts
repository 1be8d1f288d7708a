import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import type { Catalog } from '#domain/catalog.ts';
import { composeEmail } from '#domain/compose-email.ts';
import { newProfile } from '#domain/customer-profile.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { TEMPLATE_HELPERS, TemplateRenderer } from '#domain/template-renderer.ts';
import { linkSigner } from '#signed-links/link-signer.ts';
import { verifyReferralCode } from '#signed-links/referral-code.ts';
import { purposeKey } from '#signed-links/signed-token.ts';

/** What is cached across recipients (formatters, campaign links, derived keys) gives what building it each time gave. */
const repoRoot = new URL('../..', import.meta.url).pathname;
const now = '2026-10-10T09:00:00.000Z';
const SECRET = 'k'.repeat(40);
let catalog: Catalog;
let renderer: TemplateRenderer;
beforeAll(async () => {
  catalog = await buildCatalog(projectPaths(repoRoot));
  renderer = new TemplateRenderer(catalog.templates);
});

const referralOf = (shopUrl: string, customerId: string) => {
  const campaign = catalog.campaigns.find((c) => c.id === 'vip-thanks')!;
  const config = { ...catalog.config, shop: { ...catalog.config.shop, url: shopUrl } };
  const profile = { ...newProfile(customerId, now), email: `${customerId}@example.com` };
  const email = composeEmail({ request: buildSendRequest(campaign, customerId, now, 'schedule'), campaign, profile, config, renderer, links: linkSigner(SECRET), now });
  const href = email.text.match(/https?:\/\/\S*[?&]ref=[^\s)\]]+/)?.[0] ?? email.html.match(/https?:\/\/[^"]*ref=[^"]+/)?.[0];
  return href?.replace(/&amp;/g, '&');
};

describe('money formatting', () => {
  it('formats each locale and currency as its own Intl.NumberFormat does, however they alternate', () => {
    const cases: [number, string, string][] = [[1234.5, 'EUR', 'de-DE'], [1234.5, 'USD', 'en-US'], [1234.5, 'EUR', 'de-DE'], [99, 'JPY', 'ja-JP'], [99, 'USD', 'de-DE']];
    for (const [amount, currency, locale] of cases) {
      expect(TEMPLATE_HELPERS.money(amount, currency, locale)).toBe(new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount));
    }
  });

  it('falls back to two decimals for a currency Intl does not know, every time', () => {
    expect(TEMPLATE_HELPERS.money(12, 'NOT-A-CURRENCY', 'en')).toBe('12.00');
    expect(TEMPLATE_HELPERS.money(13, 'NOT-A-CURRENCY', 'en')).toBe('13.00');
  });
});

describe('links', () => {
  it('writes the referral link as URLSearchParams would, for a shop URL with and without a query', () => {
    for (const shopUrl of ['https://shop.example.com/', 'https://shop.example.com/tea?lang=en']) {
      const link = referralOf(shopUrl, 'vip-1');
      expect(link, shopUrl).toBeDefined();
      const url = new URL(link!);
      const expected = new URL(shopUrl);
      expected.searchParams.set('ref', url.searchParams.get('ref')!);
      expect(link).toBe(expected.toString());
      expect(verifyReferralCode(url.searchParams.get('ref')!, SECRET).customerId).toBe('vip-1');
    }
  });

  it('derives one key per secret and purpose, different for each', () => {
    expect(purposeKey(SECRET, 'confirm').equals(purposeKey(SECRET, 'confirm'))).toBe(true);
    expect(purposeKey(SECRET, 'confirm').equals(purposeKey(SECRET, 'referral'))).toBe(false);
    expect(purposeKey(SECRET, 'confirm').equals(purposeKey('j'.repeat(40), 'confirm'))).toBe(false);
  });
});
