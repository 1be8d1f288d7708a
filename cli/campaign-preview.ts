import type { Catalog } from '#domain/catalog.ts';
import { composeEmail, type OutgoingEmail } from '#domain/compose-email.ts';
import { newProfile } from '#domain/customer-profile.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { TemplateRenderer } from '#domain/template-renderer.ts';
import { linkSigner } from '#signed-links/link-signer.ts';

/** Renders a campaign for a sample customer, exactly as the send function would. */
export function previewCampaign(catalog: Catalog, campaignId: string, now = new Date().toISOString()): OutgoingEmail {
  const campaign = catalog.campaigns.find((c) => c.id === campaignId);
  if (!campaign) throw new Error(`no campaign '${campaignId}' (have: ${catalog.campaigns.map((c) => c.id).join(', ')})`);
  const blank = newProfile('preview-customer', now);
  // A campaign for sign-ups awaiting confirmation (double opt-in) is previewed with a pending sign-up, so its link shows.
  const pending = campaign.audience.conditions.some((c) => c.field === 'consentPending' && c.value === true);
  const profile = {
    ...blank,
    ...(pending ? { consent: { ...blank.consent, pending: { requestedAt: now, topics: [] } } } : {}),
    email: 'preview@example.com',
    firstName: 'Zoë',
    lastName: 'Müller',
    locale: 'en-US',
    orderCount: 5,
    favouriteCategory: 'tea',
    stage: campaign.audience.stages[0]!,
    lastCart: { cartId: 'cart-preview', value: 46.5, abandonedAt: now, items: [{ sku: 'TEA-003', name: 'Matcha Ceremonial', quantity: 1, price: 32 }, { sku: 'TEA-001', name: 'Sencha Green Tea', quantity: 1, price: 14.5 }] },
  };
  return composeEmail({
    request: buildSendRequest(campaign, profile.customerId, now, 'schedule'),
    campaign,
    profile,
    config: catalog.config,
    renderer: new TemplateRenderer(catalog.templates),
    links: linkSigner('preview-only-secret-preview-only-secret'),
    now,
  });
}
