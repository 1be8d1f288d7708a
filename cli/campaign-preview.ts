import { PERSONAS, personaById } from '#authoring/personas.ts';
import { DynamoCustomerStore } from '#adapters/customer-store.ts';
import type { Campaign } from '#domain/campaign.ts';
import type { Catalog } from '#domain/catalog.ts';
import { composeEmail, type OutgoingEmail } from '#domain/compose-email.ts';
import type { CustomerProfile, LifecycleStage } from '#domain/customer-profile.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { TemplateRenderer } from '#domain/template-renderer.ts';
import { linkSigner } from '#signed-links/link-signer.ts';
import { UsageError } from './errors.ts';
import { openTable } from './local-tables.ts';

export interface PreviewOptions {
  /** A persona id from authoring/personas.ts (default: the typical customer of the stage). */
  persona?: string;
  /** A real customer, as read from the local tables (see loadCustomer). */
  customer?: CustomerProfile;
  /** Overrides the customer's stage (default: the persona's, or the campaign's first audience stage). */
  stage?: LifecycleStage;
  /** A variant id of the campaign (default: the one the customer is assigned to). */
  variant?: string;
  /** Overrides the customer's locale. */
  locale?: string;
}

export interface Preview {
  email: OutgoingEmail;
  /** Who it was rendered for, in words: "persona 'growing' (a typical growing customer)". */
  recipient: string;
  stage: LifecycleStage;
  variant: string;
  locale: string;
}

export function campaignById(catalog: Catalog, campaignId: string): Campaign {
  const campaign = catalog.campaigns.find((c) => c.id === campaignId);
  if (!campaign) throw new UsageError(`unknown campaign '${campaignId}' (campaigns: ${catalog.campaigns.map((c) => c.id).join(', ')})`);
  return campaign;
}

/** The variant ids a campaign can be previewed in ('default' when it has none). */
const variantIds = (campaign: Campaign): string[] => (campaign.variants.length ? campaign.variants.map((v) => v.id) : ['default']);

/** Renders a campaign for a persona or a real customer, exactly as the send function would (composeEmail). */
export function previewCampaign(catalog: Catalog, campaignId: string, options: PreviewOptions = {}, now = new Date().toISOString()): Preview {
  const campaign = campaignById(catalog, campaignId);
  if (options.persona && options.customer) throw new UsageError('give either --persona or --customer, not both');
  if (options.variant !== undefined && !variantIds(campaign).includes(options.variant)) {
    throw new UsageError(`campaign ${campaign.id} has no variant '${options.variant}' (variants: ${variantIds(campaign).join(', ')})`);
  }
  let base: CustomerProfile;
  let recipient: string;
  if (options.customer) {
    base = options.customer;
    recipient = `customer ${base.customerId}`;
  } else {
    // The typical customer of the stage the campaign is for, unless a persona is named.
    const persona = options.persona ? personaById(options.persona) : (PERSONAS.find((p) => p.id === (options.stage ?? campaign.audience.stages[0])) ?? PERSONAS[0]!);
    const profile = persona.profile(now);
    // A campaign for sign-ups awaiting confirmation (double opt-in) is previewed with a pending sign-up, so its link shows.
    const pending = campaign.audience.conditions.some((c) => c.field === 'consentPending' && c.value === true);
    base = pending ? { ...profile, consent: { ...profile.consent, pending: { requestedAt: now, topics: [] } } } : profile;
    recipient = `persona '${persona.id}' (${persona.description})`;
  }
  const profile: CustomerProfile = { ...base, ...(options.stage ? { stage: options.stage } : {}), ...(options.locale ? { locale: options.locale } : {}) };
  const request = buildSendRequest(campaign, profile.customerId, now, 'schedule');
  const variant = options.variant ?? request.variant;
  const email = composeEmail({
    request: { ...request, variant },
    campaign,
    profile,
    config: catalog.config,
    renderer: new TemplateRenderer(catalog.templates),
    links: linkSigner('preview-only-secret-preview-only-secret'),
    now,
  });
  return { email, recipient, stage: profile.stage, variant, locale: profile.locale };
}

/** Reads one customer's profile from the local tables of the last run (`npm start` under dataDir). */
export async function loadCustomer(dataDir: string, customerId: string): Promise<CustomerProfile> {
  const open = await openTable({ dataDir }, 'customers');
  try {
    const profile = await new DynamoCustomerStore(open.db, open.tableName).get(customerId);
    if (!profile) throw new UsageError(`--customer ${customerId}: no such customer in ${open.where}`);
    return profile;
  } finally {
    await open.close();
  }
}
