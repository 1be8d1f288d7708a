import type { Logger } from '@aws-lambda-powertools/logger';
import type { Campaign } from '#domain/campaign.ts';
import { checkEligibility, type Eligibility } from '#domain/campaign-choice.ts';
import type { Clock } from '#domain/clock.ts';
import { composeEmail } from '#domain/compose-email.ts';
import { customerFacts } from '#domain/customer-facts.ts';
import { type CustomerProfile, rememberRecentSend } from '#domain/customer-profile.ts';
import { isCapped, recordSend, releaseCapSlot, takeCapSlot } from '#domain/customer-sends.ts';
import { releaseTime } from '#domain/quiet-hours.ts';
import { holdoutFor, type HoldoutReason } from '#domain/holdout.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import { PAUSE_LOG_MESSAGE } from '#domain/deliverability-guardrail.ts';
import type { SendRequest } from '#domain/send-request.ts';
import { LifecycleStage } from '#domain/customer-profile.ts';
import type { Journey } from '#domain/journey.ts';
import type { JourneyEntryStore } from '#adapters/journey-entry-store.ts';
import type { TemplateRenderer } from '#domain/template-renderer.ts';
import type { CustomerStore } from '#adapters/customer-store.ts';
import type { FailedEventStore } from '#adapters/failed-event-store.ts';
import { type Mailer, RejectedSendError, RetryableSendError, SystemicSendError } from '#adapters/mailer.ts';
import type { PauseGate } from '#adapters/pause-gate.ts';
import { AlreadySentError, SendLedger } from '#adapters/send-ledger.ts';
import type { SendQueue } from '#adapters/send-queue.ts';
import { linkSigner } from '#signed-links/link-signer.ts';
import type { SigningKeys } from '#signed-links/signing-keys.ts';

export interface SendDeps {
  customers: CustomerStore;
  ledger: SendLedger;
  mailer: Mailer;
  failedEvents: FailedEventStore;
  /** Where a send that must wait goes back to (the send queue itself). */
  sendQueue: SendQueue;
  campaigns: ReadonlyMap<string, Campaign>;
  renderer: TemplateRenderer;
  config: MailerConfig;
  /** Links are signed with the current key. */
  signingKeys: SigningKeys;
  clock: Clock;
  logger: Logger;
  /** Deliverability guardrail: paused campaigns, and the day's send counts. */
  guardrail: PauseGate;
  /** Journeys by id and their entries: a journey step's send is checked against both. */
  journeys?: ReadonlyMap<string, Journey>;
  journeyEntries?: JourneyEntryStore;
}

/** How long after queueing a journey send may wait for its entry's write to land before it counts as moved on. */
export const JOURNEY_ENTRY_LEASE_SECONDS = 300;

/** The journey function queues a step's send just before it writes the entry: the write has not landed yet. */
export class JourneyEntryNotWrittenError extends Error {
  override readonly name = 'JourneyEntryNotWrittenError';
  constructor(readonly sendId: string) {
    super(`journey send ${sendId}: its entry does not show the send yet; retried after the visibility timeout`);
  }
}

/**
 * The campaign a send goes as. A journey step uses its step campaign's template, subject,
 * sender and variants, with the journey's audience topic and the journey's `enabled` (step
 * campaigns are disabled so they never go on their own). Any stage may receive it (the
 * journey chose the customer), and the step campaign's cooldown does not apply: the ledger
 * key (customer, journey, entry, step) already allows one send per entry and step.
 */
export function campaignForSend(request: SendRequest, deps: Pick<SendDeps, 'campaigns' | 'journeys'>): Campaign | undefined {
  const base = deps.campaigns.get(request.campaignId);
  if (!request.journey || !base) return base;
  const journey = deps.journeys?.get(request.journey.journeyId);
  if (!journey) return undefined;
  const { after: _after, ...audience } = base.audience;
  return { ...base, enabled: journey.enabled, audience: { ...audience, stages: [...LifecycleStage.options], conditions: [], topic: journey.audience.topic }, cooldown: { days: 0 } };
}

/** Why a journey step's send must not go now (its entry exited, was replaced, or moved on without it), if so. */
async function journeyRefusal(request: SendRequest, deps: SendDeps, now: string): Promise<string | undefined> {
  const step = request.journey;
  if (!step) return undefined;
  const entry = await deps.journeyEntries?.get(request.customerId, step.journeyId);
  if (entry?.entryId === step.entryId && entry.status === 'exited') return 'journey-exited';
  const shown = entry?.entryId === step.entryId && entry.history.some((h) => h.kind === 'send' && h.step === step.step);
  if (shown) return undefined;
  if (Date.parse(now) - Date.parse(request.queuedAt) < JOURNEY_ENTRY_LEASE_SECONDS * 1000) throw new JourneyEntryNotWrittenError(request.sendId);
  return 'journey-moved-on';
}

