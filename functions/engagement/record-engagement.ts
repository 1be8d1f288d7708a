import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '#domain/clock.ts';
import { type CustomerProfile, rememberEventKey, type Suppression } from '#domain/customer-profile.ts';
import { recordInteraction, type Interaction } from '#domain/engagement.ts';
import { describeZodIssues } from '#domain/invalid-input-error.ts';
import { loyaltyScore } from '#domain/loyalty-score.ts';
import { SEND_TAGS, SesEvent, type SesEventDetail, tagValue } from '#domain/ses-events.ts';
import type { CustomerStore } from '#adapters/customer-store.ts';
import type { FailedEventStore } from '#adapters/failed-event-store.ts';
import type { SendLedger } from '#adapters/send-ledger.ts';

export interface EngagementDeps {
  customers: CustomerStore;
  ledger: SendLedger;
  failedEvents: FailedEventStore;
  clock: Clock;
  logger: Logger;
}

export type EngagementOutcome =
  | { outcome: 'recorded'; eventType: SesEventDetail['eventType']; customerId: string }
  | { outcome: 'duplicate' | 'ignored'; eventType: SesEventDetail['eventType'] }
  | { outcome: 'rejected'; reason: string };

function profileChange(detail: SesEventDetail): ((p: CustomerProfile, now: string) => CustomerProfile) | undefined {
  const withEngagement = (interaction: Interaction) => (p: CustomerProfile, now: string) => {
    const engagement = recordInteraction(p.engagement, interaction);
    return { ...p, engagement, loyaltyScore: loyaltyScore(p.rfm, engagement, now) };
  };
  const suppress = (suppression: Suppression) => (p: CustomerProfile) => (p.suppression ? p : { ...p, suppression });
  switch (detail.eventType) {
    case 'Open':
      return withEngagement({ kind: 'open', at: detail.open.timestamp, userAgent: detail.open.userAgent, ipAddress: detail.open.ipAddress });
    case 'Click':
      return withEngagement({ kind: 'click', at: detail.click.timestamp });
    case 'Bounce':
      // Transient bounces are retried by SES; only a permanent one means the address is gone.
      return detail.bounce.bounceType === 'Permanent'
        ? suppress({ reason: 'hard-bounce', at: detail.bounce.timestamp, detail: detail.bounce.bounceSubType })
        : undefined;
    case 'Complaint':
      return suppress({ reason: 'complaint', at: detail.complaint.timestamp });
    default:
      return undefined;
  }
}

/** The moment the event happened, for its idempotency key. */
function eventInstant(detail: SesEventDetail): string {
  switch (detail.eventType) {
    case 'Open':
      return detail.open.timestamp;
    case 'Click':
      return `${detail.click.timestamp}:${detail.click.link}`;
    case 'Bounce':
      return detail.bounce.timestamp;
    case 'Complaint':
      return detail.complaint.timestamp;
    default:
      return detail.mail.timestamp;
  }
}

/**
 * Turns an SES event back into the customer's profile: opens and clicks raise engagement
 * and loyalty, hard bounces and complaints suppress the address for good. Idempotent: a
 * redelivered event changes nothing.
 */
export async function recordEngagement(raw: unknown, deps: EngagementDeps): Promise<EngagementOutcome> {
  const now = deps.clock.now();
  const parsed = SesEvent.safeParse(raw);
  if (!parsed.success) {
    const reason = describeZodIssues(parsed.error).join('; ');
    const id = typeof raw === 'object' && raw && 'id' in raw ? String(raw.id) : 'unknown';
    await deps.failedEvents.record('engagement', id, reason, raw, now);
    return { outcome: 'rejected', reason };
  }
  const { detail } = parsed.data;
  const customerId = tagValue(detail.mail, SEND_TAGS.customer);
  const sendId = tagValue(detail.mail, SEND_TAGS.send);
  if (!customerId) {
    const reason = `no '${SEND_TAGS.customer}' tag on message ${detail.mail.messageId}`;
    await deps.failedEvents.record('engagement', parsed.data.id, reason, raw, now);
    return { outcome: 'rejected', reason };
  }

  if (detail.eventType === 'Delivery' && sendId) await deps.ledger.flag(sendId, 'delivered');
  const change = profileChange(detail);
  if (!change) return { outcome: 'ignored', eventType: detail.eventType };

  const key = `ses:${detail.mail.messageId}:${detail.eventType}:${eventInstant(detail)}`;
  let duplicate = false;
  const updated = await deps.customers.modify(customerId, (p) => {
    if (!p) return undefined;
    duplicate = p.recentEventKeys.includes(key);
    if (duplicate) return undefined;
    return { ...change(p, now), recentEventKeys: rememberEventKey(p.recentEventKeys, key), version: p.version + 1, updatedAt: now };
  });
  if (duplicate) return { outcome: 'duplicate', eventType: detail.eventType };
  if (!updated) {
    await deps.failedEvents.record('engagement', parsed.data.id, `unknown customer ${customerId}`, raw, now);
    return { outcome: 'rejected', reason: `unknown customer ${customerId}` };
  }
  if (sendId) {
    if (detail.eventType === 'Open') await deps.ledger.count(sendId, 'opens');
    if (detail.eventType === 'Click') await deps.ledger.count(sendId, 'clicks');
    if (detail.eventType === 'Bounce') await deps.ledger.flag(sendId, 'bounced');
    if (detail.eventType === 'Complaint') await deps.ledger.flag(sendId, 'complained');
  }
  deps.logger.debug('engagement recorded', { customerId, eventType: detail.eventType, sendId });
  return { outcome: 'recorded', eventType: detail.eventType, customerId };
}
