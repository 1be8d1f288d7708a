import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { parseOrThrow } from '#domain/invalid-input-error.ts';
import { connectorDependencies } from './connector-dependencies.ts';
import { connectorEnvironment } from './connector-environment.ts';
import { receiveWebhook, type WebhookDeps } from './receive-webhook.ts';
import { PLATFORMS, type Platform, type SecretsSource, WebhookSecrets } from './webhook-secrets.ts';

/** `/webhooks/shopify` and `/webhooks/woocommerce`. */
export const WEBHOOK_PATH_PREFIX = '/webhooks/';

const text = (statusCode: number, body: string): APIGatewayProxyStructuredResultV2 => ({ statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body });

/** The Function URL adapter: path → platform, body → raw bytes, the use case's answer → the HTTP response. */
export const createWebhookHandler =
  (deps: WebhookDeps) =>
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const platform = event.rawPath.startsWith(WEBHOOK_PATH_PREFIX) ? event.rawPath.slice(WEBHOOK_PATH_PREFIX.length).replace(/\/$/, '') : '';
    if (!PLATFORMS.includes(platform as Platform)) return text(404, 'not found');
    if (event.requestContext.http.method !== 'POST') return { ...text(405, 'POST only'), headers: { 'content-type': 'text/plain; charset=utf-8', allow: 'POST' } };
    const rawBody = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    const result = await receiveWebhook({ platform: platform as Platform, headers: event.headers, rawBody }, deps);
    return text(result.status, result.body);
  };

/** Secrets Manager through Powertools Parameters: cached 5 minutes, fetched anew after a signature failure (at most every 30 s). */
function secretsManagerSource(secretId: string): SecretsSource {
  let lastFresh = 0;
  return async (options) => {
    const fresh = options?.fresh === true && Date.now() - lastFresh > 30_000;
    if (fresh) lastFresh = Date.now();
    const value = await getSecret(secretId, { maxAge: 300, transform: 'json', forceFetch: fresh });
    return parseOrThrow(WebhookSecrets, value, `secret ${secretId}`);
  };
}

let instance: ReturnType<typeof createWebhookHandler> | undefined;
export const handler = (event: APIGatewayProxyEventV2) => {
  if (!instance) {
    const env = connectorEnvironment();
    if (!env.WEBHOOK_SECRET_ARN) throw new Error('WEBHOOK_SECRET_ARN is not set');
    instance = createWebhookHandler({ ...connectorDependencies(), secrets: secretsManagerSource(env.WEBHOOK_SECRET_ARN) });
  }
  return instance(event);
};
