/**
 * The email composition as it was before rendering cached anything (formatters per locale,
 * campaign links, derived keys, compiled closures instead of Handlebars calls): copied from
 * functions/domain/compose-email.ts and template-renderer.ts of that commit, so a test can
 * compare today's output with it byte for byte. Not used by the product.
 */
import { createHmac } from 'node:crypto';
import Handlebars from 'handlebars';
import { type Campaign, campaignCopy, closestLocale, DEFAULT_LOCALE, localizedTemplateName } from '#domain/campaign.ts';
import type { LinkSigner, OutgoingEmail, TemplateContext } from '#domain/compose-email.ts';
import { MissingEmailError } from '#domain/compose-email.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import type { SendRequest } from '#domain/send-request.ts';
import { SEND_TAGS } from '#domain/ses-events.ts';
import type { CompiledTemplate } from '#domain/template-compiler-schema.ts';

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const mac = (payload: string, key: string | Buffer) => createHmac('sha256', key).update(payload).digest();
const sign = (parts: readonly unknown[], key: string | Buffer) => {
  const payload = b64(JSON.stringify(parts));
  return `${payload}.${b64(mac(payload, key))}`;
};
const purposeKey = (secret: string, purpose: string): Buffer => mac(`lifecycle-mailer/${purpose}-token/v1`, secret);

/** The link signer as it was: every key derived again for every link. */
export const referenceLinkSigner = (secret: string): LinkSigner => ({
  unsubscribe: (c) => sign(c.sendId ? [c.customerId, c.topic, c.expiresAt, c.sendId] : [c.customerId, c.topic, c.expiresAt], secret),
  confirm: (c) => sign([c.customerId, 'confirm', c.expiresAt], purposeKey(secret, 'confirm')),
  referral: (c) => sign([c.customerId, 'referral'], purposeKey(secret, 'referral')),
});

type Render = (context: object) => string;

/**
 * The project's own Handlebars helpers: the one definition the renderer registers and the
 * authoring checks accept (a name not here or in HANDLEBARS_BUILT_INS is a typo).
 */
const HELPERS = {
  money: (amount: unknown, currency: unknown, locale: unknown) => {
    const value = typeof amount === 'number' ? amount : Number(amount);
    const code = typeof currency === 'string' ? currency : 'USD';
    const loc = typeof locale === 'string' ? locale : 'en';
    try {
      return new Intl.NumberFormat(loc, { style: 'currency', currency: code }).format(value);
    } catch {
      return value.toFixed(2);
    }
  },
  /** A date (ISO instant) as the customer's language writes it, on their own calendar day: `{{date cart.abandonedAt customer.locale customer.timeZone}}`. */
  date: (value: unknown, locale: unknown, timeZone: unknown) => {
    const at = typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
    if (!at || Number.isNaN(at.getTime())) return '';
    const loc = typeof locale === 'string' ? locale : 'en';
    try {
      return new Intl.DateTimeFormat(loc, { dateStyle: 'long', ...(typeof timeZone === 'string' ? { timeZone } : {}) }).format(at);
    } catch {
      return at.toISOString().slice(0, 10);
    }
  },
  eq: (a: unknown, b: unknown) => a === b,
  gt: (a: unknown, b: unknown) => Number(a) > Number(b),
} as const;

function createEngine(): typeof Handlebars {
  const hb = Handlebars.create();
  for (const [name, helper] of Object.entries(HELPERS)) hb.registerHelper(name, helper);
  return hb;
}

/** Control characters (C0, DEL, C1) and Unicode line/paragraph separators: never in a one-line field. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/**
 * Renders emails from compiled templates. Each Handlebars function is built once per
 * process and reused; per recipient only the function call runs. HTML output escapes
 * every field; text output and subjects are plain text and are not HTML-escaped.
 */
export class ReferenceRenderer {
  private readonly engine = createEngine();
  private readonly html = new Map<string, Render>();
  private readonly text = new Map<string, Render>();
  private readonly inline = new Map<string, Render>();

