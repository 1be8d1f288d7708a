import type { Campaign, CampaignCondition } from './campaign.ts';
import { type CustomerProfile, isSubscribed } from './customer-profile.ts';
import type { CustomerFacts } from './customer-facts.ts';
import { daysBetween } from './lifecycle-stage.ts';
import { blockingPause, type PauseRecord, type PauseScope } from './deliverability-guardrail.ts';
import type { FrequencyRules, MailerConfig } from './mailer-config.ts';
import { releaseTime } from './quiet-hours.ts';
import { holdoutFor } from './holdout.ts';

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

/** One rule of who may get a campaign, as it judged one customer. */
export interface RuleVerdict {
  /** The rule, in the marketer's words (stage, consent, cooldown…). */
  rule: string;
  passed: boolean;
  /** Why it passed or failed, for a person. */
  explanation: string;
  /** When it failed: the skip reason (and detail) the pipeline records. */
  failure?: { reason: SkipReason; detail?: string };
}

const fail = (rule: string, explanation: string, reason: SkipReason, detail?: string): RuleVerdict => ({ rule, passed: false, explanation, failure: { reason, ...(detail ? { detail } : {}) } });
const pass = (rule: string, explanation: string): RuleVerdict => ({ rule, passed: true, explanation });
const shown = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

/**
 * Every rule of whether a campaign may go to a customer now, each judged on its own (a
 * marketer sees all that stop a customer, not just the first). checkEligibility is the first
 * failing rule of this list, so the explanation and the pipeline cannot disagree.
 */
export function explainEligibility(
  campaign: Campaign,
  profile: CustomerProfile,
  facts: CustomerFacts,
  now: string,
  rules: FrequencyRules,
  /** At send time: the send being checked, whose own cap slot must not count against it. */
  sendId?: string,
  /** Earlier sends that do not hold this one to the minimum gap (a journey entry's own sends); they still count in the window. */
  gapExempt?: (sendId: string) => boolean,
): RuleVerdict[] {
  const verdicts: RuleVerdict[] = [];
  verdicts.push(profile.email ? pass('email address', 'has one') : fail('email address', 'no email address on file', 'no-email'));
  verdicts.push(
    profile.suppression
      ? fail('suppression', `suppressed: ${profile.suppression.reason} since ${profile.suppression.at}${profile.suppression.detail ? ` (${profile.suppression.detail})` : ''}`, 'suppressed', profile.suppression.reason)
      : pass('suppression', 'not suppressed'),
  );
  const marketing = campaign.kind === 'marketing';
  const topic = campaign.audience.topic;
  if (!marketing) verdicts.push(pass('consent and topic', `${campaign.kind} email: no marketing consent needed`));
  else if (!profile.consent.marketing) verdicts.push(fail('consent and topic', 'no marketing consent', 'no-consent'));
  else if (!isSubscribed(profile.consent, topic)) verdicts.push(fail('consent and topic', `not subscribed to the topic '${topic}'`, 'topic-unsubscribed', topic));
  else verdicts.push(pass('consent and topic', `consents to marketing and to '${topic}'`));
  verdicts.push(
    campaign.audience.stages.includes(profile.stage)
      ? pass('stage', `${profile.stage} is one of ${campaign.audience.stages.join(', ')}`)
      : fail('stage', `${profile.stage} is not one of ${campaign.audience.stages.join(', ')}`, 'stage', profile.stage),
  );
  for (const condition of campaign.audience.conditions) {
    const rule = `condition ${condition.field} ${condition.op}${condition.value === undefined ? '' : ` ${shown(condition.value)}`}`;
    verdicts.push(holds(condition, facts) ? pass(rule, `${condition.field} is ${shown(facts[condition.field])}`) : fail(rule, `${condition.field} is ${shown(facts[condition.field])}`, 'condition', `${condition.field} ${condition.op}`));
  }
  const after = campaign.audience.after;
  if (after) {
    const previous = profile.campaignsSent[after.campaign];
    const rule = `after ${after.campaign} (${after.days} days)`;
    if (!previous) verdicts.push(fail(rule, `never got ${after.campaign}`, 'condition', `after ${after.campaign}`));
    else if (daysBetween(previous, now) < after.days) verdicts.push(fail(rule, `got ${after.campaign} ${Math.floor(daysBetween(previous, now))} days ago`, 'condition', `after ${after.campaign}`));
    else verdicts.push(pass(rule, `got ${after.campaign} on ${previous}`));
  }
  const lastSent = profile.campaignsSent[campaign.id];
  if (!lastSent) verdicts.push(pass('cooldown', 'never got this campaign'));
  else if (campaign.cooldown === 'once') verdicts.push(fail('cooldown', `sent once only, and it went on ${lastSent}`, 'already-sent'));
  else if (daysBetween(lastSent, now) < campaign.cooldown.days)
    verdicts.push(fail('cooldown', `last sent ${lastSent}, ${Math.floor(daysBetween(lastSent, now))} of ${campaign.cooldown.days} cooldown days ago`, 'cooldown'));
  else verdicts.push(pass('cooldown', `last sent ${lastSent}, more than ${campaign.cooldown.days} days ago`));
  if (rules.exempt.includes(campaign.id)) verdicts.push(pass('frequency caps', 'exempt from the caps'));
  else {
    const capped = frequencyCapped(profile, now, rules, sendId, gapExempt);
    verdicts.push(
      capped
        ? fail('frequency caps', `capped: ${capped} (at most ${rules.maxPerWindow} in ${rules.windowDays} days, ${rules.minHoursBetweenMarketing} h apart)`, 'frequency-cap', capped)
        : pass('frequency caps', `under ${rules.maxPerWindow} in ${rules.windowDays} days and ${rules.minHoursBetweenMarketing} h since the last`),
    );
  }
  return verdicts;
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
  const failed = explainEligibility(campaign, profile, facts, now, rules, sendId, gapExempt).find((v) => !v.passed)?.failure;
  return failed ? { eligible: false, ...failed } : { eligible: true };
}

