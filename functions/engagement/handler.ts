import type { Context } from 'aws-lambda';
import { SesEvent } from '#domain/ses-events.ts';
import { type IdempotencyTable, idempotentPerEvent } from '#adapters/event-idempotency.ts';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { type EngagementDeps, type EngagementOutcome, needsNoRecord, recordEngagement, sesEventKey } from './record-engagement.ts';
import { lambdaDependencies } from '#adapters/lambda-dependencies.ts';
import { requiredTable } from '#adapters/lambda-environment.ts';

/** An SES event's natural key (message, event type, moment). */
export function sesEventIdempotencyKey(raw: unknown): string | undefined {
  const parsed = SesEvent.safeParse(raw);
  return parsed.success ? sesEventKey(parsed.data.detail) : undefined;
}

/**
 * EventBridge target for SES events (default bus, source aws.ses). With an idempotency store,
 * each event is handled once for 400 days: opens and clicks can no longer push a key out of
 * reach and let a redelivered bounce, complaint or subscription change apply twice.
 */
export const createEngagementHandler = (deps: EngagementDeps & { idempotency?: IdempotencyTable }): ((event: unknown, context?: Context) => Promise<EngagementOutcome>) => {
  const handle = (event: unknown) => recordEngagement(event, deps);
  if (!deps.idempotency) return handle;
  const once = idempotentPerEvent('engagement', deps.idempotency, sesEventIdempotencyKey, handle);
  // An event that changes nothing (every message's Send event), or that is safe to handle again
  // (every message's Delivery), is handled without the record's two writes.
  return (event, context) => (needsNoRecord(event) ? handle(event) : once(event, context));
};

let instance: ReturnType<typeof createEngagementHandler> | undefined;
export const handler = (event: unknown, context?: Context) => {
  if (!instance) {
    const d = lambdaDependencies();
    instance = createEngagementHandler({ ...d, config: d.catalog.config, idempotency: { client: createDocumentClient(), tableName: requiredTable(d.env.IDEMPOTENCY_TABLE, 'IDEMPOTENCY_TABLE') } });
  }
  return instance(event, context);
};
