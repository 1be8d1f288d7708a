import { z } from 'zod';
import { describeZodIssues } from '#domain/invalid-input-error.ts';
import { connectorDependencies } from './connector-dependencies.ts';
import { type ConnectorDeps, type DeliveryOutcome, handleDelivery } from './receive-webhook.ts';

/**
 * Shopify's webhooks through its Amazon EventBridge partner event source: the body is in
 * `detail.payload`, the headers in `detail.metadata`. EventBridge delivers only what Shopify
 * put on the partner bus, so there is no HMAC to check; the rest is the HTTPS path's.
 */
export const ShopifyPartnerEvent = z.object({
  'detail-type': z.string(),
  source: z.string().startsWith('aws.partner/shopify.com'),
  detail: z.object({
    payload: z.unknown(),
    metadata: z.record(z.string(), z.unknown()),
  }),
});

/** Metadata keys are header names; Shopify documents them as case-insensitive. */
const header = (metadata: Record<string, unknown>, name: string): string | undefined => {
  const entry = Object.entries(metadata).find(([key]) => key.toLowerCase() === name);
  return entry && (typeof entry[1] === 'string' || typeof entry[1] === 'number') ? String(entry[1]) : undefined;
};

export const createPartnerHandler =
  (deps: ConnectorDeps) =>
  async (event: unknown): Promise<DeliveryOutcome> => {
    const parsed = ShopifyPartnerEvent.safeParse(event);
    const now = deps.clock.now();
    if (!parsed.success) {
      const reason = `shopify eventbridge: ${describeZodIssues(parsed.error).join('; ')}`;
      await deps.failedEvents.record('connector', 'shopify-eventbridge', reason, event, now);
      return { outcome: 'set-aside', reason };
    }
    const { metadata, payload } = parsed.data.detail;
    const topic = header(metadata, 'x-shopify-topic');
    const deliveryId = header(metadata, 'x-shopify-webhook-id') ?? header(metadata, 'x-shopify-event-id');
    if (!topic || !deliveryId) {
      const reason = 'shopify eventbridge: metadata lacks X-Shopify-Topic or X-Shopify-Webhook-Id';
      await deps.failedEvents.record('connector', 'shopify-eventbridge', reason, event, now);
      return { outcome: 'set-aside', reason };
    }
    return handleDelivery({ platform: 'shopify', topic, deliveryId, payload }, deps);
  };

let instance: ReturnType<typeof createPartnerHandler> | undefined;
export const handler = (event: unknown) => (instance ??= createPartnerHandler(connectorDependencies()))(event);
