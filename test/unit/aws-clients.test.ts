import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient, createSesClient } from '#adapters/aws-clients.ts';

// An endpoint that accepts requests and never answers, as a stalled connection does.
const silent = createServer(() => undefined);
let endpoint: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});
afterAll(() => {
  silent.closeAllConnections();
  silent.close();
});

const options = () => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });

// Concurrent: each waits out a real timeout, and they do not share anything but the silent endpoint.
describe.concurrent('SDK clients give up on a request that gets no answer', () => {
  it('DynamoDB: after its request timeout (5 s), so the retry logic can act instead of the run hanging', async () => {
    const started = Date.now();
    await expect(createDocumentClient(options()).send(new GetCommand({ TableName: 't', Key: { id: '1' } }))).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
    expect(Date.now() - started).toBeLessThan(9_000);
  }, 15_000);

  it('SES: after 10 s, which the mailer reports as an outcome unknown (the request may have arrived)', async () => {
    const { SesMailer } = await import('#adapters/mailer.ts');
    const mailer = new SesMailer(createSesClient(options()));
    const started = Date.now();
    const email = { from: 'a@b.example', to: 'c@d.example', subject: 's', html: '<p>h</p>', text: 't', headers: [], tags: [], configurationSet: 'cs' };
    await expect(mailer.send(email)).rejects.toMatchObject({ name: 'RetryableSendError', accepted: 'unknown' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_900);
  }, 20_000);
});

describe('SDK clients skip the SDK logger middleware', () => {
  // Its filtered copy of every input and output is built even when nothing logs it.
  it('a plain client has it, ours do not, and their calls still work', async () => {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const named = (stack: { identify(): string[] }) => stack.identify().filter((n) => n.startsWith('loggerMiddleware'));
    expect(named(new DynamoDBClient({ region: 'us-east-1' }).middlewareStack)).toHaveLength(1);
    const answering = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}'));
    await new Promise<void>((resolve) => answering.listen(0, '127.0.0.1', resolve));
    const client = createDocumentClient({ ...options(), endpoint: `http://127.0.0.1:${(answering.address() as AddressInfo).port}` });
    try {
      expect(named(client.middlewareStack)).toEqual([]);
      expect(named(createSesClient(options()).middlewareStack)).toEqual([]);
      await expect(client.send(new GetCommand({ TableName: 't', Key: { id: '1' } }))).resolves.toHaveProperty('$metadata.httpStatusCode', 200);
    } finally {
      client.destroy();
      answering.close();
    }
  });
});