/**
 * How long a claim may belong to an attempt still running: the send function's timeout
 * (30 s: a sixth of the send queue's 180 s visibility timeout, see lib/lifecycle-mailer-construct.ts).
 * A claim older than this without a result belongs to an attempt that died.
 */
export const CLAIM_LEASE_SECONDS = 30;

/** Another attempt holds the claim and may be sending now: the message is retried later. */
export class SendInFlightError extends Error {
  override readonly name = 'SendInFlightError';
  constructor(
    readonly sendId: string,
    readonly claimedAt: string,
  ) {
    super(`send ${sendId} was claimed at ${claimedAt} by an attempt that may still be running; retried after the visibility timeout`);
  }
}

export type SendOutcome =
  | { outcome: 'sent'; messageId: string }
  | { outcome: 'deferred'; until: string }
  | { outcome: 'duplicate' }
  | { outcome: 'unknown' }
  /** Claimed by an attempt that crashed after SES took the message, as SES's own report on it shows. */
  | { outcome: 'confirmed' }
  | { outcome: 'skipped'; reason: string }
  /** The customer passed every check but is in the holdout or the control group: nothing was mailed, the ledger says 'held-out'. */
  | { outcome: 'held-out'; reason: HoldoutReason }
  | { outcome: 'rejected'; reason: string };

/**
 * Sends one queued email at most once. The ledger entry is claimed with a conditional
 * write before SES is called; a claim is only given back when SES certainly did not take
 * the message (it answered with a throttle or an error), so a retry may try again. A claim
 * whose SES result is unknown (timeout, crash) is never resent: the retry sets it aside in
 * the failed-events store for a person to check, and it counts as sent.
 *
 * Who may be mailed is checked again at send time (consent, suppression, stage, caps may have
 * changed since queueing), in the same conditional write that takes the customer's
 * frequency-cap slot, so two sends racing for one customer cannot both pass the cap.
 * A send that is early (SQS delays at most 15 minutes) or falls in the customer's quiet
 * hours goes back to the queue until it may go.
 */
