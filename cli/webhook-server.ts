import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LocalRuntime } from '#lib/local/local-runtime.ts';
import { toFunctionUrlEvent } from '#lib/local/unsubscribe-server.ts';
import { PRIVACY_REQUEST } from '#domain/privacy-request.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { DeliveryLog } from '../functions/connector/delivery-log.ts';
import { handlePrivacyRequest } from '../functions/privacy/handle-privacy-request.ts';
import { createWebhookHandler, WEBHOOK_PATH_PREFIX } from '../functions/connector/handler.ts';
import type { ConnectorDeps } from '../functions/connector/receive-webhook.ts';
import type { WebhookSecrets } from '../functions/connector/webhook-secrets.ts';
import { BodyTooLargeError, readBody as readBounded, sendResult as send } from '#lib/local/http-exchange.ts';

/** A Function URL takes 6 MB; Shopify's largest orders are far below 1 MB. */
const MAX_BODY_BYTES = 1024 * 1024;

const readBody = (request: IncomingMessage) => readBounded(request, MAX_BODY_BYTES);

/**
 * The connector's adapters on the local runtime: its tables, its failed-events store, and its bus
 * (so events reach ingest). Shopify's privacy webhooks, which a rule of their own takes to the
 * privacy function on AWS (lib/privacy-construct.ts), go to the same use case here, under the
 * privacy function's declared access.
 */
export function localConnectorDeps(runtime: LocalRuntime, logger = new Logger({ serviceName: 'lifecycle-mailer', logLevel: 'ERROR' })): ConnectorDeps {
  const privacyDeps = { db: runtime.db, tables: runtime.tables, identities: runtime.identities, clock: runtime.clock, logger };
  const privacy = runtime.access.as('privacy', (event: unknown) => handlePrivacyRequest(event, privacyDeps));
  return {
    deliveries: new DeliveryLog(runtime.db, runtime.tables['shop-connector']),
    bus: {
      putEvents: async (entries) => {
        // publishPrivacyRequest puts a request alone.
        const [only] = entries;
        if (entries.length !== 1 || only?.Source !== SHOP_EVENT_SOURCE || only.DetailType !== PRIVACY_REQUEST) return runtime.bus.putEvents('shop', entries);
        const outcome = await privacy({ detail: JSON.parse(only.Detail ?? '{}') as unknown });
        logger.info('privacy request handled locally', { outcome: outcome.outcome });
        return { FailedEntryCount: 0, Entries: [{ EventId: `local-privacy-${runtime.clock.now()}` }] };
      },
    },
    failedEvents: runtime.failedEvents,
    clock: runtime.clock,
    logger,
  };
}

export interface WebhookServer {
  /** e.g. `http://127.0.0.1:8787`; the endpoints are `${url}/webhooks/shopify` and `${url}/webhooks/woocommerce`. */
  readonly url: string;
  close(): Promise<void>;
}

export interface WebhookServerOptions {
  runtime: LocalRuntime;
  secrets: WebhookSecrets;
  /** 0 picks a free port. */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Runs before each request: `connect serve` moves the runtime's clock to the wall clock here. */
  beforeRequest?: () => void;
  logger?: Logger;
}

/**
 * The webhook endpoint on a real local HTTP port: each request becomes the Function URL event
 * AWS would deliver and goes to the same handler, whose events go through the runtime's bus to ingest.
 */
export function startWebhookServer({ runtime, secrets, port = 0, host = '127.0.0.1', beforeRequest, logger }: WebhookServerOptions): Promise<WebhookServer> {
  const handler = createWebhookHandler({ ...localConnectorDeps(runtime, logger), secrets: async () => secrets });
  const server = createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', `http://${request.headers.host ?? host}`);
      if (!url.pathname.startsWith(WEBHOOK_PATH_PREFIX)) return send(response, { statusCode: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'not found' });
      const body = await readBody(request);
      beforeRequest?.();
      send(response, await handler(toFunctionUrlEvent(request, url, body)));
    } catch (error) {
      const tooLarge = error instanceof BodyTooLargeError;
      // As a Function URL answers a failed invocation: the platform retries; the error stays out of the response.
      if (!tooLarge) (logger ?? console).error('webhook failed', { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      if (!response.headersSent) send(response, { statusCode: tooLarge ? 413 : 502, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: tooLarge ? 'Payload Too Large' : 'Internal Server Error' });
      else response.destroy();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: bound } = server.address() as AddressInfo;
      const hostname = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${hostname}:${bound}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
