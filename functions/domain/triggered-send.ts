import type { Campaign } from './campaign.ts';
import { chooseCampaign } from './campaign-choice.ts';
import { customerFacts } from './customer-facts.ts';
import type { CustomerProfile } from './customer-profile.ts';
import type { MailerConfig } from './mailer-config.ts';
import { releaseTime } from './quiet-hours.ts';
import { buildSendRequest, type SendRequest } from './send-request.ts';
import type { ShopEventType } from './shop-events.ts';

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
  const ageHours = (Date.parse(now) - Date.parse(event.time)) / 3_600_000;
  const triggered = campaigns.filter(
    (c) => c.enabled && c.trigger.type === 'event' && c.trigger.event === event.type && ageHours <= c.trigger.maxEventAgeHours,
  );
  if (triggered.length === 0) return undefined;
  const { chosen } = chooseCampaign(triggered, profile, customerFacts(profile, now), now, config.frequency);
  if (!chosen) return undefined;
  const delayMs = chosen.trigger.type === 'event' ? chosen.trigger.delayMinutes * 60_000 : 0;
  const due = delayMs ? new Date(Date.parse(event.time) + delayMs).toISOString() : undefined;
  // Not in the customer's night: the send waits until their quiet hours end.
  const notBefore = releaseTime(chosen.id, profile.timeZone, due ?? now, config.quietHours) ?? due;
  return buildSendRequest(chosen, profile.customerId, now, 'event', notBefore, profile.timeZone);
}
