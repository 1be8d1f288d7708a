import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '#domain/clock.ts';
import { type CustomerProfile, rememberEventKey, type Suppression } from '#domain/customer-profile.ts';
import { isMachineOpen, recordInteraction, type Interaction } from '#domain/engagement.ts';
import { sendingDay } from '#domain/deliverability-guardrail.ts';
import { describeZodIssues } from '#domain/invalid-input-error.ts';
import { loyaltyScore } from '#domain/loyalty-score.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import { SEND_TAGS, SesEvent, type SesEventDetail, tagValue } from '#domain/ses-events.ts';
import type { CustomerStore } from '#adapters/customer-store.ts';
import type { DeliverabilityStore } from '#adapters/deliverability-store.ts';
import type { FailedEventStore } from '#adapters/failed-event-store.ts';
import type { EngagementFlag, SendLedger } from '#adapters/send-ledger.ts';
import { judgeDeliverability } from './judge-deliverability.ts';

export interface EngagementDeps {
  customers: CustomerStore;
  ledger: SendLedger;
  failedEvents: FailedEventStore;
  deliverability: DeliverabilityStore;
  config: Pick<MailerConfig, 'guardrail'>;
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
    case 'Bounce': {
      const at = detail.bounce.timestamp;
      // SES's own suppression list refused the address: honour its reason.
      if (detail.bounce.bounceSubType === 'OnAccountSuppressionList' || detail.bounce.bounceSubType === 'Suppressed')
        return suppress({ reason: 'ses-suppression-list', at, detail: detail.bounce.bounceSubType });
      if (detail.bounce.bounceType === 'Permanent') return suppress({ reason: 'hard-bounce', at, detail: detail.bounce.bounceSubType });
      // A transient bounce may clear; repeated ones without a delivery in between mean the mailbox is dead.
      return (p) => {
        const softBounces = p.softBounces + 1;
        const next = { ...p, softBounces, softBouncedAt: p.softBouncedAt && Date.parse(p.softBouncedAt) > Date.parse(at) ? p.softBouncedAt : new Date(at).toISOString() };
        return softBounces >= SOFT_BOUNCES_BEFORE_SUPPRESSION ? suppress({ reason: 'soft-bounces', at, detail: `${softBounces} transient bounces` })(next) : next;
      };
    }
    case 'Delivery': {
      // A delivery older than the latest transient bounce (late, or delivered again) clears nothing.
      const at = detail.delivery.timestamp;
      return (p) => (p.softBounces && !(p.softBouncedAt && Date.parse(p.softBouncedAt) >= Date.parse(at)) ? { ...p, softBounces: 0 } : p);
    }
    case 'Subscription': {
      const prefs = detail.subscription.newTopicPreferences;
      if (!prefs) return undefined;
      return (p, now) => {
        const optedOut = prefs.topicSubscriptionStatus.filter((t) => t.subscriptionStatus === 'OptOut').map((t) => t.topicName);
        const optedIn = new Set(prefs.topicSubscriptionStatus.filter((t) => t.subscriptionStatus === 'OptIn').map((t) => t.topicName));
        const unsubscribedTopics = [...new Set([...p.consent.unsubscribedTopics, ...optedOut])].filter((t) => !optedIn.has(t));
        return { ...p, consent: { ...p.consent, marketing: p.consent.marketing && !prefs.unsubscribeAll, unsubscribedTopics, updatedAt: now } };
      };
    }
    case 'Complaint':
      return suppress({ reason: 'complaint', at: detail.complaint.timestamp });
    default:
      return undefined;
  }
}

export const SOFT_BOUNCES_BEFORE_SUPPRESSION = 3;

/**
 * A click or a person's open of a recent send, noted on that send in the profile's list: the
 * touches ingest's last-touch attribution reads. A machine open is no touch (it never attributes).
 */
function withTouch(p: CustomerProfile, sendId: string, detail: SesEventDetail): CustomerProfile {
  let field: 'lastClickAt' | 'lastHumanOpenAt';
  let at: string;
  if (detail.eventType === 'Click') [field, at] = ['lastClickAt', detail.click.timestamp];
  else if (detail.eventType === 'Open' && !isMachineOpen(detail.open.userAgent, detail.open.ipAddress)) [field, at] = ['lastHumanOpenAt', detail.open.timestamp];
  else return p;
  if (!p.recentSends.some((s) => s.sendId === sendId)) return p;
  return {
    ...p,
    recentSends: p.recentSends.map((s) => {
      const seen = s[field];
      return s.sendId === sendId && !(seen && seen >= at) ? { ...s, [field]: at } : s;
    }),
  };
}

/** What makes an SES event unique (message, type, moment): its idempotency key. */
export const sesEventKey = (detail: SesEventDetail): string => `ses:${detail.mail.messageId}:${detail.eventType}:${eventInstant(detail)}`;

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
    case 'Delivery':
      return detail.delivery.timestamp;
    case 'Subscription':
      return detail.subscription.timestamp;
    default:
      return detail.mail.timestamp;
  }
}

