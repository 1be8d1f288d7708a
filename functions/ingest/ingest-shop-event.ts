import type { Logger } from '@aws-lambda-powertools/logger';
import { applyShopEvent } from '#domain/apply-shop-event.ts';
import type { Campaign } from '#domain/campaign.ts';
import type { Clock } from '#domain/clock.ts';
import type { CustomerProfile, LifecycleStage } from '#domain/customer-profile.ts';
import { describeZodIssues } from '#domain/invalid-input-error.ts';
import { assignLifecycleStage, stageInputsOf } from '#domain/lifecycle-stage.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import { ShopEvent } from '#domain/shop-events.ts';
import { triggeredChoice } from '#domain/triggered-send.ts';
import type { SkipReason } from '#domain/campaign-choice.ts';
import type { CustomerStore } from '#adapters/customer-store.ts';
import type { FailedEventStore } from '#adapters/failed-event-store.ts';
import type { SendQueue } from '#adapters/send-queue.ts';
import type { StageChangeLog } from '#adapters/stage-change-log.ts';

export interface IngestDeps {
  customers: CustomerStore;
  stageChanges: StageChangeLog;
  failedEvents: FailedEventStore;
  sendQueue: SendQueue;
  campaigns: readonly Campaign[];
  config: MailerConfig;
  clock: Clock;
  logger: Logger;
}

export type IngestOutcome =
  | {
      outcome: 'applied';
      customerId: string;
      stage: LifecycleStage;
      queued?: string;
      /** The queued send's id, and why the event's other triggered campaigns were not queued (the run summary counts them). */
      sendId?: string;
      notTriggered?: { campaignId: string; reason: SkipReason }[];
    }
  | { outcome: 'duplicate'; customerId: string; queued?: string; sendId?: string }
  | { outcome: 'rejected'; reason: string };

const idOf = (raw: unknown) =>
  typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'string' ? raw.id.slice(0, 128) : 'unknown';

/**
 * Applies one shop event to the customer's profile (idempotently), keeps the stage current,
 * and queues the event-triggered campaign the customer should get, if any.
 * An invalid event is set aside with its reason and does not throw: retrying cannot fix it.
 */
export async function ingestShopEvent(raw: unknown, deps: IngestDeps): Promise<IngestOutcome> {
  const now = deps.clock.now();
  const parsed = ShopEvent.safeParse(raw);
  if (!parsed.success) {
    const reason = describeZodIssues(parsed.error).join('; ');
    await deps.failedEvents.record('ingest', idOf(raw), reason, raw, now);
    deps.logger.warn('shop event rejected', { eventId: idOf(raw), reason });
    return { outcome: 'rejected', reason };
  }
  const event = parsed.data;
  const customerId = event.detail.customerId;
  let duplicate = false;
  let previousStage: LifecycleStage | undefined;

  const profile = await deps.customers.modify(customerId, (current) => {
    const update = applyShopEvent(current, event, now, deps.config.consent);
    duplicate = update.outcome === 'duplicate';
    if (duplicate) return undefined;
    const next = update.profile;
    previousStage = current?.stage;
    const stage = assignLifecycleStage(stageInputsOf(next, next.value?.pAlive), now, deps.config.stages);
    if (stage !== next.stage || !current) {
      next.stage = stage;
      next.stageSince = now;
    }
    return next;
  });
  if (!profile) return { outcome: 'duplicate', customerId };
  if (duplicate) {
    // The profile already holds this event, but an earlier attempt may have failed before its
    // send was queued (the Lambda retry lands here). Queue it again: the send id is the same
    // (campaign, period, customer), so the ledger still lets it out at most once.
    deps.logger.debug('duplicate shop event', { eventId: event.id, customerId });
    const { request } = await queueTriggeredSend(event, profile, now, deps);
    return { outcome: 'duplicate', customerId, ...(request ? { queued: request.campaignId, sendId: request.sendId } : {}) };
  }
  if (previousStage && previousStage !== profile.stage) {
    await deps.stageChanges.record([{ customerId, from: previousStage, to: profile.stage, changedAt: now }]);
  }
  const { request, skipped } = await queueTriggeredSend(event, profile, now, deps);
  const notTriggered = skipped.length ? { notTriggered: skipped } : {};
  if (!request) return { outcome: 'applied', customerId, stage: profile.stage, ...notTriggered };
  return { outcome: 'applied', customerId, stage: profile.stage, queued: request.campaignId, sendId: request.sendId, ...notTriggered };
}

/** Queues the event-triggered campaign the customer should get now, if any; says why the event's other campaigns were not. */
async function queueTriggeredSend(event: ShopEvent, profile: CustomerProfile, now: string, deps: IngestDeps): Promise<ReturnType<typeof triggeredChoice>> {
  const choice = triggeredChoice(deps.campaigns, { type: event['detail-type'], time: event.time }, profile, now, deps.config);
  if (!choice.request) return choice;
  await deps.sendQueue.enqueue([choice.request]);
  deps.logger.info('event-triggered send queued', { customerId: profile.customerId, campaignId: choice.request.campaignId, sendId: choice.request.sendId });
  return choice;
}
