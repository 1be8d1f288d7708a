/**
 * Holdout assignment: which customers are kept unmailed so the report can compare them with
 * the mailed ones (uplift.ts). The draw is a keyed hash (HMAC-SHA256 under the config's
 * `holdoutSalt`) of the customer and the journey or campaign, so it is random across
 * customers, stable for a customer (every retry, every run, every machine draws the same),
 * and independent between journeys (a customer held out of one is not thereby held out of
 * another). The salt is not a secret: it only decides the draw, and changing it re-draws
 * everyone. The global control group (`controlGroup`) is one more draw, `control:<customer>`,
 * that holds a customer out of all marketing; transactional mail is never held out by it.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';

/** The default salt: any fixed string does; a shop may set its own to draw different groups. */
export const DEFAULT_HOLDOUT_SALT = 'lifecycle-mailer-holdout-v1';

/** A holdout share in percent: at most half, so the mailed group stays the larger. */
export const HoldoutPercent = z.number().min(0).max(50);

/** A uniform fraction in [0, 1) for a key under the salt: the first 48 bits of its HMAC-SHA256. */
export function holdoutFraction(salt: string, key: string): number {
  const digest = createHmac('sha256', salt).update(key).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** What a send is for, as the draw sees it. */
export type HoldoutScope = { journeyId: string } | { campaignId: string };

const drawKey = (scope: HoldoutScope, customerId: string) => ('journeyId' in scope ? `journey:${scope.journeyId}:${customerId}` : `campaign:${scope.campaignId}:${customerId}`);

/** Whether the customer is in the `percent` held out of this journey or campaign. */
export function isHeldOut(salt: string, scope: HoldoutScope, customerId: string, percent: number): boolean {
  return percent > 0 && holdoutFraction(salt, drawKey(scope, customerId)) < percent / 100;
}

/** Whether the customer is in the global control group (`percent` of all customers). */
export function isInControlGroup(salt: string, customerId: string, percent: number): boolean {
  return percent > 0 && holdoutFraction(salt, `control:${customerId}`) < percent / 100;
}

export type HoldoutReason = 'journey-holdout' | 'campaign-holdout' | 'control-group';

export interface HoldoutSettings {
  salt: string;
  controlGroup: number;
}

/**
 * Why a send is held out, or undefined when it goes. A journey step's send is drawn for the
 * journey (every step of a held-out entry is held out, so the whole journey is measured);
 * a campaign's for the campaign. The control group applies to marketing mail only.
 */
export function holdoutFor(
  send: { customerId: string; journeyId?: string | undefined; journeyHoldout?: number | undefined; campaign: { id: string; kind: 'marketing' | 'transactional'; holdout: number } },
  settings: HoldoutSettings,
): HoldoutReason | undefined {
  if (send.campaign.kind !== 'transactional' && isInControlGroup(settings.salt, send.customerId, settings.controlGroup)) return 'control-group';
  if (send.journeyId !== undefined) return isHeldOut(settings.salt, { journeyId: send.journeyId }, send.customerId, send.journeyHoldout ?? 0) ? 'journey-holdout' : undefined;
  return isHeldOut(settings.salt, { campaignId: send.campaign.id }, send.customerId, send.campaign.holdout) ? 'campaign-holdout' : undefined;
}
