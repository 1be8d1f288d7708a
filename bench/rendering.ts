/**
 * Rendering: what one recipient costs through composeEmail (tokens, links, subject, preheader,
 * HTML and text from the templates compiled once), per shipped template, against the baseline
 * many samples use: Handlebars over the MJML source, then MJML, for every recipient.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mjml2html from 'mjml';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { PERSONAS } from '#authoring/personas.ts';
import { composeEmail } from '#domain/compose-email.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { createTemplateEngine, TemplateRenderer } from '#domain/template-renderer.ts';
import { linkSigner } from '#signed-links/link-signer.ts';

export interface TemplateRenderRow {
  template: string;
  campaign: string;
  /** Per recipient, compose included (best round of CPU time). */
  precompiledMicros: number;
  mjmlPerRecipientMicros: number;
  speedup: number;
}

const NOW = '2026-10-10T09:00:00.000Z';
/** CPU time of this process in µs: on a shared machine wall time mostly measures the neighbours. */
export const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

export async function benchRendering(root: string, options: { recipients?: number; mjmlSample?: number; rounds?: number } = {}): Promise<TemplateRenderRow[]> {
  const recipients = options.recipients ?? 20_000;
  const rounds = options.rounds ?? 5;
  const mjmlSample = options.mjmlSample ?? 20;
  const catalog = await buildCatalog(projectPaths(root));
  const renderer = new TemplateRenderer(catalog.templates);
  const links = linkSigner('s'.repeat(40));
  const personas = PERSONAS.map((p) => p.profile(NOW));
  // Distinct customers (ids, emails, names) so nothing per recipient can be cached by accident.
  const profiles: CustomerProfile[] = Array.from({ length: recipients }, (_, i) => {
    const p = personas[i % personas.length]!;
    return { ...p, customerId: `${p.customerId}-${i}`, email: `c${i}@example.com`, ...(p.firstName ? { firstName: `${p.firstName}${i % 97}` } : {}) };
  });
  const hb = createTemplateEngine();
  // Each shipped template with the campaign (and variant, and language) that sends it, composed once and warmed.
  const cases = [];
  for (const template of catalog.templates) {
    const [base, language] = template.name.includes('.') ? template.name.split('.') as [string, string] : [template.name, undefined];
    const campaign = catalog.campaigns.find((c) => (c.template === base || c.variants.some((v) => v.template === base)) && (!language || language in c.locales));
    if (!campaign) continue;
    const variant = campaign.template === base ? campaign.variants[0]?.id : campaign.variants.find((v) => v.template === base)!.id;
    const local = language ? profiles.map((p) => ({ ...p, locale: language === 'ja' ? 'ja-JP' : `${language}-DE`, timeZone: language === 'ja' ? 'Asia/Tokyo' : 'Europe/Berlin' })) : profiles;
    const requests = local.map((p) => ({ ...buildSendRequest(campaign, p.customerId, NOW, 'schedule'), ...(variant ? { variant } : {}) }));
    const compose = (i: number) => composeEmail({ request: requests[i]!, campaign, profile: local[i]!, config: catalog.config, renderer, links, now: NOW });
    const first = compose(0);
    if (first.headers.find((h) => h.name === 'Content-Language')?.value !== (language ?? 'en')) throw new Error(`${template.name}: composed in the wrong language`);
    for (let i = 0; i < Math.min(2000, recipients); i++) compose(i); // warm the JIT, as a warm Lambda is
    cases.push({ template, language, campaign, local, compose, precompiledMicros: Infinity });
  }
  // Best of several rounds of CPU time: on a shared machine the neighbours only ever add to a round.
  // Each round goes through every template, so a slow spell of the machine costs one round of
  // each template instead of every round of one.
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      let bytes = 0;
      const t0 = cpuMicros();
      for (let i = 0; i < recipients; i++) bytes += c.compose(i).html.length;
      c.precompiledMicros = Math.min(c.precompiledMicros, (cpuMicros() - t0) / recipients);
      if (bytes === 0) throw new Error(`${c.template.name}: rendered nothing`);
    }
  }

  const rows: TemplateRenderRow[] = [];
  for (const { template, language, campaign, local, precompiledMicros } of cases) {
    // Baseline: the same composed email's fields through Handlebars over the MJML source, then MJML, per recipient.
    const file = join(root, 'templates', `${template.name}.mjml`);
    const source = hb.compile(readFileSync(file, 'utf8'));
    const t1 = cpuMicros();
    for (let i = 0; i < mjmlSample; i++) {
      const p = local[i]!;
      const context = { lang: language ?? 'en', customer: { ...p, name: p.firstName || 'there' }, shop: catalog.config.shop, campaign: { ...campaign, content: campaign.content }, lastOrder: p.lastOrder, cart: p.lastCart, links: { unsubscribe: 'u', preferences: 'p', shop: 's', referral: 'r' }, year: '2026', preheader: '' };
      await mjml2html(source(context), { filePath: file, validationLevel: 'skip', ignoreIncludes: false, includePath: join(root, 'templates') });
    }
    const mjmlPerRecipientMicros = (cpuMicros() - t1) / mjmlSample;
    rows.push({ template: template.name, campaign: campaign.id, precompiledMicros, mjmlPerRecipientMicros, speedup: mjmlPerRecipientMicros / precompiledMicros });
  }
  return rows;
}
