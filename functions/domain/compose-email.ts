import { z } from 'zod';
import { type Campaign, campaignCopy, closestLocale, DEFAULT_LOCALE, localizedTemplateName } from './campaign.ts';
import { CartSnapshot, type CustomerProfile, LifecycleStage, OrderSnapshot } from './customer-profile.ts';
import type { MailerConfig } from './mailer-config.ts';
import type { SendRequest } from './send-request.ts';
import { SEND_TAGS } from './ses-events.ts';
import type { TemplateRenderer } from './template-renderer.ts';
import { pairMemo } from './pair-memo.ts';

/** A fully rendered email, ready for the mailer. */
export interface OutgoingEmail {
  from: string;
  to: string;
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  headers: { name: string; value: string }[];
  tags: { name: string; value: string }[];
  configurationSet: string;
}

export class MissingEmailError extends Error {
  override readonly name = 'MissingEmailError';
  constructor(readonly customerId: string) {
    super(`customer ${customerId} has no email address`);
  }
}

/**
 * What every template, subject, preheader and `content` string can print. composeEmail builds
 * exactly this type and `campaigns validate` checks every field a template names against it,
 * so the check and the code cannot drift apart. `campaign.content` is the campaign's own
 * `content:` (checked per campaign).
 */
export const TemplateContext = z.object({
  /**
   * The language the email is written in, as a BCP 47 tag for `<mjml lang>` (screen readers,
   * hyphenation): the customer's own tag (ja-JP) when the email is in their language, else `en`.
   */
  lang: z.string(),
  customer: z.object({
    firstName: z.string(),
    lastName: z.string(),
    /** The first name, or "there" ("Hi there") when the customer gave none. */
    name: z.string(),
    locale: z.string(),
    /** IANA time zone, for the `date` helper (a date on the customer's own calendar). */
    timeZone: z.string(),
    stage: LifecycleStage,
    orderCount: z.number(),
    favouriteCategory: z.string(),
    loyaltyScore: z.number(),
  }),
  shop: z.object({ name: z.string(), url: z.string(), postalAddress: z.string(), supportEmail: z.string(), currency: z.string() }),
  campaign: z.object({ id: z.string(), name: z.string(), content: z.record(z.string(), z.unknown()) }),
  /** The customer's latest order, if any (post-purchase mail names what was bought). */
  lastOrder: OrderSnapshot.optional(),
  /** The last abandoned cart, if any. */
  cart: CartSnapshot.extend({ url: z.string() }).optional(),
  links: z.object({
    unsubscribe: z.string(),
    preferences: z.string(),
    shop: z.string(),
    /** The shop with this customer's signed referral code (VIP referral asks). */
    referral: z.string(),
    /** Double opt-in: present only while the customer's sign-up waits for confirmation. */
    confirm: z.string().optional(),
  }),
  year: z.string(),
  preheader: z.string(),
});
export type TemplateContext = z.infer<typeof TemplateContext>;

/**
 * Remembers what is the same for every recipient (a campaign's links, a locale's tag): parsing
 * URLs and locales per email cost more than the rest of composing it. Capped, as the keys can
 * come from customer data (locales).
 */
function memo<R>(fn: (a: string) => R, cap?: number): (a: string) => R;
function memo<R>(fn: (a: string, b: string) => R, cap?: number): (a: string, b: string) => R;
function memo<R>(fn: (a: string, b: string) => R, cap = 10_000): (a: string, b: string) => R {
  return pairMemo(fn, cap);
}

const withUtm = (url: string, campaignId: string) => {
  const u = new URL(url);
  u.searchParams.set('utm_source', 'lifecycle-mailer');
  u.searchParams.set('utm_medium', 'email');
  u.searchParams.set('utm_campaign', campaignId);
  return u.toString();
};
/** withUtm for the links that are the same for every recipient of a campaign (the shop, its content's links). */
const campaignLink = memo(withUtm);

