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

  it('writes every amount as Intl.NumberFormat does: the built text for whole minor units, Intl for the rest', () => {
    const pairs: [string, string][] = [['en', 'USD'], ['en-US', 'USD'], ['en-GB', 'GBP'], ['de-DE', 'EUR'], ['de-DE', 'USD'], ['de-CH', 'CHF'], ['ja-JP', 'JPY'], ['ja-JP', 'USD'], ['es-ES', 'EUR'], ['fr-FR', 'EUR'], ['pl-PL', 'PLN'], ['en-IN', 'INR'], ['ar-EG', 'EGP'], ['ar-BH', 'BHD'], ['ko-KR', 'KRW'], ['he-IL', 'ILS']];
    const edges = [0, -0, -1, -12.5, NaN, Infinity, -Infinity, 1e12, 1e21, 999_999_999_999.99, 0.005, 0.01, 1.005, 2.675, 0.1 + 0.2, 1234.5, 1234.56, 12_345.6, 99.999, 5e-324];
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const amounts = [...edges];
    for (let i = 0; i < 400; i++) {
      const magnitude = 10 ** Math.floor(random() * 13);
      amounts.push(Math.round(random() * magnitude * 100) / 100, Math.round(random() * magnitude), random() * magnitude, Math.round(random() * magnitude * 1000) / 1000);
    }
    for (const [locale, currency] of pairs) {
      const intl = new Intl.NumberFormat(locale, { style: 'currency', currency });
      for (const amount of amounts) expect(TEMPLATE_HELPERS.money(amount, currency, locale), `${locale} ${currency} ${amount}`).toBe(intl.format(amount));
    }
  });

  it('falls back to two decimals for a currency Intl does not know, every time', () => {
    expect(TEMPLATE_HELPERS.money(12, 'NOT-A-CURRENCY', 'en')).toBe('12.00');
    expect(TEMPLATE_HELPERS.money(13, 'NOT-A-CURRENCY', 'en')).toBe('13.00');
  });
});

describe('date formatting', () => {
  it('formats each date as its own Intl.DateTimeFormat does, repeated or alternating, across locales and time zones', () => {
    const cases: [string | number, string, string][] = [
      ['2026-10-09T22:30:00.000Z', 'de-DE', 'Europe/Berlin'],
      ['2026-10-09T22:30:00.000Z', 'de-DE', 'Europe/Berlin'], // the same again (the HTML, then the text)
      ['2026-10-09T22:30:00.000Z', 'en', 'America/New_York'],
      ['2026-10-09T22:30:00.000Z', 'de-DE', 'Europe/Berlin'],
      [Date.parse('2026-10-09T22:30:00.000Z'), 'de-DE', 'Europe/Berlin'], // the same instant as a number
      ['2026-03-29T00:59:59.999Z', 'de-DE', 'Europe/Berlin'],
      ['2026-03-29T00:59:59.999Z', 'ja-JP', 'Asia/Tokyo'],
      ['2026-03-29T00:59:59.999Z', 'ja-JP', 'Asia/Tokyo'],
    ];
    for (const [value, locale, timeZone] of cases) {
      expect(TEMPLATE_HELPERS.date(value, locale, timeZone), `${value} ${locale} ${timeZone}`).toBe(new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone }).format(new Date(value)));
    }
  });

  it('reads every form of instant as Date does: toISOString\'s own, and out-of-range or other forms', () => {
    const reference = (value: string, locale: string, timeZone: string) => {
      const at = new Date(value);
      return Number.isNaN(at.getTime()) ? '' : new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone }).format(at);
    };
    let seed = 11;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const values = ['2026-02-28T23:59:59.999Z', '2026-02-29T00:00:00.000Z', '2024-02-29T12:00:00.000Z', '2026-04-31T10:00:00.000Z', '2026-13-01T00:00:00.000Z', '2026-00-10T00:00:00.000Z', '2026-10-00T00:00:00.000Z',
      '2026-10-09T24:00:00.000Z', '2026-10-09T23:60:00.000Z', '2026-10-09T23:59:60.000Z', '0099-10-09T10:00:00.000Z', '0999-10-09T10:00:00.000Z', '1000-01-01T00:00:00.000Z', '9999-12-28T23:59:59.999Z',
      '2026-10-09T10:00:00Z', '2026-10-09T10:00:00.5Z', '2026-10-09T10:00:00.000z', '2026-10-09T10:00:00.000+02:00', '2026-10-09', '2026-10-09T10:00', '+012026-10-09T10:00:00.000Z', ' 2026-10-09T10:00:00.000Z', 'Oct 9, 2026'];
    for (let i = 0; i < 300; i++) values.push(new Date(Date.UTC(1000 + Math.floor(random() * 9000), 0, 1) + Math.floor(random() * 366 * 86_400_000)).toISOString());
    for (const [locale, timeZone] of [['de-DE', 'Europe/Berlin'], ['ja-JP', 'Pacific/Kiritimati'], ['en', 'America/Los_Angeles']] as const) {
      for (const value of values) expect(TEMPLATE_HELPERS.date(value, locale, timeZone), `${value} ${timeZone}`).toBe(reference(value, locale, timeZone));
    }
  });

  it('prints nothing for what is not a date, even right after a date', () => {
    expect(TEMPLATE_HELPERS.date('2026-10-09T22:30:00.000Z', 'en', 'UTC')).toBe('October 9, 2026');
    expect(TEMPLATE_HELPERS.date('not a date', 'en', 'UTC')).toBe('');
    expect(TEMPLATE_HELPERS.date(undefined, 'en', 'UTC')).toBe('');
    expect(TEMPLATE_HELPERS.date(NaN, 'en', 'UTC')).toBe('');
    expect(TEMPLATE_HELPERS.date('2026-10-09T22:30:00.000Z', 'en', 'Nowhere/City')).toBe('2026-10-09');
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
