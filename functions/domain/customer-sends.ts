import type { Campaign } from './campaign.ts';
import type { CustomerProfile } from './customer-profile.ts';
import { daysBetween } from './lifecycle-stage.ts';
import type { FrequencyRules } from './mailer-config.ts';

/** Whether a campaign's sends count against (and are held to) the global frequency caps. */
export const isCapped = (campaign: Pick<Campaign, 'id'>, rules: Pick<FrequencyRules, 'exempt'>) => !rules.exempt.includes(campaign.id);

/** Slots older than both the window and the minimum gap can no longer cap anything. */
const keepDays = (rules: FrequencyRules) => Math.max(rules.windowDays, rules.minHoursBetweenMarketing / 24);

/**
 * Takes a cap slot for a send (idempotent: a send holds at most one). Taken before SES is
 * called, inside the same conditional write that re-checks eligibility, so two sends racing
 * for one customer cannot both pass the cap.
 */
export function takeCapSlot(profile: CustomerProfile, sendId: string, now: string, rules: FrequencyRules): CustomerProfile {
  if (profile.cappedSends.some((s) => s.sendId === sendId)) return profile;
  const kept = profile.cappedSends.filter((s) => daysBetween(s.at, now) < keepDays(rules));
  return { ...profile, cappedSends: [...kept, { sendId, at: now }], version: profile.version + 1, updatedAt: now };
}

/** Gives a slot back: SES certainly did not take the message. Undefined when there was none. */
export function releaseCapSlot(profile: CustomerProfile, sendId: string, now: string): CustomerProfile | undefined {
  if (!profile.cappedSends.some((s) => s.sendId === sendId)) return undefined;
  return { ...profile, cappedSends: profile.cappedSends.filter((s) => s.sendId !== sendId), version: profile.version + 1, updatedAt: now };
}

/**
 * Notes on the profile that a campaign went out (or may have: an unknown SES outcome counts
 * as sent): cooldowns, the cap slot, and the sunset suppression of a last campaign.
 */
export function recordSend(profile: CustomerProfile, campaign: Campaign, sendId: string, now: string, rules: FrequencyRules): CustomerProfile {
  const capped = isCapped(campaign, rules);
  const withSlot = capped ? takeCapSlot(profile, sendId, now, rules) : profile;
  return {
    ...withSlot,
    campaignsSent: { ...profile.campaignsSent, [campaign.id]: now },
    ...(capped ? { lastMarketingSentAt: now } : {}),
    ...(campaign.suppressAfterSend && !profile.suppression ? { suppression: { reason: 'sunset' as const, at: now, detail: campaign.id } } : {}),
    version: profile.version + 1,
    updatedAt: now,
  };
}
