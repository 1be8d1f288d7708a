import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { campaignsById } from '#domain/catalog.ts';
import { parseOrThrow } from '#domain/invalid-input-error.ts';
import type { EntryContext, JourneyInput } from '#domain/journey-engine.ts';
import { SEND_TAGS, SesEvent, tagValue } from '#domain/ses-events.ts';
import { eventKey, ShopEvent } from '#domain/shop-events.ts';
import { createDocumentClient, createSqsClient } from '#adapters/aws-clients.ts';
import { DynamoJourneyEntryStore } from '#adapters/journey-entry-store.ts';
import { JourneyMessage, SqsJourneyQueue } from '#adapters/journey-queue.ts';
import { AwsJourneyScheduler } from '#adapters/journey-scheduler.ts';
import { lambdaDependencies } from '#adapters/lambda-dependencies.ts';
import type { IdentityStore } from '#adapters/identity-store.ts';
import { signsUpAnew, storefrontOf } from '#domain/identity.ts';
import { type AdvanceResult, advanceJourneys, type JourneyDeps, type JourneyObserver, tooOldForJourneys } from './advance-journey.ts';

/**
 * The journey message a shop event or an SES open/click makes, with the shop event it was made
 * from, parsed; undefined when it concerns no journey. The event's source says which schema to try
 * (each requires its own), so a shop event is not first parsed as an SES event (which fails after
 * building its issues), and it is parsed once.
 */
export function journeyEventOf(event: unknown, journeyIds: readonly string[]): { message: JourneyMessage; shop?: ShopEvent } | undefined {
  const source = typeof event === 'object' && event !== null ? (event as { source?: unknown }).source : undefined;
  if (source === SesEvent.shape.source.value) {
    const ses = SesEvent.safeParse(event);
    if (!ses.success) return undefined;
    const detail = ses.data.detail;
    if (detail.eventType !== 'Open' && detail.eventType !== 'Click') return undefined;
    const customerId = tagValue(detail.mail, SEND_TAGS.customer);
    const sendId = tagValue(detail.mail, SEND_TAGS.send);
    // Only a journey step's send id carries `_<journey id>-<entry number>-steps…`: other sends need no read.
    if (!customerId || !sendId || !journeyIds.some((id) => sendId.includes(`_${id}-`))) return undefined;
    const at = detail.eventType === 'Open' ? detail.open.timestamp : detail.click.timestamp;
    return { message: { customerId, input: { kind: 'email', at, email: detail.eventType === 'Open' ? 'opened' : 'clicked', sendId } } };
  }
  // An invalid shop event is ingest's to set aside; the journeys only skip it.
  const shop = ShopEvent.safeParse(event);
  if (!shop.success) return undefined;
  const e = shop.data;
  const context: EntryContext =
    e['detail-type'] === 'Cart Abandoned'
      ? { cartId: e.detail.cartId, value: e.detail.value, items: e.detail.items.map(({ sku, name, quantity, price }) => ({ sku, name, quantity, price })) }
      : e['detail-type'] === 'Order Placed'
        ? { orderId: e.detail.orderId, value: e.detail.total, items: e.detail.items.slice(0, 100).map(({ sku, name, quantity, price }) => ({ sku, name, quantity, price })) }
        : {};
  const input: JourneyInput = { kind: 'shop-event', at: e.time, event: e['detail-type'], key: `${e['detail-type']}:${eventKey(e)}`, context };
  return { message: { customerId: e.detail.customerId, input }, shop: e };
}

/** What the journey function reads of the identities table: the profile a storefront id was linked to, an erased address. */
export type JourneyIdentities = Pick<IdentityStore, 'customerOfSource' | 'erasedAt'>;

/**
 * The profile a shop event is about, as ingest resolves it (one customer across storefronts): a
 * storefront id linked to another profile names that one. An event about an erased address, which
 * ingest drops, concerns no journey (retrying it would only dead-letter their data).
 */