/** The event's detail, when it is a valid SES event that names its customer. */
function customerDetail(raw: unknown): SesEventDetail | undefined {
  const parsed = SesEvent.safeParse(raw);
  return parsed.success && tagValue(parsed.data.detail.mail, SEND_TAGS.customer) ? parsed.data.detail : undefined;
}

/** It mirrors recordEngagement's steps below: no deliverability count (bounce, complaint), no ledger flag (delivery of a send), no profile change. */
const changesNothingIn = (detail: SesEventDetail) =>
  detail.eventType !== 'Bounce' && detail.eventType !== 'Complaint' && detail.eventType !== 'Delivery' && profileChange(detail) === undefined;

/**
 * An SES event recordEngagement reads and writes nothing for (a Send, a Reject, a delivery
 * delay…, each with its customer tag): it is 'ignored' however often it comes, so it needs no
 * idempotency record.
 */
export function changesNothing(raw: unknown): boolean {
  const detail = customerDetail(raw);
  return detail !== undefined && changesNothingIn(detail);
}

/**
 * An SES event handled without an idempotency record: one that changes nothing, or a Delivery,
 * which is safe to handle again. Its ledger flag is a SET, its confirmation of a send whose
 * outcome was unknown is a conditional move that happens once (and so does the guardrail count
 * that follows it), and its reset of the soft-bounce count undoes only bounces older than itself.
 * Every message has one, so this spares the record's two writes on the commonest SES event.
 */
export function needsNoRecord(raw: unknown): boolean {
  const detail = customerDetail(raw);
  return detail !== undefined && (detail.eventType === 'Delivery' || changesNothingIn(detail));
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

  // The guardrail counts every bounce and complaint, whatever the profile makes of it
  // (an address suppressed already still counts in SES's rates).
  if (detail.eventType === 'Bounce' || detail.eventType === 'Complaint') await judgeDeliverability(detail, deps, now);
  if (detail.eventType === 'Delivery' && sendId) await flagSend(sendId, 'delivered', detail, deps, now);
  const change = profileChange(detail);
  if (!change) return { outcome: 'ignored', eventType: detail.eventType };

  const key = sesEventKey(detail);
  let duplicate = false;
  let unchanged = false;
  let known = false;
  await deps.customers.modify(customerId, (p) => {
    known = p !== undefined;
    if (!p) return undefined;
    duplicate = p.recentEventKeys.includes(key);
    if (duplicate) return undefined;
    const changed = change(p, now);
    unchanged = changed === p; // e.g. a delivery when nothing had bounced: no write
    if (unchanged) return undefined;
    const next = sendId ? withTouch(changed, sendId, detail) : changed;
    return { ...next, recentEventKeys: rememberEventKey(p.recentEventKeys, key), version: p.version + 1, updatedAt: now };
  });
  if (duplicate) return { outcome: 'duplicate', eventType: detail.eventType };
  if (unchanged) return { outcome: 'ignored', eventType: detail.eventType };
  if (!known) {
    await deps.failedEvents.record('engagement', parsed.data.id, `unknown customer ${customerId}`, raw, now);
    return { outcome: 'rejected', reason: `unknown customer ${customerId}` };
  }
  if (sendId) {
    if (detail.eventType === 'Open') {
      await deps.ledger.count(sendId, 'opens', isMachineOpen(detail.open.userAgent, detail.open.ipAddress) ? 'machineOpens' : 'humanOpens');
    }
    if (detail.eventType === 'Click') await deps.ledger.count(sendId, 'clicks');
    if (detail.eventType === 'Bounce') await flagSend(sendId, 'bounced', detail, deps, now);
    if (detail.eventType === 'Complaint') await flagSend(sendId, 'complained', detail, deps, now);
  }
  deps.logger.debug('engagement recorded', { customerId, eventType: detail.eventType, sendId });
  return { outcome: 'recorded', eventType: detail.eventType, customerId };
}

/**
 * Notes SES's report on the send's ledger entry. A send the send function had to set aside
 * as 'outcome unknown' (it crashed, or SES's answer was lost, after the call) is now known to
 * have gone out: its entry becomes 'sent', confirmed by SES, and it joins the day's sends
 * for the guardrail (the customer's profile counted it as sent already).
 */
async function flagSend(sendId: string, flag: EngagementFlag, detail: SesEventDetail, deps: EngagementDeps, now: string): Promise<void> {
  const entry = await deps.ledger.flag(sendId, flag, detail.mail.messageId);
  if (entry?.status !== 'unknown') return;
  if (!(await deps.ledger.confirmSentBySes(sendId, 'unknown', detail.mail.timestamp))) return;
  if (deps.config.guardrail.enabled) await deps.deliverability.countSend(entry.campaignId, sendingDay(detail.mail.timestamp), now);
  deps.logger.info('send with an unknown outcome confirmed sent by SES', { sendId, campaignId: entry.campaignId, customerId: entry.customerId, eventType: detail.eventType });
}
