import type { Campaign } from './campaign.ts';
import { chooseCampaign, type SkipReason } from './campaign-choice.ts';
import { customerFacts } from './customer-facts.ts';
import type { CustomerProfile } from './customer-profile.ts';
import type { MailerConfig } from './mailer-config.ts';
import { releaseTime } from './quiet-hours.ts';
import { buildSendRequest, type SendRequest } from './send-request.ts';
import type { ShopEventType } from './shop-events.ts';

/** What a shop event triggered for a customer: the send to queue, if any, and why each other triggered campaign was not chosen. */
export interface TriggeredChoice {
  request?: SendRequest;
  skipped: { campaignId: string; reason: SkipReason }[];
}

/**
 * The send a shop event triggers for a customer, if any: the highest-priority campaign
 * triggered by that event type that the customer is eligible for now, due after the
 * campaign's delay (counted from the event) and outside the customer's quiet hours.
 * Events older than a campaign's `maxEventAgeHours` (late deliveries, history) trigger nothing.
 */
export function triggeredSend(
  campaigns: readonly Campaign[],
  event: { type: ShopEventType; time: string },
  profile: CustomerProfile,
  now: string,
  config: Pick<MailerConfig, 'frequency' | 'quietHours'>,
): SendRequest | undefined {
  return triggeredChoice(campaigns, event, profile, now, config).request;
}

/** `triggeredSend`, with the reasons the triggered campaigns not chosen were not (for the run's per-campaign counts). */
export function triggeredChoice(
  campaigns: readonly Campaign[],
  event: { type: ShopEventType; time: string },
  profile: CustomerProfile,
  now: string,
  config: Pick<MailerConfig, 'frequency' | 'quietHours'>,
): TriggeredChoice {
  const ageHours = (Date.parse(now) - Date.parse(event.time)) / 3_600_000;
  const triggered = campaigns.filter(
    (c) => c.enabled && c.trigger.type === 'event' && c.trigger.event === event.type && ageHours <= c.trigger.maxEventAgeHours,
  );
  if (triggered.length === 0) return { skipped: [] };
  const { chosen, skipped } = chooseCampaign(triggered, profile, customerFacts(profile, now), now, config.frequency);
  const reasons = skipped.map((s) => ({ campaignId: s.campaignId, reason: s.reason }));
  if (!chosen) return { skipped: reasons };
  const delayMs = chosen.trigger.type === 'event' ? chosen.trigger.delayMinutes * 60_000 : 0;
  const due = delayMs ? new Date(Date.parse(event.time) + delayMs).toISOString() : undefined;
  // Not in the customer's night: the send waits until their quiet hours end.
  const notBefore = releaseTime(chosen.id, profile.timeZone, due ?? now, config.quietHours) ?? due;
  return { request: buildSendRequest(chosen, profile.customerId, now, 'event', notBefore, profile.timeZone), skipped: reasons };
}
