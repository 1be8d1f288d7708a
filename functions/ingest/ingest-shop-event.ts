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
import type { IdentityLinks } from '#adapters/identity-store.ts';
import { signsUpAnew, type StorefrontIdentity, storefrontOf } from '#domain/identity.ts';
import type { FailedEventStore } from '#adapters/failed-event-store.ts';
import type { SendQueue } from '#adapters/send-queue.ts';
import type { StageChangeLog } from '#adapters/stage-change-log.ts';
import type { SendLedger } from '#adapters/send-ledger.ts';
import { attributeOrder, touchesOf } from '#domain/attribution.ts';

export interface IngestDeps {
  customers: CustomerStore;
  stageChanges: StageChangeLog;
  failedEvents: FailedEventStore;
  sendQueue: SendQueue;
  campaigns: readonly Campaign[];
  config: MailerConfig;
  clock: Clock;
  logger: Logger;
  /** One customer across storefronts, and erased addresses; without it each event's customer id is its profile. */
  identities?: IdentityLinks;
  /** Where an order is credited to the send it is attributed to (last touch); without it orders are not attributed. */
  ledger?: Pick<SendLedger, 'attributeOrder'>;
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
  | { outcome: 'rejected'; reason: string }
  /** About an erased address, and not a fresh sign-up: dropped, nothing stored. */
  | { outcome: 'suppressed'; reason: string };

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
  const resolved = await resolveCustomer(parsed.data, now, deps.identities, deps.logger);
  if ('suppressed' in resolved) {
    deps.logger.info('shop event about an erased address dropped', { eventId: parsed.data.id });
    return { outcome: 'suppressed', reason: resolved.suppressed };
  }
  const { event, identity } = resolved;
  const customerId = event.detail.customerId;
  let duplicate = false;
  let previousStage: LifecycleStage | undefined;

  const profile = await deps.customers.modify(customerId, (current) => {
    const update = applyShopEvent(current, event, now, deps.config.consent, identity);
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
  if (event['detail-type'] === 'Order Placed') await creditOrder(event.detail, profile, deps);
  const { request, skipped } = await queueTriggeredSend(event, profile, now, deps);
  const notTriggered = skipped.length ? { notTriggered: skipped } : {};
  if (!request) return { outcome: 'applied', customerId, stage: profile.stage, ...notTriggered };
  return { outcome: 'applied', customerId, stage: profile.stage, queued: request.campaignId, sendId: request.sendId, ...notTriggered };
}

const addressOf = (event: ShopEvent): string | undefined => ('email' in event.detail ? event.detail.email : undefined);

/**
 * The profile a storefront's event is about: the one its storefront id was linked to, else the
 * one holding its address, else a new one under its own id. Links are conditional puts, so two
 * first events for one address at once still make one profile. An erased address is dropped
 * unless the event is a fresh sign-up with consent. Import plans call it over a dry-run view of
 * the table (PlannedIdentities), so what they count is what ingest will do.
 */
export async function resolveCustomer(
  event: ShopEvent,
  now: string,
  identities: IdentityLinks | undefined,
  logger?: Pick<Logger, 'info'>,
): Promise<{ event: ShopEvent; identity?: Omit<StorefrontIdentity, 'firstSeenAt'> } | { suppressed: string }> {
  if (!identities) return { event };
  const storefrontId = event.detail.customerId;
  const source = storefrontOf(storefrontId);
  const email = addressOf(event);
  // The erasure and the link are read together (one round trip); forgetting an erasure does not touch the link.
  const known = await identities.lookup(email || undefined, source, storefrontId);
  if (email && known.erasedAt) {
    const erasedAt = known.erasedAt;
    const d = event.detail;
    const signUp = { type: event['detail-type'], ...('marketingConsent' in d ? { marketingConsent: d.marketingConsent } : {}), ...('registeredAt' in d ? { registeredAt: d.registeredAt } : {}) };
    if (!signsUpAnew(signUp, erasedAt)) return { suppressed: `the address was erased at ${erasedAt}` };
    await identities.forgetErasure(email);
  }
  let customerId = known.customerId;
  if (!customerId) {
    const owner = email ? await identities.claimAddress(email, storefrontId, now) : storefrontId;
    customerId = await identities.claimSource(source, storefrontId, owner, owner === storefrontId ? 'first seen' : 'same email address', now);
    if (customerId !== storefrontId) logger?.info('storefront id joined a known customer', { customerId, storefrontId, source });
  } else if (email && event['detail-type'] !== 'Order Placed') {
    // A new or changed address of a known customer finds them from now on (unless another profile holds it).
    await identities.claimAddress(email, customerId, now);
  }
  return { event: { ...event, detail: { ...event.detail, customerId } } as ShopEvent, identity: { source, id: storefrontId } };
}

/**
 * Last-touch attribution: the order is credited to the send whose click or human open came
 * last before it, inside the configured windows. One conditional write on that ledger entry,
 * which refuses an order id it holds already, so a replayed order is not counted twice.
 * The duplicate path above never gets here; the condition covers a retry after a crash.
 */
async function creditOrder(order: { orderId: string; placedAt: string; total: number }, profile: CustomerProfile, deps: IngestDeps): Promise<void> {
  if (!deps.ledger) return;
  const credit = attributeOrder(order.placedAt, touchesOf(profile), deps.config.attribution);
  if (!credit) return;
  const recorded = await deps.ledger.attributeOrder(credit.sendId, { orderId: order.orderId, at: order.placedAt, value: order.total, touch: credit.touch, hoursToOrder: Math.round(credit.hoursToOrder * 100) / 100 });
  deps.logger.debug('order attributed', { customerId: profile.customerId, orderId: order.orderId, sendId: credit.sendId, touch: credit.touch, recorded });
}

/** Queues the event-triggered campaign the customer should get now, if any; says why the event's other campaigns were not. */
async function queueTriggeredSend(event: ShopEvent, profile: CustomerProfile, now: string, deps: IngestDeps): Promise<ReturnType<typeof triggeredChoice>> {
  const choice = triggeredChoice(deps.campaigns, { type: event['detail-type'], time: event.time }, profile, now, deps.config);
  if (!choice.request) return choice;
  await deps.sendQueue.enqueue([choice.request]);
  deps.logger.info('event-triggered send queued', { customerId: profile.customerId, campaignId: choice.request.campaignId, sendId: choice.request.sendId });
  return choice;
}
