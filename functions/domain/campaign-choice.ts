import type { Campaign, CampaignCondition } from './campaign.ts';
import { type CustomerProfile, isSubscribed } from './customer-profile.ts';
import type { CustomerFacts } from './customer-facts.ts';
import { daysBetween } from './lifecycle-stage.ts';
import type { FrequencyRules } from './mailer-config.ts';

export const SKIP_REASONS = [
  'no-email',
  'suppressed',
  'no-consent',
  'topic-unsubscribed',
  'stage',
  'condition',
  'cooldown',
  'already-sent',
  'frequency-cap',
  'lower-priority',
  /** The deliverability guardrail paused the campaign (or all marketing). */
  'paused',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type Eligibility = { eligible: true } | { eligible: false; reason: SkipReason; detail?: string };

export type { FrequencyRules };

/** Capped sends to the customer within the last `days` before `now`, other than `exceptSendId` (the send being checked). */
export const cappedSendsWithin = (profile: CustomerProfile, now: string, days: number, exceptSendId?: string) =>
  profile.cappedSends.filter((s) => s.sendId !== exceptSendId && daysBetween(s.at, now) < days);

/** Why the global caps stop one more capped send now (a rolling-window count, a minimum gap), if they do. */
function frequencyCapped(profile: CustomerProfile, now: string, rules: FrequencyRules, exceptSendId?: string, gapExempt?: (sendId: string) => boolean): string | undefined {
  const recent = cappedSendsWithin(profile, now, rules.windowDays, exceptSendId);
  if (recent.length >= rules.maxPerWindow) return `${recent.length} in ${rules.windowDays} days`;
  const others = profile.cappedSends.filter((s) => s.sendId !== exceptSendId && !gapExempt?.(s.sendId)).map((s) => s.at);
  // The last marketing send is one of the capped sends: when that one is exempt from the gap, so is this mark.
  const lastIsExempt = gapExempt !== undefined && profile.cappedSends.some((s) => s.at === profile.lastMarketingSentAt && gapExempt(s.sendId));
  const last = [...others, ...(profile.lastMarketingSentAt && !lastIsExempt ? [profile.lastMarketingSentAt] : [])].sort().at(-1);
  if (last && daysBetween(last, now) * 24 < rules.minHoursBetweenMarketing) return `within ${rules.minHoursBetweenMarketing} h`;
  return undefined;
}

export function holds(c: CampaignCondition, facts: CustomerFacts): boolean {
  const actual = facts[c.field];
  const v = c.value;
  switch (c.op) {
    case 'exists':
      return actual !== null && actual !== undefined;
    case 'in':
      return Array.isArray(v) && v.includes(actual);
    case 'notIn':
      return Array.isArray(v) && !v.includes(actual);
    case 'eq':
      return actual === v;
    case 'ne':
      return actual !== v;
  }
  if (actual === null || v === null || v === undefined || Array.isArray(v)) return false;
  switch (c.op) {
    case 'gt':
      return actual > v;
    case 'gte':
      return actual >= v;
    case 'lt':
      return actual < v;
    case 'lte':
      return actual <= v;
  }
}

/** Whether a campaign may go to a customer now, and if not, the first reason why not. */
export function checkEligibility(
  campaign: Campaign,
  profile: CustomerProfile,
  facts: CustomerFacts,
  now: string,
  rules: FrequencyRules,
  /** At send time: the send being checked, whose own cap slot must not count against it. */
  sendId?: string,
  /** Earlier sends that do not hold this one to the minimum gap (a journey entry's own sends); they still count in the window. */
  gapExempt?: (sendId: string) => boolean,
): Eligibility {
  if (!profile.email) return { eligible: false, reason: 'no-email' };
  if (profile.suppression) return { eligible: false, reason: 'suppressed', detail: profile.suppression.reason };
  const marketing = campaign.kind === 'marketing';
  if (marketing && !profile.consent.marketing) return { eligible: false, reason: 'no-consent' };
  const topic = campaign.audience.topic;
  if (marketing && !isSubscribed(profile.consent, topic)) return { eligible: false, reason: 'topic-unsubscribed', detail: topic };
  if (!campaign.audience.stages.includes(profile.stage)) return { eligible: false, reason: 'stage', detail: profile.stage };
  for (const condition of campaign.audience.conditions) {
    if (!holds(condition, facts)) return { eligible: false, reason: 'condition', detail: `${condition.field} ${condition.op}` };
  }
  const after = campaign.audience.after;
  if (after) {
    const previous = profile.campaignsSent[after.campaign];
    if (!previous || daysBetween(previous, now) < after.days) return { eligible: false, reason: 'condition', detail: `after ${after.campaign}` };
  }
  const lastSent = profile.campaignsSent[campaign.id];
  if (lastSent) {
    if (campaign.cooldown === 'once') return { eligible: false, reason: 'already-sent' };
    if (daysBetween(lastSent, now) < campaign.cooldown.days) return { eligible: false, reason: 'cooldown' };
  }
  if (!rules.exempt.includes(campaign.id)) {
    const capped = frequencyCapped(profile, now, rules, sendId, gapExempt);
    if (capped) return { eligible: false, reason: 'frequency-cap', detail: capped };
  }
  return { eligible: true };
}

export interface CampaignChoice {
  chosen?: Campaign;
  skipped: { campaignId: string; reason: SkipReason; detail?: string }[];
}

/**
 * A customer gets at most one lifecycle campaign per run: the highest-priority eligible
 * one (ties broken by id, so the choice is stable). Every other campaign records why not.
 */
export function chooseCampaign(
  campaigns: readonly Campaign[],
  profile: CustomerProfile,
  facts: CustomerFacts,
  now: string,
  rules: FrequencyRules,
): CampaignChoice {
  const ordered = [...campaigns].sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
  const choice: CampaignChoice = { skipped: [] };
  for (const campaign of ordered) {
    const result = checkEligibility(campaign, profile, facts, now, rules);
    if (!result.eligible) {
      choice.skipped.push({ campaignId: campaign.id, reason: result.reason, ...(result.detail ? { detail: result.detail } : {}) });
    } else if (choice.chosen) {
      choice.skipped.push({ campaignId: campaign.id, reason: 'lower-priority', detail: choice.chosen.id });
    } else {
      choice.chosen = campaign;
    }
  }
  return choice;
}