/** An absolute link to the shop's own site (UTM tags are for its analytics; other sites' links are left as written). */
const isShopLink = memo((value: string, shopUrl: string) => {
  if (!/^https?:\/\//.test(value)) return false;
  try {
    const host = new URL(value).hostname;
    const shopHost = new URL(shopUrl).hostname.replace(/^www\./, '');
    return host === shopHost || host.endsWith(`.${shopHost}`);
  } catch {
    return false;
  }
});

/**
 * A campaign's `content` as the template sees it: strings are Handlebars lines rendered for
 * this customer (plain text; the template escapes them when it prints them), and links to
 * the shop get the campaign's UTM tags.
 */
function renderContent(value: unknown, render: (source: string) => string, shopUrl: string, campaignId: string): unknown {
  if (typeof value === 'string') {
    if (isShopLink(value, shopUrl)) return campaignLink(value, campaignId);
    return value.includes('{{') ? render(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => renderContent(v, render, shopUrl, campaignId));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderContent(v, render, shopUrl, campaignId)]));
  return value;
}

/** The customer's locale as a canonical BCP 47 tag (`en-us` → `en-US`); `en` when it is not one. */
const langTag = memo((locale: string) => {
  try {
    return Intl.getCanonicalLocales(locale)[0] ?? 'en';
  } catch {
    return 'en';
  }
});

/** Characters URLSearchParams leaves as they are: a code made only of them is appended as written. */
const FORM_SAFE = /^[A-Za-z0-9._-]*$/;
/** The shop URL with `?ref=<code>`, as URL.searchParams.set writes it; parsed once per shop URL. */
const referralBase = memo((shopUrl: string) => {
  const u = new URL(shopUrl);
  return u.search || u.hash ? undefined : `${u.href}?ref=`;
});
const referralLink = (shopUrl: string, code: string) => {
  const base = referralBase(shopUrl);
  if (base !== undefined && FORM_SAFE.test(code)) return base + code;
  const u = new URL(shopUrl);
  u.searchParams.set('ref', code);
  return u.toString();
};

/** The language an email to this customer is written in: the campaign's closest locale, else the default. */
export const emailLocale = (campaign: Pick<Campaign, 'locales'>, customerLocale: string): string => closestLocale(customerLocale, Object.keys(campaign.locales)) ?? DEFAULT_LOCALE;

/** emailLocale, once per campaign and customer locale (canonicalizing a locale costs ~2 µs). Capped per campaign: locales come from customer data. */
const emailLocales = new WeakMap<Campaign['locales'], Map<string, string>>();
function cachedEmailLocale(campaign: Campaign, customerLocale: string): string {
  let byLocale = emailLocales.get(campaign.locales);
  if (!byLocale) emailLocales.set(campaign.locales, (byLocale = new Map()));
  let locale = byLocale.get(customerLocale);
  if (locale === undefined) {
    locale = emailLocale(campaign, customerLocale);
    if (byLocale.size < 1000) byLocale.set(customerLocale, locale);
  }
  return locale;
}

/** `<mjml lang>`: the customer's own tag when the email is in their language, else the email's language. */
const emailLang = memo((customerLocale: string, locale: string) => (closestLocale(customerLocale, [locale]) ? langTag(customerLocale) : locale));