export async function journeyCustomerOf(message: JourneyMessage, event: ShopEvent, identities: JourneyIdentities): Promise<JourneyMessage | undefined> {
  const linked = await identities.customerOfSource(storefrontOf(message.customerId), message.customerId);
  if (linked) return linked === message.customerId ? message : { ...message, customerId: linked };
  const d = event.detail;
  const email = 'email' in d ? d.email : undefined;
  const erasedAt = email ? await identities.erasedAt(email) : undefined;
  const signUp = { type: event['detail-type'], ...('marketingConsent' in d ? { marketingConsent: d.marketingConsent } : {}), ...('registeredAt' in d ? { registeredAt: d.registeredAt } : {}) };
  return erasedAt && !signsUpAnew(signUp, erasedAt) ? undefined : message;
}

/**
 * The journey function: SQS records from the journey queue (wake-ups, stage changes) and
 * EventBridge events (shop events, SES opens and clicks). A failed record is retried by SQS
 * alone; a failed event by EventBridge.
 */
export function createJourneyHandler(deps: JourneyDeps & { identities?: JourneyIdentities }, observer: JourneyObserver = {}) {
  const journeyIds = deps.journeys.map((j) => j.id);
  const processRecord = async (record: SQSRecord) => advanceJourneys(parseOrThrow(JourneyMessage, JSON.parse(record.body), `journey-queue message ${record.messageId}`), deps, observer);
  return async (event: unknown): Promise<SQSBatchResponse | AdvanceResult> => {
    if (typeof event === 'object' && event !== null && 'Records' in event)
      return processPartialResponse(event as SQSEvent, processRecord, new BatchProcessor(EventType.SQS), { throwOnFullBatchFailure: false });
    const heard = journeyEventOf(event, journeyIds);
    let message = heard?.message;
    // An event too old for any journey is ignored whoever it is about: its identity is not looked up.
    if (message && heard?.shop && deps.identities && message.input.kind === 'shop-event' && !tooOldForJourneys(message.input, deps.clock.now())) {
      message = await journeyCustomerOf(message, heard.shop, deps.identities);
    }
    return message ? advanceJourneys(message, deps, observer) : [];
  };
}

let instance: Promise<ReturnType<typeof createJourneyHandler>> | undefined;
export const handler = async (event: unknown) => {
  instance ??= (async () => {
    const d = lambdaDependencies();
    const { JOURNEY_ENTRIES_TABLE, JOURNEY_QUEUE_URL, JOURNEY_QUEUE_ARN, JOURNEY_SCHEDULER_ROLE_ARN, JOURNEY_SCHEDULE_GROUP, JOURNEY_WAKE_DLQ_ARN } = d.env;
    if (!JOURNEY_ENTRIES_TABLE || !JOURNEY_QUEUE_URL || !JOURNEY_QUEUE_ARN || !JOURNEY_SCHEDULER_ROLE_ARN || !JOURNEY_SCHEDULE_GROUP || !JOURNEY_WAKE_DLQ_ARN)
      throw new Error('the journey function needs JOURNEY_ENTRIES_TABLE, JOURNEY_QUEUE_URL, JOURNEY_QUEUE_ARN, JOURNEY_SCHEDULER_ROLE_ARN, JOURNEY_SCHEDULE_GROUP and JOURNEY_WAKE_DLQ_ARN');
    const queue = new SqsJourneyQueue(createSqsClient(), JOURNEY_QUEUE_URL);
    return createJourneyHandler({
      ...d,
      identities: await d.identities(),
      journeys: d.catalog.journeys,
      campaigns: campaignsById(d.catalog),
      config: d.catalog.config,
      entries: new DynamoJourneyEntryStore(createDocumentClient(), JOURNEY_ENTRIES_TABLE),
      sendQueue: d.sendQueue(),
      scheduler: new AwsJourneyScheduler(new SchedulerClient({}), { groupName: JOURNEY_SCHEDULE_GROUP, queueArn: JOURNEY_QUEUE_ARN, roleArn: JOURNEY_SCHEDULER_ROLE_ARN, deadLetterArn: JOURNEY_WAKE_DLQ_ARN }, queue),
    });
  })().catch((error: unknown) => {
    instance = undefined; // a failed cold start (the salt unreadable) is tried again on the next event
    throw error;
  });
  return (await instance)(event);
};
