import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { PERSONAS } from '#authoring/personas.ts';
import type { Campaign } from '#domain/campaign.ts';
import type { Catalog } from '#domain/catalog.ts';
import { composeEmail } from '#domain/compose-email.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { TemplateRenderer } from '#domain/template-renderer.ts';
import { linkSigner } from '#signed-links/link-signer.ts';
import { ReferenceRenderer, referenceComposeEmail, referenceLinkSigner } from '../support/reference-compose.ts';

/**
 * Rendering caches what is the same for every recipient and runs the templates as closures;
 * the email must come out byte for byte as the uncached Handlebars composition wrote it
 * (test/support/reference-compose.ts), for every template, variant, language and persona.
 */
const repoRoot = new URL('../..', import.meta.url).pathname;
const now = '2026-10-10T09:00:00.000Z';
const SECRET = 'e'.repeat(40);
let catalog: Catalog;
let renderer: TemplateRenderer;
let reference: ReferenceRenderer;

beforeAll(async () => {
  catalog = await buildCatalog(projectPaths(repoRoot));
  renderer = new TemplateRenderer(catalog.templates);
  reference = new ReferenceRenderer(catalog.templates);
});

/** The personas, plus the cases the caches branch on: other locales, a pending sign-up, a shop's own cart link, odd cart ids. */
function customers(): CustomerProfile[] {
  const base = PERSONAS.map((p) => p.profile(now));
  const typical = base.find((p) => p.customerId === 'persona-growing')!;
  return [
    ...base,
    { ...typical, customerId: 'de-customer', locale: 'de-DE', timeZone: 'Europe/Berlin' },
    { ...typical, customerId: 'de-at-customer', locale: 'de-at', timeZone: 'Europe/Vienna' },
    { ...typical, customerId: 'ja-customer', locale: 'ja_JP', timeZone: 'Asia/Tokyo' },
    { ...typical, customerId: 'bad-locale', locale: 'not a locale!', timeZone: 'Nowhere/City' },
    { ...typical, customerId: 'pending', consent: { ...typical.consent, pending: { requestedAt: now, topics: [] } } as CustomerProfile['consent'] },
    { ...typical, customerId: 'recovery', lastCart: { ...typical.lastCart!, recoveryUrl: 'https://shop.example.com/cart/recover?token=a b&x=1' } },
    { ...typical, customerId: 'odd-cart', lastCart: { ...typical.lastCart!, cartId: '../ä b?c#d' } },
    { ...typical, customerId: 'dots-cart', lastCart: { ...typical.lastCart!, cartId: '..' } },
    { ...typical, customerId: 'ref/ä ?&=', firstName: 'Ünï' },
  ];
}

const variantsOf = (campaign: Campaign) => (campaign.variants.length ? campaign.variants.map((v) => v.id) : [undefined]);

function compare(config: MailerConfig, label: string) {
  const templates = new Set<string>();
  let compared = 0;
  for (const campaign of catalog.campaigns) {
    for (const variant of variantsOf(campaign)) {
      for (const profile of customers()) {
        const request = { ...buildSendRequest(campaign, profile.customerId, now, 'schedule'), ...(variant ? { variant } : {}) };
        const input = { request, campaign, profile, config, now };
        const fast = composeEmail({ ...input, renderer, links: linkSigner(SECRET) });
        const slow = referenceComposeEmail({ ...input, renderer: reference, links: referenceLinkSigner(SECRET) });
        expect(fast, `${label} ${campaign.id}/${variant ?? '-'}/${profile.customerId}`).toEqual(slow);
        const language = fast.headers.find((h) => h.name === 'Content-Language')!.value;
        templates.add(language === 'en' ? (campaign.variants.find((v) => v.id === variant)?.template ?? campaign.template) : `${campaign.template}.${language}`);
        compared++;
      }
    }
  }
  return { templates, compared };
}

describe('composeEmail with caches and closures against the uncached Handlebars composition', () => {
  it('writes every template, variant, language and persona byte for byte the same', () => {
    const { templates, compared } = compare(catalog.config, 'default shop');
    // Every compiled template is reached (the localized ones through the de and ja customers).
    expect([...templates].sort()).toEqual(catalog.templates.map((t) => t.name).sort());
    expect(compared).toBeGreaterThan(catalog.campaigns.length * PERSONAS.length);
  });

  it('does so for a shop URL with a path and a query too (the link fast paths must step aside)', () => {
    for (const url of ['https://www.shop.example.com/tea/', 'https://shop.example.com/?lang=en', 'https://shop.example.com/#top']) {
      compare({ ...catalog.config, shop: { ...catalog.config.shop, url } }, url);
    }
  });

  it('renders content per recipient only when its strings have fields (a field in the subject alone leaves the content fixed)', () => {
    const welcome = catalog.campaigns.find((c) => c.id === 'welcome')!;
    const variants: Campaign[] = [
      { ...welcome, variants: [], locales: {}, subject: '{{customer.name}}: {{campaign.content.code}} at {{campaign.content.shopPage}}', content: { ...welcome.content, shopPage: 'https://shop.example.com/tea' } },
      { ...welcome, variants: [], locales: {}, subject: '{{campaign.content.greeting}} {{campaign.content.code}}', preheader: '{{campaign.content.greeting}}', content: { ...welcome.content, greeting: 'Hi {{customer.name}} ({{customer.orderCount}})', list: ['{{customer.locale}}', 'plain'] } },
    ];
    for (const campaign of variants) {
      for (const profile of customers()) {
        const request = buildSendRequest(campaign, profile.customerId, now, 'schedule');
        const input = { request, campaign, profile, config: catalog.config, now };
        const fast = composeEmail({ ...input, renderer, links: linkSigner(SECRET) });
        expect(fast, `${campaign.subject} ${profile.customerId}`).toEqual(referenceComposeEmail({ ...input, renderer: reference, links: referenceLinkSigner(SECRET) }));
        // The content really reached the subject: rendered for this customer, or UTM-tagged as a shop link.
        expect(fast.subject).toMatch(campaign === variants[0] ? /: WELCOME10 at https:\/\/shop\.example\.com\/tea\?utm_source=lifecycle-mailer&/ : /^Hi \S.* \(\d+\) WELCOME10$/);
      }
    }
  });

  it('renders the same email again from the caches (a second recipient of a campaign)', () => {
    const campaign = catalog.campaigns.find((c) => c.id === 'vip-thanks')!;
    const profile = customers()[0]!;
    const compose = () => composeEmail({ request: buildSendRequest(campaign, profile.customerId, now, 'schedule'), campaign, profile, config: catalog.config, renderer, links: linkSigner(SECRET), now });
    expect(compose()).toEqual(compose());
  });
});