/** What one campaign, variant and language compose with, for every recipient alike; built once. */
interface CompositionPlan {
  copy: ReturnType<typeof campaignCopy>;
  template: string;
  /** Whether anything the email prints can name the referral link: signing it is a whole HMAC, skipped when nothing can print it. */
  printsReferral: boolean;
  /** The rendered `content` when no string in it has a field (the same for every recipient, whatever the subject prints). */
  fixedContent?: Record<string, unknown>;
}
const plans = new WeakMap<TemplateRenderer, WeakMap<Campaign, Map<string, CompositionPlan>>>();
/** The plan the last email used, checked first: a send run composes one campaign, variant and language for many recipients in a row. */
let lastPlan: { campaign: Campaign; variant: string; locale: string; renderer: TemplateRenderer; shopUrl: string; plan: CompositionPlan } | undefined;
function compositionPlan(campaign: Campaign, variant: string, locale: string, renderer: TemplateRenderer, shopUrl: string): CompositionPlan {
  const last = lastPlan;
  if (last && last.campaign === campaign && last.variant === variant && last.locale === locale && last.renderer === renderer && last.shopUrl === shopUrl) return last.plan;
  const plan = plannedComposition(campaign, variant, locale, renderer, shopUrl);
  lastPlan = { campaign, variant, locale, renderer, shopUrl, plan };
  return plan;
}
function plannedComposition(campaign: Campaign, variant: string, locale: string, renderer: TemplateRenderer, shopUrl: string): CompositionPlan {
  let byCampaign = plans.get(renderer);
  if (!byCampaign) plans.set(renderer, (byCampaign = new WeakMap()));
  let byKey = byCampaign.get(campaign);
  if (!byKey) byCampaign.set(campaign, (byKey = new Map()));
  const key = `${variant}\u0000${locale}\u0000${shopUrl}`;
  const known = byKey.get(key);
  if (known) return known;
  const copy = campaignCopy(campaign, variant, locale === DEFAULT_LOCALE ? undefined : locale);
  // authoring checks that every campaign locale has its template file; the fallback keeps an older catalog sending.
  const localized = localizedTemplateName(copy.template, locale);
  const template = locale !== DEFAULT_LOCALE && renderer.has(localized) ? localized : copy.template;
  const lines = JSON.stringify([copy.subject, copy.preheader, copy.content]);
  // Conservative: any mention of the word, or a `lookup` that could build the path from data, signs it.
  const printsReferral = renderer.mentions(template, /referral|lookup/) || /referral|lookup/.test(lines);
  // Only the content's own strings decide: a field in the subject or preheader does not make the content differ per recipient.
  const fixedContent = JSON.stringify(copy.content).includes('{{')
    ? undefined
    : Object.fromEntries(Object.entries(copy.content).map(([k, v]) => [k, renderContent(v, () => '', shopUrl, campaign.id)]));
  const plan: CompositionPlan = { copy, template, printsReferral, ...(fixedContent ? { fixedContent } : {}) };
  if (byKey.size < 1000) byKey.set(key, plan);
  return plan;
}

/** Characters a path segment and a form value keep as written. */
const SEGMENT_SAFE = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
/** `?utm_…` exactly as withUtm appends it to a URL without a query. */
const utmQuery = memo((campaignId: string) => {
  const tagged = withUtm('https://x.invalid/', campaignId);
  return tagged.slice(tagged.indexOf('?'));
});
/** The shop's cart URL up to the cart id, as the URL parser writes it, or undefined when the shop URL has a query or fragment. */
const cartBase = memo((shopUrl: string) => {
  const u = new URL(`${shopUrl.replace(/\/$/, '')}/cart/x`);
  return u.search || u.hash || !u.href.endsWith('/cart/x') ? undefined : u.href.slice(0, -1);
});
/** The abandoned cart's link with the campaign's UTM tags; built from strings when parsing would not change them. */
function cartLink(cart: NonNullable<CustomerProfile['lastCart']>, shopUrl: string, campaignId: string): string {
  if (cart.recoveryUrl === undefined && SEGMENT_SAFE.test(cart.cartId) && FORM_SAFE.test(campaignId)) {
    const base = cartBase(shopUrl);
    if (base !== undefined) return base + cart.cartId + utmQuery(campaignId);
  }
  return withUtm(cart.recoveryUrl ?? `${shopUrl.replace(/\/$/, '')}/cart/${encodeURIComponent(cart.cartId)}`, campaignId);
}

const epochSeconds = memo((iso: string) => Math.floor(Date.parse(iso) / 1000), 100);

/** Display name for a From header: quoted, with quotes and line breaks removed. */
const mailbox = memo((name: string, address: string) => `"${name.replace(/["\\\r\n]/g, '')}" <${address}>`);

