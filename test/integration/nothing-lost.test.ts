/**
 * Nothing lost on a retry: a failure between saving the profile and queueing its triggered
 * send must not cost the send. Against dynalite and aws-ses-v2-local through the local bus,
 * whose retries are EventBridge's (the ingest target is invoked again with the same event).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { campaignsWithoutJourneys } from '../support/campaigns-without-journeys.ts';
import { sendIdOf } from '#domain/send-request.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const start = '2026-10-01T10:00:00.000Z';
let runtime: LocalRuntime;
/** Enqueue calls the ingest function made, and how many of them were made to fail. */
const queueCalls = { attempts: 0, failures: 0, failNext: 0 };

const outbox = async () => ((await (await fetch(`${runtime.services.ses.endpoint}/store`)).json()) as { emails: { destination: { to: string[] } }[] }).emails;

beforeAll(async () => {
  runtime = await LocalRuntime.start({
    catalog: campaignsWithoutJourneys(await buildCatalog(projectPaths(repoRoot))),
    start,
    ingestSendQueue: (queue) => ({
      enqueue: async (requests) => {
        queueCalls.attempts++;
        if (queueCalls.failNext > 0) {
          queueCalls.failNext--;
          queueCalls.failures++;
          throw Object.assign(new Error('injected: send queue unavailable'), { name: 'QueueUnavailable' });
        }
        await queue.enqueue(requests);
      },
    }),
  });
}, 60_000);
afterAll(async () => runtime?.stop());

describe('ingest never loses a triggered send', () => {
  it('a queue failure after the profile was saved: the retry queues the welcome, and it is sent once', async () => {
    queueCalls.failNext = 1;
    const detail = { customerId: 'nl1', email: 'nl1@example.com', firstName: 'Nia', marketingConsent: true, topics: ['newsletter'], registeredAt: start };
    await runtime.bus.putEvents('shop', [{ Source: SHOP_EVENT_SOURCE, DetailType: 'Customer Registered', Detail: JSON.stringify(detail), Time: new Date(start) }]);

    expect(queueCalls.failures).toBe(1);
    expect(queueCalls.attempts).toBe(2); // the first attempt failed to queue; the bus's retry queued it
    expect((await runtime.customers.get('nl1'))?.email).toBe('nl1@example.com');
    expect(runtime.deadLetters.events).toBe(0);

    await runtime.drainSendQueue();
    const mails = (await outbox()).filter((m) => m.destination.to.includes('nl1@example.com'));
    expect(mails).toHaveLength(1);
    expect(await runtime.ledger.get(sendIdOf('welcome', 'once', 'nl1'))).toMatchObject({ status: 'sent', campaignId: 'welcome' });
  });

  it('a redelivered event after the welcome went out queues it again, and the ledger refuses the second copy', async () => {
    const detail = { customerId: 'nl2', email: 'nl2@example.com', marketingConsent: true, topics: ['newsletter'], registeredAt: start };
    const event = { version: '0', id: 'nl2-registered', source: SHOP_EVENT_SOURCE, 'detail-type': 'Customer Registered', account: '000000000000', time: start, region: 'local', resources: [], detail };
    await runtime.bus.deliver('shop', event);
    await runtime.drainSendQueue();
    await runtime.bus.deliver('shop', event);
    await runtime.drainSendQueue();
    expect((await outbox()).filter((m) => m.destination.to.includes('nl2@example.com'))).toHaveLength(1);
    expect((await runtime.ledger.get(sendIdOf('welcome', 'once', 'nl2')))?.status).toBe('sent');
    expect(runtime.access.violations).toEqual([]); // every call was one the function is granted in AWS
  });
});