  constructor(templates: readonly CompiledTemplate[]) {
    for (const t of templates) {
      this.html.set(t.name, this.engine.compile(t.html, { strict: false }));
      this.text.set(t.name, this.engine.compile(t.text, { noEscape: true }));
    }
  }

  has(template: string): boolean {
    return this.html.has(template);
  }

  renderBody(template: string, context: object): { html: string; text: string } {
    const html = this.html.get(template);
    const text = this.text.get(template);
    if (!html || !text) throw new Error(`no template ${template}`);
    return { html: html(context), text: text(context) };
  }

  /**
   * A one-line plain-text field (subject, preheader): rendered unescaped, with control
   * characters and line breaks (from customer data, say) turned into single spaces, so a
   * value can never start a new header line.
   */
  renderLine(source: string, context: object): string {
    let render = this.inline.get(source);
    if (!render) {
      render = this.engine.compile(source, { noEscape: true });
      this.inline.set(source, render);
    }
    return render(context).replace(CONTROL_CHARACTERS, ' ').replace(/ {2,}/g, ' ').trim();
  }
}

const withUtm = (url: string, campaignId: string) => {
  const u = new URL(url);
  u.searchParams.set('utm_source', 'lifecycle-mailer');
  u.searchParams.set('utm_medium', 'email');
  u.searchParams.set('utm_campaign', campaignId);
  return u.toString();
};

/** An absolute link to the shop's own site (UTM tags are for its analytics; other sites' links are left as written). */
const isShopLink = (value: string, shopUrl: string) => {
  if (!/^https?:\/\//.test(value)) return false;
  try {
    const host = new URL(value).hostname;
    const shopHost = new URL(shopUrl).hostname.replace(/^www\./, '');
    return host === shopHost || host.endsWith(`.${shopHost}`);
  } catch {
    return false;
  }
};

/**
 * A campaign's `content` as the template sees it: strings are Handlebars lines rendered for
 * this customer (plain text; the template escapes them when it prints them), and links to
 * the shop get the campaign's UTM tags.
 */
function renderContent(value: unknown, render: (source: string) => string, shopUrl: string, campaignId: string): unknown {
  if (typeof value === 'string') {
    if (isShopLink(value, shopUrl)) return withUtm(value, campaignId);
    return value.includes('{{') ? render(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => renderContent(v, render, shopUrl, campaignId));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderContent(v, render, shopUrl, campaignId)]));
  return value;
}

/** The customer's locale as a canonical BCP 47 tag (`en-us` → `en-US`); `en` when it is not one. */
const langTag = (locale: string) => {
  try {
    return Intl.getCanonicalLocales(locale)[0] ?? 'en';
  } catch {
    return 'en';
  }
};

/** The language an email to this customer is written in: the campaign's closest locale, else the default. */
const emailLocale = (campaign: Pick<Campaign, 'locales'>, customerLocale: string): string => closestLocale(customerLocale, Object.keys(campaign.locales)) ?? DEFAULT_LOCALE;

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Display name for a From header: quoted, with quotes and line breaks removed. */
const mailbox = (name: string, address: string) => `"${name.replace(/["\\\r\n]/g, '')}" <${address}>`;

/**
 * Signs the links an email carries. Built at the edge with the secret (functions/signed-links),
 * so the domain never holds a key.
 */

interface ComposeInput {
  request: SendRequest;
  campaign: Campaign;
  profile: CustomerProfile;
  config: MailerConfig;
  renderer: ReferenceRenderer;
  links: LinkSigner;
  now: string;
}

