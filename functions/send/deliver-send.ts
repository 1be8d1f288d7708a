import type { Logger } from '@aws-lambda-powertools/logger';
import type { Campaign } from '#domain/campaign.ts';
import { checkEligibility } from '#domain/campaign-choice.ts';
import type { Clock } from '#domain/clock.ts';
import { composeEmail } from '#domain/compose-email.ts';
import { customerFacts } from '#domain/customer-facts.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import type { SendRequest } from '#domain/send-request.ts';
import type { TemplateRenderer } from '#domain/template-renderer.ts';
import type { CustomerStore } from '#adapters/customer-store.ts';
import type { FailedEventStore } from '#adapters/failed-event-store.ts';
import { type Mailer, RejectedSendError, RetryableSendError } from '#adapters/mailer.ts';
import type { PauseGate } from '#adapters/pause-gate.ts';
import { AlreadySentError, type SendLedger } from '#adapters/send-ledger.ts';

export interface SendDeps {
  customers: CustomerStore;
  ledger: SendLedger;
  mailer: Mailer;
  failedEvents: FailedEventStore;
  campaigns: ReadonlyMap<string, Campaign>;
  renderer: TemplateRenderer;
  config: MailerConfig;
  unsubscribeSecret: string;
  clock: Clock;
  logger: Logger;
  /** Deliverability guardrail: paused campaigns, and the day's send counts. */
  guardrail: PauseGate;
}

export type SendOutcome =
  | { outcome: 'sent'; messageId: string }
  | { outcome: 'duplicate' }
  | { outcome: 'unknown' }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'rejected'; reason: string };

/**
 * Sends one queued email at most once. The ledger entry is claimed with a conditional
 * write before SES is called; a claim is only given back when SES certainly did not take
 * the message (it answered with a throttle or an error), so a retry may try again. A claim
 * whose SES result is unknown (timeout, crash) is never resent: the retry sets it aside in
 * the failed-events store for a person to check. Eligibility
 * is checked again at send time: the customer may have unsubscribed or bought meanwhile.
 */
export async function deliverSend(request: SendRequest, deps: SendDeps): Promise<SendOutcome> {
  const now = deps.clock.now();
  const log = { sendId: request.sendId, campaignId: request.campaignId, customerId: request.customerId };
  try {
    await deps.ledger.claim(request, now);
  } catch (error) {
    if (error instanceof AlreadySentError) {
      deps.logger.info('send already in ledger', { ...log, status: error.existing?.status });
      if (error.existing?.status === 'claimed' && (await deps.ledger.markUnknown(request.sendId))) {
        // Claimed but never marked sent: SES may or may not have taken it (a crash between the two).
        // Sending again could mail twice, so it is not resent: it is set aside once for a person to
        // check, and counts as sent for cooldowns (the customer may well have it).
        const reason = `outcome unknown: claimed at ${error.existing.claimedAt} without a recorded SES result; not resent (at most once)`;
        await deps.failedEvents.record('send', request.sendId, reason, request, now);
        await recordSentToCustomer(deps, request.customerId, deps.campaigns.get(request.campaignId), now);
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

  const campaign = deps.campaigns.get(request.campaignId);
  if (!campaign || !campaign.enabled) return skip('campaign-disabled');
  // Bounces or complaints paused this campaign (or all marketing): nothing goes out until a person resumes it.
  // A failed read gives the claim back first, so the retry may send rather than set the send aside as unknown.
  const paused = await deps.guardrail.pauseFor(campaign).catch(async (error: unknown) => {
    await deps.ledger.release(request.sendId);
    throw error;
  });
  if (paused) return skip('paused');
  const profile = await deps.customers.get(request.customerId);
  if (!profile) return skip('customer-unknown');
  // Who may be mailed is checked again now: consent, suppression, stage and caps may have changed since queueing.
  const eligibility = checkEligibility(campaign, profile, customerFacts(profile, now), now, deps.config.frequency);
  if (!eligibility.eligible) return skip(eligibility.reason);

  let messageId: string;
  try {
    const email = composeEmail({ request, campaign, profile, config: deps.config, renderer: deps.renderer, unsubscribeSecret: deps.unsubscribeSecret, now });
    messageId = await deps.mailer.send(email);
  } catch (error) {
    if (error instanceof RetryableSendError) {
      // Give the claim back only when SES certainly did not take the message; otherwise the
      // retry finds the claim and sets the send aside as 'outcome unknown' (never mails twice).
      if (error.accepted === 'no') await deps.ledger.release(request.sendId);
      throw error;
    }
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await deps.ledger.markSkipped(request.sendId, error instanceof RejectedSendError ? 'rejected' : 'render-failed');
    await deps.failedEvents.record('send', request.sendId, reason, request, now);
    deps.logger.error('send failed permanently', { ...log, error: error instanceof Error ? error.name : 'unknown' });
    return { outcome: 'rejected', reason };
  }

  await deps.ledger.markSent(request.sendId, messageId, now);
  // The denominator of the day's bounce and complaint rates. A lost count only makes the rates
  // look worse (more cautious), so it is logged rather than retried (a retry would not count it).
  await deps.guardrail.countSend(campaign.id, now).catch((error: unknown) => deps.logger.warn('send not counted for the guardrail', { ...log, error: error instanceof Error ? error.name : 'unknown' }));
  await recordSentToCustomer(deps, request.customerId, campaign, now);
  deps.logger.info('sent', { ...log, messageId });
  return { outcome: 'sent', messageId };
}

/** Notes on the profile that the campaign went out (cooldowns, frequency cap, sunset). */
async function recordSentToCustomer(deps: SendDeps, customerId: string, campaign: Campaign | undefined, now: string): Promise<void> {
  if (!campaign) return;
  await deps.customers.modify(customerId, (p) =>
    p
      ? {
          ...p,
          campaignsSent: { ...p.campaignsSent, [campaign.id]: now },
          ...(campaign.kind === 'marketing' ? { lastMarketingSentAt: now } : {}),
          ...(campaign.suppressAfterSend && !p.suppression ? { suppression: { reason: 'sunset' as const, at: now, detail: campaign.id } } : {}),
          version: p.version + 1,
          updatedAt: now,
        }
      : undefined,
  );
}