export async function deliverSend(request: SendRequest, deps: SendDeps): Promise<SendOutcome> {
  const now = deps.clock.now();
  const log = { sendId: request.sendId, campaignId: request.campaignId, customerId: request.customerId };
  if (request.notBefore && Date.parse(request.notBefore) > Date.parse(now)) return defer(request, request.notBefore, deps);
  const campaign = campaignForSend(request, deps);
  if (campaign && deps.config.quietHours) {
    // The time zone travels with the request; only a request queued without one costs a read.
    const timeZone = request.timeZone ?? (await deps.customers.get(request.customerId))?.timeZone;
    const until = timeZone && releaseTime(campaign.id, timeZone, now, deps.config.quietHours);
    if (until) return defer(request, until, deps);
  }

  try {
    await deps.ledger.claim(request, now);
  } catch (error) {
    if (error instanceof AlreadySentError) {
      deps.logger.info('send already in ledger', { ...log, status: error.existing?.status });
      if (error.existing?.status === 'claimed' && Date.parse(now) - Date.parse(error.existing.claimedAt) < CLAIM_LEASE_SECONDS * 1000) {
        // Claimed moments ago: another copy of this message (SQS delivers at least once) may be sending it
        // right now. Try again after the queue's visibility timeout, when that attempt is over either way.
        throw new SendInFlightError(request.sendId, error.existing.claimedAt);
      }
      if (error.existing?.status === 'claimed' && SendLedger.sesReported(error.existing) && (await deps.ledger.confirmSentBySes(request.sendId, 'claimed', error.existing.claimedAt))) {
        // SES has reported on the message (delivered, bounced, complained): the attempt that claimed
        // it crashed after SES took it. It went out once; record it as that attempt would have.
        if (campaign) {
          await countForGuardrail(deps, campaign.id, error.existing.claimedAt, log);
          await recordSentToCustomer(deps, request, campaign, now);
        }
        deps.logger.info('send confirmed sent by SES after a lost result', log);
        return { outcome: 'confirmed' };
      }
      if (error.existing?.status === 'claimed' && (await deps.ledger.markUnknown(request.sendId))) {
        // Claimed but never marked sent: SES may or may not have taken it (a crash between the two).
        // Sending again could mail twice, so it is not resent: it is set aside once for a person to
        // check, and counts as sent for cooldowns and caps (the customer may well have it).
        const lastError = error.existing.attemptError ? ` (the attempt ended with ${error.existing.attemptError})` : '';
        const reason = `outcome unknown: claimed at ${error.existing.claimedAt} without a recorded SES result${lastError}; not resent (at most once)`;
        await deps.failedEvents.record('send', request.sendId, reason, request, now);
        if (campaign) await recordSentToCustomer(deps, request, campaign, now);
        return { outcome: 'unknown' };
      }
      return { outcome: 'duplicate' };
    }
    throw error;
  }

  // Not sent after all: give the period back, so the customer can get it once they qualify again.
  const skip = async (reason: string): Promise<SendOutcome> => {
    await deps.ledger.release(request.sendId);
    deps.logger.info('send skipped', { ...log, reason });
    return { outcome: 'skipped', reason };
  };

  if (!campaign || !campaign.enabled) return skip('campaign-disabled');
  // Until SES is called nothing can have gone out: a failure here gives the claim back first,
  // so the retry sends rather than setting the send aside as 'outcome unknown'.
  const beforeSes = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      await deps.ledger.release(request.sendId);
      throw error;
    }
  };
  // An order since the step was queued ends the entry: its send does not go.
  const refusal = await beforeSes(() => journeyRefusal(request, deps, now));
  if (refusal) return skip(refusal);
  // Bounces or complaints paused this campaign (or all marketing): nothing goes out until a person resumes it.
  if (await beforeSes(() => deps.guardrail.pauseFor(campaign))) return skip('paused');
  const rules = deps.config.frequency;
  // Drawn before the check, decided after it: a held-out customer goes through the same decision
  // (consent, suppression, caps), so held-out and mailed customers are alike but for the email.
  const heldOut = holdoutFor(
    {
      customerId: request.customerId,
      journeyId: request.journey?.journeyId,
      journeyHoldout: request.journey ? deps.journeys?.get(request.journey.journeyId)?.holdout : undefined,
      campaign,
    },
    { salt: deps.config.holdoutSalt, controlGroup: deps.config.controlGroup },
  );
  let verdict: Eligibility | undefined;
  const profile = await beforeSes(() =>
    deps.customers.modify(request.customerId, (p) => {
      if (!p) return undefined;
      verdict = checkEligibility(campaign, p, customerFacts(p, now), now, rules, request.sendId, sameEntry(request));
      if (!verdict.eligible) return undefined;
      // Held out: no cap slot (nothing is mailed), but the moment is noted for the report.
      if (heldOut) return { ...noteRecentSend(p, request, now), version: p.version + 1, updatedAt: now };
      if (!isCapped(campaign, rules)) return undefined;
      const withSlot = takeCapSlot(p, request.sendId, now, rules);
      return withSlot === p ? undefined : withSlot;
    }),
  );
  if (!profile) return skip('customer-unknown');
  if (!verdict?.eligible) return skip(verdict?.reason ?? 'customer-unknown');
  if (heldOut) {
    await deps.ledger.markHeldOut(request.sendId, heldOut, now);
    deps.logger.info('send held out', { ...log, reason: heldOut });
    return { outcome: 'held-out', reason: heldOut };
  }

  let messageId: string;
  try {
    const email = composeEmail({ request, campaign, profile, config: deps.config, renderer: deps.renderer, links: linkSigner(deps.signingKeys.current), now });
    messageId = await deps.mailer.send(email);
  } catch (error) {
    if (error instanceof RetryableSendError) {
      // Give the claim and the cap slot back only when SES certainly did not take the message;
      // otherwise the retry finds the claim and sets the send aside as 'outcome unknown'.
      if (error.accepted === 'no') {
        await deps.ledger.release(request.sendId);
        await releaseSlot(deps, request, now);
      } else {
        // Kept on the claim, so the 'outcome unknown' the retry sets aside says what happened.
        await deps.ledger.noteAttemptError(request.sendId, error.message).catch(() => false);
      }
      throw error;
    }
    if (error instanceof SystemicSendError) {
      // The account, not this message: never skipped for its period. The claim and the slot go
      // back, all marketing pauses (the pause alarm counts the log line), and the queue retries.
      await deps.ledger.release(request.sendId);
      await releaseSlot(deps, request, now);
      await pauseForAccount(deps, error, log);
      throw error;
    }
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await deps.ledger.markSkipped(request.sendId, error instanceof RejectedSendError ? 'rejected' : 'render-failed');
    await releaseSlot(deps, request, now);
    await deps.failedEvents.record('send', request.sendId, reason, request, now);
    deps.logger.error('send failed permanently', { ...log, error: error instanceof Error ? error.name : 'unknown' });
    return { outcome: 'rejected', reason };
  }

  await deps.ledger.markSent(request.sendId, messageId, now);
  await countForGuardrail(deps, campaign.id, now, log);
  // The profile as the eligibility check left it: no second read unless something changed it since.
  await recordSentToCustomer(deps, request, campaign, now, profile);
  deps.logger.info('sent', { ...log, messageId });
  return { outcome: 'sent', messageId };
}

