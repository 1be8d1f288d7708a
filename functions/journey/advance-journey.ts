import type { Logger } from '@aws-lambda-powertools/logger';
import type { Campaign } from '#domain/campaign.ts';
import type { Clock } from '#domain/clock.ts';
import { type CustomerProfile, isSubscribed } from '#domain/customer-profile.ts';
import type { Journey } from '#domain/journey.ts';
import { advanceJourney, type JourneyAction, type JourneyEntry, type JourneyInput, type JourneyOutcome } from '#domain/journey-engine.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import { chooseVariant, type SendRequest } from '#domain/send-request.ts';
import type { CustomerStore } from '#adapters/customer-store.ts';
import type { JourneyEntryStore } from '#adapters/journey-entry-store.ts';
import type { JourneyMessage } from '#adapters/journey-queue.ts';
import { type JourneyScheduler, wakeName } from '#adapters/journey-scheduler.ts';
import type { SendQueue } from '#adapters/send-queue.ts';

export interface JourneyDeps {
  journeys: readonly Journey[];
  campaigns: ReadonlyMap<string, Campaign>;
  config: MailerConfig;
  customers: CustomerStore;
  entries: JourneyEntryStore;
  sendQueue: SendQueue;
  scheduler: JourneyScheduler;
  clock: Clock;
  logger: Logger;
}

export interface JourneyObserver {
  /** Every engine outcome for one journey (the local run's summary counts them). */
  onOutcome?(journeyId: string, customerId: string, input: JourneyInput, outcome: JourneyOutcome, before: JourneyEntry | undefined): void;
}

/** An input arrived before ingest created the customer (EventBridge does not order the two targets): retried. */
export class CustomerNotYetKnownError extends Error {
  override readonly name = 'CustomerNotYetKnownError';
  constructor(readonly customerId: string) {
    super(`customer ${customerId} is not stored yet; the journey input is retried`);
  }
}

/** Shop events older than this (history imports, late redeliveries) neither enter nor advance journeys. */
export const MAX_EVENT_AGE_HOURS = 24;

export type AdvanceResult = { journeyId: string; outcome: JourneyOutcome['outcome']; reason?: string }[];

/** A shop event too old to enter or advance any journey (a history import, a late redelivery): nothing about it is read. */
export const tooOldForJourneys = (input: JourneyInput, now: string) => input.kind === 'shop-event' && Date.parse(now) - Date.parse(input.at) > MAX_EVENT_AGE_HOURS * 3_600_000;

const subscribedTo = (profile: CustomerProfile, topic: string) => profile.consent.marketing && isSubscribed(profile.consent, topic);

/**
 * Runs one input through the customer's journeys: load the entries, run the engine, then apply
 * what it asks (queue sends, schedule and cancel wake-ups) before the entry is written with a
 * conditional write on its version. Applying first makes a failure safe to retry: a send is
 * deduplicated by its ledger key and a wake-up by its schedule name, and the send function
 * re-reads the entry, so a send whose entry write lost a race (an order came first) is skipped.
 */
export async function advanceJourneys(message: JourneyMessage, deps: JourneyDeps, observer: JourneyObserver = {}): Promise<AdvanceResult> {
  const { customerId } = message;
  const now = deps.clock.now();
  const journeys = deps.journeys.filter((j) => message.journeyId === undefined || j.id === message.journeyId);
  if (journeys.length === 0) return [];
  if (tooOldForJourneys(message.input, now))
    return journeys.map((j) => ({ journeyId: j.id, outcome: 'ignored', reason: `event older than ${MAX_EVENT_AGE_HOURS} h` }));
  const profile = await deps.customers.get(customerId);
  if (!profile) {
    if (message.input.kind === 'shop-event') throw new CustomerNotYetKnownError(customerId);
    return journeys.map((j) => ({ journeyId: j.id, outcome: 'ignored', reason: 'customer unknown' }));
  }
  // A stage change the customer has since left (queued behind a newer one) enters and ends nothing.
  const changedTo = message.input.kind === 'stage-changed' ? message.input.stage : undefined;
  if (changedTo !== undefined && profile.stage !== changedTo) return journeys.map((j) => ({ journeyId: j.id, outcome: 'ignored', reason: `no longer ${changedTo}` }));
  // A wake-up is handled at the moment it arrives (never before the time it was set for).
  const input: JourneyInput = message.input.kind === 'woken' && now > message.input.at ? { ...message.input, at: now } : message.input;
  const stored = new Map((await deps.entries.listForCustomer(customerId)).map((e) => [e.journeyId, e]));
  const results: AdvanceResult = [];
  for (const journey of journeys) {
    let current = stored.get(journey.id);
    // A redelivery of the event that started this entry is not a new input (an order both enters post-purchase and ends it).
    if (current && input.kind === 'shop-event' && input.key !== undefined && current.entryKey === input.key) {
      results.push({ journeyId: journey.id, outcome: 'ignored', reason: 'redelivered entry event' });
      continue;
    }
    const ctx = { journey, profile, config: deps.config };
    // Unsubscribes reach the entry with its next input: the unsubscribe function knows nothing of journeys.
    if (current?.status === 'active' && !subscribedTo(profile, journey.audience.topic)) {
      const exit = advanceJourney(ctx, current, { kind: 'unsubscribed', at: input.at, topic: journey.audience.topic });
      if (exit.outcome === 'advanced') {
        await apply(exit, current, deps, profile, now);
        observer.onOutcome?.(journey.id, customerId, input, exit, current);
        current = exit.entry;
      }
    }
    const outcome = advanceJourney(ctx, current, input);
    if (outcome.outcome === 'advanced') await apply(outcome, current, deps, profile, now);
    observer.onOutcome?.(journey.id, customerId, input, outcome, current);
    results.push({ journeyId: journey.id, outcome: outcome.outcome, ...(outcome.outcome !== 'advanced' ? { reason: outcome.reason } : {}) });
  }
  return results;
}

async function apply(outcome: Extract<JourneyOutcome, { outcome: 'advanced' }>, before: JourneyEntry | undefined, deps: JourneyDeps, profile: CustomerProfile, now: string): Promise<void> {
  const { entry } = outcome;
  const sends: SendRequest[] = [];
  for (const action of outcome.actions) {
    if (action.type === 'send') sends.push(sendRequestOf(action, entry, profile, deps, now));
  }
  if (sends.length) await deps.sendQueue.enqueue(sends);
  for (const action of outcome.actions) {
    if (action.type === 'cancelWake' && before?.cursor) await deps.scheduler.cancel(wakeName(entry.customerId, before.entryId, before.cursor.step));
    if (action.type === 'wake')
      await deps.scheduler.schedule(wakeName(entry.customerId, entry.entryId, action.step), action.at, {
        customerId: entry.customerId,
        journeyId: entry.journeyId,
        input: { kind: 'woken', at: action.at, step: action.step },
      });
  }
  await deps.entries.save(entry);
}

function sendRequestOf(action: Extract<JourneyAction, { type: 'send' }>, entry: JourneyEntry, profile: CustomerProfile, deps: JourneyDeps, now: string): SendRequest {
  const campaign = deps.campaigns.get(action.campaignId);
  return {
    sendId: action.sendId,
    customerId: entry.customerId,
    campaignId: action.campaignId,
    period: action.period,
    variant: campaign ? chooseVariant(campaign, entry.customerId) : 'default',
    trigger: 'journey',
    journey: { journeyId: entry.journeyId, entryId: action.entryId, step: action.step },
    queuedAt: now,
    ...(action.notBefore > now ? { notBefore: action.notBefore } : {}),
    timeZone: profile.timeZone,
  };
}
