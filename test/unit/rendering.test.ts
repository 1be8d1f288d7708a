import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import type { Catalog } from '#domain/catalog.ts';
import { composeEmail } from '#domain/compose-email.ts';
import { newProfile } from '#domain/customer-profile.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { compileTemplate, TemplateCompileError } from '#authoring/template-compiler.ts';
import { TemplateRenderer } from '#domain/template-renderer.ts';
import { verifyUnsubscribeToken } from '#signed-links/unsubscribe-token.ts';
import { linkSigner } from '#signed-links/link-signer.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const now = '2026-10-10T09:00:00.000Z';
let catalog: Catalog;
let renderer: TemplateRenderer;

beforeAll(async () => {
  catalog = await buildCatalog(projectPaths(repoRoot));
  renderer = new TemplateRenderer(catalog.templates);
});

const hostile = {
  ...newProfile('c1', now),
  email: 'c1@example.com',
  firstName: '<script>alert("x")</script>',
  lastName: 'Bob & "Alice"',
  locale: 'de-DE',
  lastCart: { cartId: 'k1', value: 46.5, abandonedAt: now, items: [{ sku: 'a', name: '<img src=x onerror=alert(1)>', quantity: 2, price: 10 }, { sku: 'b', name: 'Sencha', quantity: 1, price: 26.5 }] },
};
const render = (campaignId: string, profile = hostile) => {
  const campaign = catalog.campaigns.find((c) => c.id === campaignId)!;
  return composeEmail({ request: buildSendRequest(campaign, profile.customerId, now, 'event'), campaign, profile, config: catalog.config, renderer, links: linkSigner('s'.repeat(40)), now });
};

describe('shipped templates', () => {
  it('compile, with every campaign pointing at an existing template', () => {
    expect(catalog.templates.map((t) => t.name).sort()).toEqual(expect.arrayContaining(catalog.campaigns.map((c) => c.template)));
    for (const t of catalog.templates) {
      expect(t.html).not.toMatch(/<mj-/);
      expect(t.html).toContain('{{links.unsubscribe}}');
    }
  });

  it('render every campaign with no unrendered field, both parts, and the postal address', () => {
    for (const c of catalog.campaigns) {
      const email = render(c.id);
      expect(email.html, c.id).not.toMatch(/\{\{|\}\}|<mj-/);
      expect(email.text, c.id).not.toMatch(/\{\{|\}\}/);
      expect(email.html, c.id).toContain('1 Example Street');
      expect(email.text.length, c.id).toBeGreaterThan(50);
      expect(email.subject, c.id).not.toMatch(/\{\{/);
    }
  });

  it('escapes customer data in HTML and keeps it readable in text and subject', () => {
    const email = render('abandoned-cart');
    expect(email.html).not.toContain('<script>alert');
    expect(email.html).toContain('&lt;script&gt;alert');
    expect(email.html).not.toContain('<img src=x');
    expect(email.subject).toContain('<script>alert("x")</script>'); // a subject is plain text, not HTML
    expect(email.text).toContain('<img src=x onerror=alert(1)>'); // ditto the text part
  });

  it('never evaluates template syntax that arrives in customer data', () => {
    const email = render('win-back', { ...hostile, firstName: '{{customer.email}} {{#each x}}' });
    expect(email.html).toContain('{{customer.email}}');
    expect(email.html).not.toContain('c1@example.com');
  });

  it('keeps loops through MJML: every cart item is rendered, with locale money', () => {
    const email = render('abandoned-cart');
    expect(email.html).toContain('Sencha');
    expect(email.html).toContain('2 × &lt;img');
    expect(email.html).toMatch(/46,50\s?\$/); // de-DE formatting of USD
  });

  it('carries the unsubscribe headers, trace headers and tags, with a token that names no address', () => {
    const email = render('win-back');
    const header = (n: string) => email.headers.find((h) => h.name === n)?.value;
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(header('List-Unsubscribe')).toMatch(/^<https:\/\/[^>]+\?token=[\w-]+\.[\w-]+>, <mailto:unsubscribe@[^>]+>$/);
    expect(header('X-Campaign-Id')).toBe('win-back');
    expect(header('X-Send-Id')).toMatch(/^win-back_.+_c1$/);
    expect(email.tags.map((t) => t.name).sort()).toEqual(['campaign', 'customer', 'locale', 'send', 'variant']); // locale: which language went out
    const token = /token=([^>&]+)/.exec(header('List-Unsubscribe')!)![1]!;
    expect(Buffer.from(token.split('.')[0]!, 'base64url').toString()).not.toContain('@');
    // The link names its send (the report counts unsubscribes per send), under the same signature.
    const sendId = email.tags.find((t) => t.name === 'send')!.value;
    expect(verifyUnsubscribeToken(token, 's'.repeat(40), Date.parse(now) / 1000)).toMatchObject({ customerId: 'c1', topic: 'offers', sendId });
    expect(() => verifyUnsubscribeToken(token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), 's'.repeat(40), Date.parse(now) / 1000)).toThrow(/bad-signature|malformed/);
    expect(() => verifyUnsubscribeToken(token, 's'.repeat(40), Date.parse(now) / 1000 + 365 * 86_400)).toThrow(/expired/);
  });
});

describe('compileTemplate', () => {
  it('refuses a block helper that MJML would silently drop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpl-'));
    const file = join(dir, 'bad.mjml');
    const source = '<mjml><mj-body>{{#each items}}<mj-section><mj-column><mj-text>{{name}}</mj-text></mj-column></mj-section>{{/each}}</mj-body></mjml>';
    writeFileSync(file, source);
    await expect(compileTemplate('bad', source, file)).rejects.toThrow(TemplateCompileError);
    await expect(compileTemplate('bad', source, file)).rejects.toThrow(/dropped by MJML.*mj-raw/);
  });
});