/**
 * What the send function checks again when the email is about to go (functions/send/deliver-send.ts):
 * the campaign still enabled, not paused by the deliverability guardrail, and not inside the
 * customer's quiet hours (where it waits rather than being skipped). Same domain functions.
 */
export function explainSendTime(
  campaign: Campaign,
  profile: Pick<CustomerProfile, 'timeZone' | 'customerId'>,
  now: string,
  config: Pick<MailerConfig, 'quietHours' | 'guardrail' | 'holdoutSalt' | 'controlGroup'>,
  pauses: ReadonlyMap<PauseScope, PauseRecord>,
): RuleVerdict[] {
  const verdicts: RuleVerdict[] = [campaign.enabled ? pass('campaign enabled', 'enabled') : { rule: 'campaign enabled', passed: false, explanation: 'disabled in its file: nothing is sent' }];
  const pause = config.guardrail.enabled ? blockingPause(campaign, pauses) : undefined;
  verdicts.push(pause ? fail('deliverability guardrail', `paused since ${pause.pausedAt}: ${pause.reason}`, 'paused') : pass('deliverability guardrail', config.guardrail.enabled ? 'not paused' : 'guardrail off'));
  const until = releaseTime(campaign.id, profile.timeZone, now, config.quietHours);
  verdicts.push(
    until
      ? { rule: 'quiet hours', passed: false, explanation: `inside the customer's quiet hours (${config.quietHours?.start}–${config.quietHours?.end}, ${profile.timeZone}): it waits until ${until}` }
      : pass('quiet hours', config.quietHours ? `outside ${config.quietHours.start}–${config.quietHours.end} in ${profile.timeZone}${config.quietHours.exempt.includes(campaign.id) ? ' (exempt)' : ''}` : 'none configured'),
  );
  // The send path's own draw: a held-out customer passes every rule and is recorded, not mailed.
  const heldOut = holdoutFor({ customerId: profile.customerId, campaign }, { salt: config.holdoutSalt, controlGroup: config.controlGroup });
  verdicts.push(
    heldOut
      ? {
          rule: 'holdout',
          passed: false,
          explanation:
            heldOut === 'control-group'
              ? `in the global control group (${config.controlGroup}% of customers): recorded as held out at send time, never mailed marketing`
              : `in this campaign's ${campaign.holdout}% holdout: recorded as held out at send time, not mailed, so the report can compare`,
        }
      : pass('holdout', campaign.holdout || config.controlGroup ? `mailed: not in the ${campaign.holdout}% holdout${config.controlGroup ? ` or the ${config.controlGroup}% control group` : ''}` : 'no holdout set'),
  );
  return verdicts;
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
