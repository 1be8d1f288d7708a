import type { Campaign, CampaignCondition } from './campaign.ts';
import { type CustomerProfile, isSubscribed } from './customer-profile.ts';
import type { CustomerFacts } from './customer-facts.ts';
import { daysBetween } from './lifecycle-stage.ts';

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

export interface FrequencyRules {
  /** No two marketing emails to one customer closer than this (hours). */
  minHoursBetweenMarketing: number;
}

function holds(c: CampaignCondition, facts: CustomerFacts): boolean {
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
  if (marketing && profile.lastMarketingSentAt && daysBetween(profile.lastMarketingSentAt, now) * 24 < rules.minHoursBetweenMarketing)
    return { eligible: false, reason: 'frequency-cap' };
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
