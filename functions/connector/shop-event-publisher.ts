import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry, type PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { PRIVACY_REQUEST, type PrivacyRequest } from '#domain/privacy-request.ts';
import type { MappedEvent } from './mapped-event.ts';

/** Where PutEvents entries go: EventBridge in AWS, the local runtime's bus on a laptop. */
export interface PutEventsTarget {
  putEvents(entries: PutEventsRequestEntry[]): Promise<{ FailedEntryCount?: number | undefined; Entries?: PutEventsResultEntry[] | undefined }>;
}

/** Some entries were refused by the bus; the caller retries (the platform redelivers). */
export class PublishError extends Error {
  override readonly name = 'PublishError';
}

/** PutEvents takes at most 10 entries a call. */
const BATCH = 10;

export const toPutEventsEntry = (event: MappedEvent, eventBusName?: string): PutEventsRequestEntry => ({
  Source: SHOP_EVENT_SOURCE,
  DetailType: event.detailType,
  Detail: JSON.stringify(event.detail),
  Time: new Date(event.time),
  ...(eventBusName ? { EventBusName: eventBusName } : {}),
});

/** Publishes mapped events and checks FailedEntryCount: a partly refused batch is an error, not a success. */
export async function publishShopEvents(target: PutEventsTarget, events: readonly MappedEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += BATCH) {
    const result = await target.putEvents(events.slice(i, i + BATCH).map((e) => toPutEventsEntry(e)));
    if ((result.FailedEntryCount ?? 0) > 0) {
      const codes = (result.Entries ?? []).filter((e) => e.ErrorCode).map((e) => `${e.ErrorCode}: ${e.ErrorMessage ?? ''}`);
      throw new PublishError(`PutEvents refused ${result.FailedEntryCount} of ${Math.min(BATCH, events.length - i)} events (${codes.join('; ')})`);
    }
  }
}

/** The shop bus in AWS, over an injected client. */
export const eventBridgeTarget = (client: EventBridgeClient, eventBusName: string): PutEventsTarget => ({
  putEvents: (entries) => client.send(new PutEventsCommand({ Entries: entries.map((e) => ({ ...e, EventBusName: eventBusName })) })),
});

/** A data-subject request onto the shop bus, where a rule of its own takes it to the privacy function. */
export async function publishPrivacyRequest(target: PutEventsTarget, request: PrivacyRequest): Promise<void> {
  const result = await target.putEvents([{ Source: SHOP_EVENT_SOURCE, DetailType: PRIVACY_REQUEST, Detail: JSON.stringify(request), Time: new Date(request.requestedAt) }]);
  if ((result.FailedEntryCount ?? 0) > 0) throw new PublishError(`PutEvents refused the privacy request (${(result.Entries ?? []).map((e) => e.ErrorCode).join('; ')})`);
}
