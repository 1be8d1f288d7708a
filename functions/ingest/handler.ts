import type { Context } from 'aws-lambda';
import { eventKey, ShopEvent } from '#domain/shop-events.ts';
import { type IdempotencyTable, idempotentPerEvent } from '#adapters/event-idempotency.ts';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { ingestShopEvent, type IngestDeps, type IngestOutcome } from './ingest-shop-event.ts';
import { lambdaDependencies } from '#adapters/lambda-dependencies.ts';
import { requiredTable } from '#adapters/lambda-environment.ts';

/** A shop event's natural key: the same fact (however often delivered or replayed) has the same one. */
export function shopEventIdempotencyKey(raw: unknown): string | undefined {
  const parsed = ShopEvent.safeParse(raw);
  return parsed.success ? `${parsed.data.detail.customerId}:${eventKey(parsed.data)}` : undefined;
}

/**
 * EventBridge target for shop events. Invalid events are set aside, not thrown, so EventBridge does not retry them.
 * With an idempotency store, each event is handled once per natural key for 400 days (replays of the archive included).
 */
export const createIngestHandler = (deps: IngestDeps & { idempotency?: IdempotencyTable }): ((event: unknown, context?: Context) => Promise<IngestOutcome>) => {
  const handle = (event: unknown) => ingestShopEvent(event, deps);
  return deps.idempotency ? idempotentPerEvent('ingest', deps.idempotency, shopEventIdempotencyKey, handle) : handle;
};

let instance: Promise<ReturnType<typeof createIngestHandler>> | undefined;
export const handler = async (event: unknown, context?: Context) => {
  instance ??= (async () => {
    const d = lambdaDependencies();
    return createIngestHandler({
      ...d,
      sendQueue: d.sendQueue(),
      identities: await d.identities(),
      ledger: d.ledger,
      campaigns: d.catalog.campaigns,
      config: d.catalog.config,
      idempotency: { client: createDocumentClient(), tableName: requiredTable(d.env.IDEMPOTENCY_TABLE, 'IDEMPOTENCY_TABLE') },
    });
  })().catch((error: unknown) => {
    instance = undefined; // a failed cold start (the salt unreadable) is tried again on the next event
    throw error;
  });
  return (await instance)(event, context);
};
