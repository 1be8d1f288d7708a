import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { PERSONAS } from '#authoring/personas.ts';
import type { Campaign } from '#domain/campaign.ts';
import { composeEmail, emailLocale, type OutgoingEmail } from '#domain/compose-email.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { linkSigner } from '#signed-links/link-signer.ts';
import type { WorkbenchData } from './data.ts';
import type { ProjectSnapshot } from './project-state.ts';

/** What the preview (and a test send) renders: a campaign, as one persona or customer, in a variant and a locale. */
export const EmailChoice = z.object({
  campaign: z.string().max(100).optional(),
  persona: z.string().max(100).optional(),
  customer: z.string().max(200).optional(),
  variant: z.string().max(40).optional(),
  /** Overrides the recipient's own locale (empty: their own). */
  locale: z.string().max(40).optional(),
});
export type EmailChoice = z.infer<typeof EmailChoice>;

/**
 * Links in previews and test sends are signed with a key of this process only: they can be
 * looked at, but no test email can ever unsubscribe a real customer.
 */
const PREVIEW_LINKS = linkSigner(randomBytes(32).toString('hex'));

export type RenderedChoice =
  | { ok: true; email: OutgoingEmail; campaign: Campaign; profile: CustomerProfile; variant: string; locale: string; who: string; notes: string[] }
  | { ok: false; status: 400 | 404 | 409; message: string };

/**
 * Renders through the path the send function uses (the precompiled catalog, TemplateRenderer,
 * composeEmail), so the preview is what would be sent.
 */
export async function renderChoice(snapshot: ProjectSnapshot, data: WorkbenchData | undefined, choice: EmailChoice, now: string): Promise<RenderedChoice> {
  const { catalog, renderer } = snapshot;
  if (!catalog || !renderer) return { ok: false, status: 409, message: 'the project has problems (listed above): fix them and the preview comes back by itself' };
  const campaign = catalog.campaigns.find((c) => c.id === (choice.campaign || catalog.campaigns[0]?.id));
  if (!campaign) return { ok: false, status: 404, message: `no campaign '${choice.campaign}'` };
  const notes: string[] = [];
  let profile: CustomerProfile;
  let who: string;
  if (choice.customer) {
    const found = await data?.customer(choice.customer);
    if (!found) return { ok: false, status: 404, message: `no customer '${choice.customer}' in the tables` };
    profile = found;
    who = `customer ${found.customerId}`;
  } else {
    const persona = PERSONAS.find((p) => p.id === (choice.persona || campaign.audience.stages[0]));
    if (!persona) return { ok: false, status: 404, message: `no persona '${choice.persona}'` };
    profile = persona.profile(now);
    who = `persona ${persona.id}`;
  }
  if (!profile.email) {
    notes.push('This customer has no email address: nothing would be sent to them. Shown with a placeholder address.');
    profile = { ...profile, email: 'no-address@example.invalid' };
  }
  if (choice.locale) profile = { ...profile, locale: choice.locale };
  const variants = campaign.variants.map((v) => v.id);
  const request = buildSendRequest(campaign, profile.customerId, now, campaign.trigger.type);
  const variant = choice.variant && variants.includes(choice.variant) ? choice.variant : request.variant;
  if (choice.variant && !variants.includes(choice.variant) && choice.variant !== 'default') notes.push(`No variant '${choice.variant}': showing ${variant}.`);
  const email = composeEmail({ request: { ...request, variant }, campaign, profile, config: catalog.config, renderer, links: PREVIEW_LINKS, now });
  return { ok: true, email, campaign, profile, variant, locale: emailLocale(campaign, profile.locale), who, notes };
}

/** The display name of a From header (`"Shop" <a@b>` → Shop). */
export const fromName = (from: string) => /^"(.*)" </.exec(from)?.[1] ?? from;
