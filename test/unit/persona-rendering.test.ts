import { convert } from 'html-to-text';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { PERSONAS } from '#authoring/personas.ts';
import type { Catalog } from '#domain/catalog.ts';
import { composeEmail } from '#domain/compose-email.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { TemplateRenderer } from '#domain/template-renderer.ts';
import { linkSigner } from '#signed-links/link-signer.ts';
import { verifyReferralCode } from '#signed-links/referral-code.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const now = '2026-10-10T09:00:00.000Z';
const SECRET = 'r'.repeat(40);
let catalog: Catalog;
let renderer: TemplateRenderer;

beforeAll(async () => {
  catalog = await buildCatalog(projectPaths(repoRoot));
  renderer = new TemplateRenderer(catalog.templates);
});

const compose = (campaignId: string, personaId: string, variant?: string) => {
  const campaign = catalog.campaigns.find((c) => c.id === campaignId)!;
  const profile = PERSONAS.find((p) => p.id === personaId)!.profile(now);
  const request = { ...buildSendRequest(campaign, profile.customerId, now, 'schedule'), ...(variant ? { variant } : {}) };
  return composeEmail({ request, campaign, profile, config: catalog.config, renderer, links: linkSigner(SECRET), now });
};

/** An attribute value as the browser reads it (Handlebars escapes & and = in hrefs). */
const attribute = (value: string) => value.replace(/&#x([0-9a-f]+);/gi, (_m, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16))).replace(/&amp;/g, '&');

/** What a reader sees of the HTML body. */
const visibleText = (html: string) => convert(html, { selectors: [{ selector: 'a', options: { ignoreHref: true } }, { selector: 'img', format: 'skip' }] });

describe('every shipped campaign, every variant, for every persona', () => {
  it('renders with a subject, a body, a text part and nothing left unrendered', () => {
    let rendered = 0;
    for (const campaign of catalog.campaigns) {
      for (const variant of campaign.variants.length ? campaign.variants.map((v) => v.id) : [undefined]) {
        for (const persona of PERSONAS) {
          const label = `${campaign.id}/${variant ?? '-'}/${persona.id}`;
          const email = compose(campaign.id, persona.id, variant);
          expect(email.subject.trim(), label).not.toBe('');
          expect(visibleText(email.html).trim().length, label).toBeGreaterThan(50);
          expect(email.text.trim().length, label).toBeGreaterThan(50);
          for (const part of [email.subject, email.html, email.text]) expect(part, label).not.toMatch(/\{\{|\}\}/);
          // A sentence ending after a name that ends in a dot (St., Co.) must not show two.
          for (const part of [email.subject, visibleText(email.html), email.text]) expect(part, label).not.toMatch(/[^.]\.\.(?!\.)/);
          rendered++;
        }
      }
    }
    expect(rendered).toBe((catalog.campaigns.length + 1) * PERSONAS.length); // welcome has two variants
  });

  it('escapes the hostile name in HTML and keeps the subject on one line', () => {
    for (const campaign of catalog.campaigns) {
      const email = compose(campaign.id, 'hostile-name');
      expect(email.html, campaign.id).not.toContain('<script>');
      expect(email.html, campaign.id).not.toContain('<b>Bold</b>');
      expect(email.subject, campaign.id).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    }
    const email = compose('win-back', 'hostile-name');
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Plain text: the name is there as written, with the line break turned into a space.
    expect(email.subject).toBe(`We miss you, <script>alert(1)</script> Bcc: x@evil.example "O'Brien" & Co`);
  });

  it("puts the email's language in <html lang>: the customer's tag when it is in their language, else en", () => {
    expect(compose('welcome', 'non-latin-name').html).toMatch(/<html lang="ja-JP"/);
    // No Japanese copy of this one: the English email must not claim to be Japanese (screen readers).
    expect(compose('second-order-nudge', 'non-latin-name').html).toMatch(/<html lang="en"/);
    expect(compose('win-back', 'declining').html).toMatch(/<html lang="en-US"/);
  });

  it('gives the VIP email a referral link with a signed code naming the customer, not the home page', () => {
    const email = compose('vip-thanks', 'stable');
    const hrefs = [...email.html.matchAll(/href="([^"]+)"/g)].map((m) => attribute(m[1]!));
    const referral = hrefs.map((h) => new URL(h)).find((u) => u.searchParams.has('ref'));
    expect(referral?.origin).toBe('https://shop.example.com');
    expect(verifyReferralCode(referral!.searchParams.get('ref')!, SECRET)).toEqual({ customerId: 'persona-stable', purpose: 'referral' });
    expect(() => verifyReferralCode(referral!.searchParams.get('ref')!, 'x'.repeat(40))).toThrow(/bad-signature/);
    expect(email.text).toContain(referral!.searchParams.get('ref'));
  });

  it('tags the links placed in content with the campaign', () => {
    const email = compose('cross-sell', 'growing');
    const picks = [...email.html.matchAll(/href="(https:\/\/shop\.example\.com\/p\/[^"]+)"/g)].map((m) => new URL(attribute(m[1]!)));
    expect(picks.map((u) => u.pathname)).toEqual(['/p/WAR-001', '/p/TEA-003', '/p/WAR-002']);
    for (const u of picks) expect(Object.fromEntries(u.searchParams)).toEqual({ utm_source: 'lifecycle-mailer', utm_medium: 'email', utm_campaign: 'cross-sell' });
  });
});