/** Renders one campaign for one customer. Pure: everything it needs is passed in. */
export function referenceComposeEmail({ request, campaign, profile, config, renderer, links, now }: ComposeInput): OutgoingEmail {
  if (!profile.email) throw new MissingEmailError(profile.customerId);
  const locale = emailLocale(campaign, profile.locale);
  const copy = campaignCopy(campaign, request.variant, locale === DEFAULT_LOCALE ? undefined : locale);
  // authoring checks that every campaign locale has its template file; the fallback keeps an older catalog sending.
  const localized = localizedTemplateName(copy.template, locale);
  const template = locale !== DEFAULT_LOCALE && renderer.has(localized) ? localized : copy.template;

  const expiresAt = epochSeconds(now) + config.sending.unsubscribeLinkDays * 86_400;
  const token = links.unsubscribe({ customerId: profile.customerId, topic: campaign.audience.topic, expiresAt, sendId: request.sendId });
  const unsubscribeUrl = `${config.sending.unsubscribeBaseUrl}?token=${token}`;
  const preferencesUrl = `${config.sending.unsubscribeBaseUrl}?token=${token}&view=preferences`;
  // Double opt-in: the link that confirms a pending sign-up (its own token kind, never an unsubscribe token).
  const confirmUrl = profile.consent.pending
    ? `${config.sending.unsubscribeBaseUrl}?confirm=${links.confirm({ customerId: profile.customerId, expiresAt: epochSeconds(now) + config.consent.confirmLinkDays * 86_400 })}`
    : undefined;

  const shopLink = withUtm(config.shop.url, campaign.id);
  const referralUrl = new URL(config.shop.url);
  referralUrl.searchParams.set('ref', links.referral({ customerId: profile.customerId }));
  const context: TemplateContext = {
    lang: closestLocale(profile.locale, [locale]) ? langTag(profile.locale) : locale,
    customer: {
      firstName: profile.firstName ?? '',
      lastName: profile.lastName ?? '',
      name: profile.firstName || 'there',
      locale: profile.locale,
      timeZone: profile.timeZone,
      stage: profile.stage,
      orderCount: profile.orderCount,
      favouriteCategory: profile.favouriteCategory ?? '',
      loyaltyScore: Math.round(profile.loyaltyScore),
    },
    shop: { ...config.shop, url: shopLink },
    campaign: { id: campaign.id, name: campaign.name, content: {} },
    ...(profile.lastOrder ? { lastOrder: profile.lastOrder } : {}),
    ...(profile.lastCart
      ? { cart: { ...profile.lastCart, url: withUtm(profile.lastCart.recoveryUrl ?? `${config.shop.url.replace(/\/$/, '')}/cart/${encodeURIComponent(profile.lastCart.cartId)}`, campaign.id) } }
      : {}),
    links: {
      unsubscribe: unsubscribeUrl,
      preferences: preferencesUrl,
      shop: shopLink,
      // No UTM tags: the VIP passes this link on, and the friend did not come from our email.
      referral: referralUrl.toString(),
      ...(confirmUrl ? { confirm: confirmUrl } : {}),
    },
    year: now.slice(0, 4),
    preheader: '',
  };
  // Content strings see everything but the content itself (no string can print another).
  const render = (source: string) => renderer.renderLine(source, context);
  context.campaign.content = Object.fromEntries(Object.entries(copy.content).map(([key, value]) => [key, renderContent(value, render, config.shop.url, campaign.id)]));
  context.preheader = renderer.renderLine(copy.preheader, context) || ' ';
  const subject = renderer.renderLine(copy.subject, context);
  const body = renderer.renderBody(template, context);

  return {
    from: mailbox(campaign.from.name, campaign.from.address),
    to: profile.email,
    ...(campaign.replyTo ? { replyTo: campaign.replyTo } : {}),
    subject,
    html: body.html,
    text: body.text,
    headers: [
      {
        name: 'List-Unsubscribe',
        value: config.sending.unsubscribeMailto
          ? `<${unsubscribeUrl}>, <mailto:${config.sending.unsubscribeMailto}?subject=unsubscribe%20${token}>`
          : `<${unsubscribeUrl}>`,
      },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
      { name: 'X-Campaign-Id', value: campaign.id },
      { name: 'X-Send-Id', value: request.sendId },
      { name: 'Content-Language', value: locale },
    ],
    tags: [
      { name: SEND_TAGS.campaign, value: campaign.id },
      { name: SEND_TAGS.customer, value: profile.customerId },
      { name: SEND_TAGS.variant, value: request.variant },
      { name: SEND_TAGS.send, value: request.sendId },
      // Which language went out, so engagement and reports can be read per language.
      { name: SEND_TAGS.locale, value: locale },
    ],
    configurationSet: config.sending.configurationSet,
  };
}