/** The shop as templates see it, with the campaign's shop link: one object per shop and link, shared by its recipients (templates only read it). */
const campaignShops = new WeakMap<MailerConfig['shop'], Map<string, TemplateContext['shop']>>();
function campaignShop(shop: MailerConfig['shop'], url: string): TemplateContext['shop'] {
  let byUrl = campaignShops.get(shop);
  if (!byUrl) campaignShops.set(shop, (byUrl = new Map()));
  let value = byUrl.get(url);
  if (!value) {
    value = { ...shop, url };
    if (byUrl.size < 1000) byUrl.set(url, value);
  }
  return value;
}

/**
 * Signs the links an email carries. Built at the edge with the secret (functions/signed-links),
 * so the domain never holds a key.
 */
export interface LinkSigner {
  /** `sendId` names the email the link is in, so its use can be counted against that send. */
  unsubscribe(claim: { customerId: string; topic: string; expiresAt: number; sendId?: string }): string;
  confirm(claim: { customerId: string; expiresAt: number }): string;
  /** A code naming the customer as referrer, for the link a VIP shares with friends. */
  referral(claim: { customerId: string }): string;
}

export interface ComposeInput {
  request: SendRequest;
  campaign: Campaign;
  profile: CustomerProfile;
  config: MailerConfig;
  renderer: TemplateRenderer;
  links: LinkSigner;
  now: string;
}

/** Renders one campaign for one customer. Pure: everything it needs is passed in. */
export function composeEmail({ request, campaign, profile, config, renderer, links, now }: ComposeInput): OutgoingEmail {
  if (!profile.email) throw new MissingEmailError(profile.customerId);
  const locale = cachedEmailLocale(campaign, profile.locale);
  const { copy, template, printsReferral, fixedContent } = compositionPlan(campaign, request.variant, locale, renderer, config.shop.url);

  const expiresAt = epochSeconds(now) + config.sending.unsubscribeLinkDays * 86_400;
  const token = links.unsubscribe({ customerId: profile.customerId, topic: campaign.audience.topic, expiresAt, sendId: request.sendId });
  const unsubscribeUrl = `${config.sending.unsubscribeBaseUrl}?token=${token}`;
  const preferencesUrl = `${config.sending.unsubscribeBaseUrl}?token=${token}&view=preferences`;
  // Double opt-in: the link that confirms a pending sign-up (its own token kind, never an unsubscribe token).
  const confirmUrl = profile.consent.pending
    ? `${config.sending.unsubscribeBaseUrl}?confirm=${links.confirm({ customerId: profile.customerId, expiresAt: epochSeconds(now) + config.consent.confirmLinkDays * 86_400 })}`
    : undefined;

  const shopLink = campaignLink(config.shop.url, campaign.id);
  // Not printed anywhere in this email: the link is left empty rather than signed for nothing.
  const referralUrl = printsReferral ? referralLink(config.shop.url, links.referral({ customerId: profile.customerId })) : '';
  const context: TemplateContext = {
    lang: emailLang(profile.locale, locale),
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
    shop: campaignShop(config.shop, shopLink),
    campaign: { id: campaign.id, name: campaign.name, content: {} },
    links: {
      unsubscribe: unsubscribeUrl,
      preferences: preferencesUrl,
      shop: shopLink,
      // No UTM tags: the VIP passes this link on, and the friend did not come from our email.
      referral: referralUrl,
    },
    year: now.slice(0, 4),
    preheader: '',
  };
  // Set after the literal, not spread into it: V8 builds a spread-into object slowly and reads it slowly after.
  if (confirmUrl) context.links.confirm = confirmUrl;
  if (profile.lastOrder) context.lastOrder = profile.lastOrder;
  if (profile.lastCart) context.cart = Object.assign({}, profile.lastCart, { url: cartLink(profile.lastCart, config.shop.url, campaign.id) });
  // Content strings see everything but the content itself (no string can print another).
  context.campaign.content =
    fixedContent ?? Object.fromEntries(Object.entries(copy.content).map(([key, value]) => [key, renderContent(value, (source) => renderer.renderLine(source, context), config.shop.url, campaign.id)]));
  context.preheader = renderer.renderLine(copy.preheader, context) || ' ';
  const subject = renderer.renderLine(copy.subject, context);
  const body = renderer.renderBody(template, context);

  const email: OutgoingEmail = {
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
  return email;
}