/**
 * A journey entry's own sends do not hold each other to the minimum gap (the abandoned-cart
 * reminder comes 23 h after the first, inside a 48 h gap); they do count in the window cap.
 * Their send ids carry the entry's period, `<entry id>-steps…`.
 */
const sameEntry = (request: SendRequest) => (request.journey ? (sendId: string) => sendId.includes(`_${request.journey!.entryId}-steps`) : undefined);

/** Back to the queue until `until` (the queue applies what delay it can; an early arrival comes back here). */
async function defer(request: SendRequest, until: string, deps: SendDeps): Promise<SendOutcome> {
  await deps.sendQueue.enqueue([{ ...request, notBefore: until }]);
  deps.logger.debug('send deferred', { sendId: request.sendId, until });
  return { outcome: 'deferred', until };
}

/**
 * The denominator of the day's bounce and complaint rates. A lost count only makes the rates
 * look worse (more cautious), so it is logged rather than retried (a retry would not count it).
 */
async function countForGuardrail(deps: SendDeps, campaignId: string, sentAt: string, log: Record<string, string>): Promise<void> {
  await deps.guardrail.countSend(campaignId, sentAt).catch((error: unknown) => deps.logger.warn('send not counted for the guardrail', { ...log, error: error instanceof Error ? error.name : 'unknown' }));
}

/** Pauses all marketing for an SES account-level refusal; a failure to pause is logged, the send is retried either way. */
async function pauseForAccount(deps: SendDeps, error: SystemicSendError, log: Record<string, string>): Promise<void> {
  // SES's message stays out of the log (the pause record keeps it): only the error name is logged.
  const line = { ...log, scope: 'all-marketing', cause: 'ses-account', sesError: error.sesError };
  try {
    const started = await deps.guardrail.pauseAllMarketing({ sesError: error.sesError, message: error.message });
    if (started) deps.logger.warn(PAUSE_LOG_MESSAGE, line);
    else if (!deps.config.guardrail.enabled) deps.logger.warn(PAUSE_LOG_MESSAGE, { ...line, pauseNotStored: 'guardrail disabled' }); // still an alarm
    else deps.logger.info('SES refused the account; all marketing is paused already', line);
  } catch (pauseError) {
    // Still an alarm: the pause line is what the alarm counts, and the account is refusing.
    deps.logger.warn(PAUSE_LOG_MESSAGE, { ...line, pauseNotStored: pauseError instanceof Error ? pauseError.name : 'unknown' });
  }
}

/** SES did not take the message: the customer's cap slot is free again. */
async function releaseSlot(deps: SendDeps, request: SendRequest, now: string): Promise<void> {
  await deps.customers.modify(request.customerId, (p) => (p ? releaseCapSlot(p, request.sendId, now) : undefined));
}

/** Notes on the profile that the campaign went out (cooldowns, frequency cap, sunset); `known`: the profile as this send last saw it. */
async function recordSentToCustomer(deps: SendDeps, request: SendRequest, campaign: Campaign, now: string, known?: CustomerProfile): Promise<void> {
  await deps.customers.modify(request.customerId, (p: CustomerProfile | undefined) => (p ? noteRecentSend(recordSend(p, campaign, request.sendId, now, deps.config.frequency), request, now) : undefined), known);
}

/** The send (or held-out moment) on the profile's short list, which ingest's attribution reads. */
function noteRecentSend(p: CustomerProfile, request: SendRequest, now: string): CustomerProfile {
  return {
    ...p,
    recentSends: rememberRecentSend(p.recentSends, {
      sendId: request.sendId,
      campaignId: request.campaignId,
      ...(request.journey ? { journeyId: request.journey.journeyId, stepId: request.journey.step } : {}),
      at: now,
    }, now),
  };
}
