import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '#domain/clock.ts';
import type { FailedEventStore } from '#adapters/failed-event-store.ts';
import type { DeliveryLog } from './delivery-log.ts';
import { validateMapped, type WebhookMapping } from './mapped-event.ts';
import { publishPrivacyRequest, publishShopEvents, type PutEventsTarget } from './shop-event-publisher.ts';
import { mapShopifyWebhook } from './shopify-mapping.ts';
import { verifyWebhookSignature } from './webhook-signature.ts';
import type { Platform, SecretsSource } from './webhook-secrets.ts';
import { mapWooCommerceWebhook } from './woocommerce-mapping.ts';

export interface ConnectorDeps {
  deliveries: Pick<DeliveryLog, 'claim' | 'complete' | 'release' | 'rememberOwners' | 'ownerOf'>;
  bus: PutEventsTarget;
  failedEvents: Pick<FailedEventStore, 'record'>;
  clock: Clock;
  logger: Logger;
}

export interface WebhookDeps extends ConnectorDeps {
  secrets: SecretsSource;
}

/** One delivery, whichever way it came (HTTPS or the EventBridge partner source). */
export interface Delivery {
  platform: Platform;
  topic: string;
  deliveryId: string;
  payload: unknown;
}

export type DeliveryOutcome =
  | { outcome: 'published'; events: number }
  | { outcome: 'duplicate' }
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'set-aside'; reason: string };

/** The headers each platform sends, lower-cased as a Function URL hands them over. */
const HEADERS = {
  shopify: { signature: 'x-shopify-hmac-sha256', topic: 'x-shopify-topic', deliveryId: 'x-shopify-webhook-id' },
  woocommerce: { signature: 'x-wc-webhook-signature', topic: 'x-wc-webhook-topic', deliveryId: 'x-wc-webhook-delivery-id' },
} as const;

const MAPPERS: Record<Platform, (topic: string, payload: unknown, now: string) => WebhookMapping> = {
  shopify: mapShopifyWebhook,
  woocommerce: mapWooCommerceWebhook,
};

/** WooCommerce's ping when a webhook is saved: form-encoded `webhook_id=<n>`, unsigned. */
const WOO_PING = /^webhook_id=\d+$/;

export interface WebhookRequest {
  platform: Platform;
  /** Lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received: the signature is over these bytes. */
  rawBody: Buffer;
}

export interface WebhookResponse {
  status: number;
  body: string;
  outcome?: DeliveryOutcome;
}

/**
 * An HTTPS webhook: verify the signature over the raw body (401 and nothing stored when it
 * fails), then hand the delivery on. Answered as soon as the events are on the bus, well
 * inside Shopify's 5 seconds: the profile work happens in ingest, behind the bus.
 * A signed payload we cannot use is set aside and answered 200, as a retry cannot fix it
 * (and a platform that keeps getting errors removes the subscription).
 */
export async function receiveWebhook(request: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const names = HEADERS[request.platform];
  const body = request.rawBody.toString('utf8');
  if (request.platform === 'woocommerce' && !request.headers[names.topic] && WOO_PING.test(body.trim())) {
    return { status: 200, body: 'ok' };
  }
  const signature = request.headers[names.signature];
  let secrets = await deps.secrets();
  let valid = verifyWebhookSignature(request.rawBody, signature, secrets[request.platform]);
  if (!valid && signature) {
    // The cached secrets may predate a rotation: look once more before refusing.
    secrets = await deps.secrets({ fresh: true });
    valid = verifyWebhookSignature(request.rawBody, signature, secrets[request.platform]);
  }
  if (!valid) {
    deps.logger.warn('webhook refused: bad or missing signature', { platform: request.platform, signed: Boolean(signature) });
    return { status: 401, body: 'invalid signature' };
  }
  const topic = request.headers[names.topic]?.trim();
  const deliveryId = request.headers[names.deliveryId]?.trim();
  if (!topic || !deliveryId) return { status: 400, body: `missing ${!topic ? names.topic : names.deliveryId} header` };
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    await deps.failedEvents.record('connector', `${request.platform}-${deliveryId.slice(0, 64)}`, `${request.platform} ${topic}: body is not JSON`, body, deps.clock.now());
    return { status: 200, body: 'set aside: body is not JSON' };
  }
  const outcome = await handleDelivery({ platform: request.platform, topic, deliveryId, payload }, deps);
  return { status: 200, body: outcome.outcome, outcome };
}

/**
 * Claims the delivery id (a redelivery changes nothing), maps the payload and publishes the
 * events to the shop bus. A publish that fails gives the claim back and throws, so the
 * platform's retry (or EventBridge's) is handled in full.
 */
export async function handleDelivery(delivery: Delivery, deps: ConnectorDeps): Promise<DeliveryOutcome> {
  const now = deps.clock.now();
  const claimId = `${delivery.platform}:${delivery.deliveryId.slice(0, 200)}`;
  const context = { platform: delivery.platform, topic: delivery.topic.slice(0, 64), deliveryId: delivery.deliveryId.slice(0, 200) };
  if (!(await deps.deliveries.claim(claimId, now))) {
    deps.logger.info('webhook redelivered: already handled', context);
    return { outcome: 'duplicate' };
  }
  try {
    const outcome = await mapAndPublish(delivery, deps, now);
    await deps.deliveries.complete(claimId);
    deps.logger.info('webhook handled', { ...context, ...outcome });
    return outcome;
  } catch (error) {
    await deps.deliveries.release(claimId);
    throw error;
  }
}

type ResolvedMapping = Exclude<WebhookMapping, { kind: 'refund' }>;

async function mapAndPublish(delivery: Delivery, deps: ConnectorDeps, now: string): Promise<DeliveryOutcome> {
  const mapped = MAPPERS[delivery.platform](delivery.topic, delivery.payload, now);
  const mapping: ResolvedMapping = mapped.kind === 'refund' ? await resolveRefund(mapped, delivery, deps) : mapped;
  switch (mapping.kind) {
    case 'ignored':
      return { outcome: 'ignored', reason: mapping.reason };
    case 'invalid':
      await deps.failedEvents.record('connector', `${delivery.platform}-${delivery.deliveryId.slice(0, 64)}`, mapping.reason, delivery.payload, now);
      deps.logger.warn('webhook set aside', { platform: delivery.platform, topic: delivery.topic.slice(0, 64), reason: mapping.reason });
      return { outcome: 'set-aside', reason: mapping.reason };
    case 'events':
      // The order's customer is remembered before its events go out, so a refund right behind it finds them.
      if (mapping.owners?.length) await deps.deliveries.rememberOwners(mapping.owners, now);
      await publishShopEvents(deps.bus, mapping.events);
      return { outcome: 'published', events: mapping.events.length };
    case 'privacy':
      await publishPrivacyRequest(deps.bus, mapping.request);
      return { outcome: 'published', events: 1 };
  }
}

/** A refund names its order only: its customer is the one the order was placed by. */
async function resolveRefund(refund: Extract<WebhookMapping, { kind: 'refund' }>, delivery: Delivery, deps: ConnectorDeps): Promise<ResolvedMapping> {
  const customerId = await deps.deliveries.ownerOf(refund.orderId);
  if (!customerId) {
    return { kind: 'invalid', reason: `${delivery.platform} ${delivery.topic}: refund of order ${refund.orderId}, which never reached us (backfill the order, then the refund)` };
  }
  return validateMapped(refund.events(customerId));
}
