/**
 * Rendering: what one recipient costs when MJML is compiled once per template and only a
 * precompiled Handlebars function runs per recipient, against the baseline many samples
 * use (Handlebars then MJML for every recipient). Same templates, same customers, same run.
 *
 *   npx tsx bench/rendering.bench.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import mjml2html from 'mjml';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { composeEmail } from '#domain/compose-email.ts';
import { newProfile } from '#domain/customer-profile.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { TemplateRenderer } from '#domain/template-renderer.ts';
import { linkSigner } from '#signed-links/link-signer.ts';

const root = new URL('..', import.meta.url).pathname;
const catalog = await buildCatalog(projectPaths(root));
const campaign = catalog.campaigns.find((c) => c.id === 'abandoned-cart')!;
const now = '2026-10-10T09:00:00.000Z';
const customers = Array.from({ length: 2000 }, (_, i) => ({
  ...newProfile(`c${i}`, now),
  email: `c${i}@example.com`,
  firstName: `Zoë ${i}`,
  lastCart: { cartId: `k${i}`, value: 46.5, abandonedAt: now, items: [{ sku: 'a', name: 'Matcha', quantity: 1, price: 32 }, { sku: 'b', name: 'Sencha', quantity: 1, price: 14.5 }] },
}));

// Compile once, render per recipient: what the send function does.
const renderer = new TemplateRenderer(catalog.templates);
const t0 = performance.now();
let bytes = 0;
for (const profile of customers) {
  const email = composeEmail({ request: buildSendRequest(campaign, profile.customerId, now, 'event'), campaign, profile, config: catalog.config, renderer, links: linkSigner('x'.repeat(40)), now });
  bytes += email.html.length;
}
const precompiledMs = performance.now() - t0;

// Baseline: Handlebars over the MJML source, then MJML, for every recipient (a sample of 100: it is slow).
const file = join(root, 'templates', `${campaign.template}.mjml`);
const source = readFileSync(file, 'utf8');
const hb = Handlebars.create();
hb.registerHelper('money', (n: number) => `$${Number(n).toFixed(2)}`);
const template = hb.compile(source);
const sample = customers.slice(0, 100);
const t1 = performance.now();
for (const profile of sample) {
  const mjml = template({ customer: { name: profile.firstName }, cart: profile.lastCart, shop: catalog.config.shop, links: {}, campaign });
  await mjml2html(mjml, { filePath: file, validationLevel: 'skip', ignoreIncludes: false, includePath: join(root, 'templates') });
}
const perRecipientMjmlMs = performance.now() - t1;

const perPre = precompiledMs / customers.length;
const perBase = perRecipientMjmlMs / sample.length;
console.log(`compile once + Handlebars per recipient: ${customers.length} emails in ${precompiledMs.toFixed(0)} ms → ${(1000 / perPre).toFixed(0)} emails/s (${perPre.toFixed(3)} ms each, ${(bytes / customers.length / 1024).toFixed(1)} KB HTML)`);
console.log(`baseline, MJML per recipient:            ${sample.length} emails in ${perRecipientMjmlMs.toFixed(0)} ms → ${(1000 / perBase).toFixed(0)} emails/s (${perBase.toFixed(3)} ms each)`);
console.log(`ratio: ${(perBase / perPre).toFixed(0)}× faster per recipient`);
