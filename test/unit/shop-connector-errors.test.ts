/** Error paths of the connector (a refused PutEvents, DynamoDB failures, a rotation), which the local stand-ins cannot produce on cue. */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DeliveryLog } from '../../functions/connector/delivery-log.ts';
import { receiveWebhook, type WebhookDeps } from '../../functions/connector/receive-webhook.ts';
import { eventBridgeTarget, PublishError } from '../../functions/connector/shop-event-publisher.ts';
import { signWebhookBody } from '../../functions/connector/webhook-signature.ts';
import { WebhookSecrets } from '../../functions/connector/webhook-secrets.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const eventBridge = mockClient(EventBridgeClient);
const failure = (name: string) => Object.assign(new Error(`${name} happened`), { name });
const body = readFileSync(new URL('../fixtures/shopify/2025-07/orders-create.json', import.meta.url));
const recorded: unknown[] = [];

function deps(secrets: WebhookDeps['secrets'] = async () => ({ shopify: ['s1'], woocommerce: [] })): WebhookDeps {
  return {
    deliveries: new DeliveryLog(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 'connector'),
    bus: eventBridgeTarget(new EventBridgeClient({ region: 'us-east-1' }), 'shop-bus'),
    failedEvents: { record: async (...args: unknown[]) => void recorded.push(args) },
    clock: { now: () => '2026-10-08T00:00:00.000Z' },
    logger: new Logger({ logLevel: 'SILENT' }),
    secrets,
  };
}
const request = (signature: string) => ({
  platform: 'shopify' as const,
  headers: { 'x-shopify-hmac-sha256': signature, 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': 'wh-1' },
  rawBody: body,
});
const updates = () => ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input.UpdateExpression);

describe('shop connector error paths', () => {
  beforeEach(() => {
    ddb.reset();
    eventBridge.reset();
    recorded.length = 0;
  });

  it('a PutEvents that refuses an entry is an error: the claim is given back (so the redelivery is handled) and nothing is marked done', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    await expect(receiveWebhook(request(signWebhookBody(body, 's1')), deps())).rejects.toThrow(PublishError);
    expect(updates()).toEqual(['SET claimedAt = :zero']);
    expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).toMatchObject({ EventBusName: 'shop-bus', Source: 'lifecycle-mailer.shop', DetailType: 'Order Placed' });
  });

  it('a delivery already claimed publishes nothing; a DynamoDB failure on the claim is thrown (the platform retries)', async () => {
    ddb.on(PutCommand).rejects(failure('ConditionalCheckFailedException'));
    expect(await receiveWebhook(request(signWebhookBody(body, 's1')), deps())).toMatchObject({ status: 200, body: 'duplicate' });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
    ddb.on(PutCommand).rejects(failure('ProvisionedThroughputExceededException'));
    await expect(receiveWebhook(request(signWebhookBody(body, 's1')), deps())).rejects.toThrow('ProvisionedThroughputExceededException happened');
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('after a rotation the cached secrets are read again once: a body signed with the new secret is accepted, and a forged one still gets 401 without touching DynamoDB', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ddb.on(GetCommand).resolves({});
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const reads: boolean[] = [];
    const rotating: WebhookDeps['secrets'] = async (o) => {
      reads.push(o?.fresh === true);
      return { shopify: o?.fresh ? ['s2', 's1'] : ['s1'], woocommerce: [] };
    };
    expect(await receiveWebhook(request(signWebhookBody(body, 's2')), deps(rotating))).toMatchObject({ status: 200, body: 'published' });
    expect(reads).toEqual([false, true]);
    ddb.reset();
    expect(await receiveWebhook(request(signWebhookBody(body, 'forged')), deps(rotating))).toMatchObject({ status: 401 });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('the stored secret accepts one or two per platform, no more', () => {
    expect(WebhookSecrets.parse({ shopify: 'a', woocommerce: ['b', 'c'] })).toEqual({ shopify: ['a'], woocommerce: ['b', 'c'] });
    expect(WebhookSecrets.parse({ placeholder: 'x', shopify: [], woocommerce: [] })).toEqual({ shopify: [], woocommerce: [] });
    expect(() => WebhookSecrets.parse({ shopify: ['a', 'b', 'c'] })).toThrow(/at most two/);
  });
});
