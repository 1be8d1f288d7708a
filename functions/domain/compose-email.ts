import type { Campaign } from './campaign.ts';
import type { CustomerProfile } from './customer-profile.ts';
import type { MailerConfig } from './mailer-config.ts';
import type { SendRequest } from './send-request.ts';
import { SEND_TAGS } from './ses-events.ts';
import type { TemplateRenderer } from './template-renderer.ts';

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

const withUtm = (url: string, campaignId: string) => {
  const u = new URL(url);
  u.searchParams.set('utm_source', 'lifecycle-mailer');
  u.searchParams.set('utm_medium', 'email');
  u.searchParams.set('utm_campaign', campaignId);
  return u.toString();
};

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Display name for a From header: quoted, with quotes and line breaks removed. */
const mailbox = (name: string, address: string) => `"${name.replace(/["\\\r\n]/g, '')}" <${address}>`;

/**
 * Signs the links an email carries. Built at the edge with the secret (functions/signed-links),
 * so the domain never holds a key.
 */
export interface LinkSigner {
  unsubscribe(claim: { customerId: string; topic: string; expiresAt: number }): string;
  confirm(claim: { customerId: string; expiresAt: number }): string;
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
  const variant = campaign.variants.find((v) => v.id === request.variant);
  const template = variant?.template ?? campaign.template;

  const expiresAt = epochSeconds(now) + config.sending.unsubscribeLinkDays * 86_400;
  const token = links.unsubscribe({ customerId: profile.customerId, topic: campaign.audience.topic, expiresAt });
  const unsubscribeUrl = `${config.sending.unsubscribeBaseUrl}?token=${token}`;
  const preferencesUrl = `${config.sending.unsubscribeBaseUrl}?token=${token}&view=preferences`;
  // Double opt-in: the link that confirms a pending sign-up (its own token kind, never an unsubscribe token).
  const confirmUrl = profile.consent.pending
    ? `${config.sending.unsubscribeBaseUrl}?confirm=${links.confirm({ customerId: profile.customerId, expiresAt: epochSeconds(now) + config.consent.confirmLinkDays * 86_400 })}`
    : undefined;

  const shopLink = withUtm(config.shop.url, campaign.id);
  const context = {
    customer: {
      firstName: profile.firstName ?? '',
      lastName: profile.lastName ?? '',
      name: profile.firstName || 'there',
      locale: profile.locale,
      stage: profile.stage,
      orderCount: profile.orderCount,
      favouriteCategory: profile.favouriteCategory ?? '',
      loyaltyScore: Math.round(profile.loyaltyScore),
    },
    shop: { ...config.shop, url: shopLink },
    campaign: { id: campaign.id, name: campaign.name, content: campaign.content },
    cart: profile.lastCart
      ? { ...profile.lastCart, url: withUtm(profile.lastCart.recoveryUrl ?? `${config.shop.url.replace(/\/$/, '')}/cart/${encodeURIComponent(profile.lastCart.cartId)}`, campaign.id) }
      : undefined,
    links: { unsubscribe: unsubscribeUrl, preferences: preferencesUrl, shop: shopLink, ...(confirmUrl ? { confirm: confirmUrl } : {}) },
    year: now.slice(0, 4),
    preheader: '',
  };
  context.preheader = renderer.renderLine(variant?.preheader ?? campaign.preheader, context) || ' ';
  const subject = renderer.renderLine(variant?.subject ?? campaign.subject, context);
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
    ],
    tags: [
      { name: SEND_TAGS.campaign, value: campaign.id },
      { name: SEND_TAGS.customer, value: profile.customerId },
      { name: SEND_TAGS.variant, value: request.variant },
      { name: SEND_TAGS.send, value: request.sendId },
    ],
    configurationSet: config.sending.configurationSet,
  };
}
