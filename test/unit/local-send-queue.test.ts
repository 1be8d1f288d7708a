import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { SendRequest } from '#domain/send-request.ts';
import { LocalSendQueue } from '#lib/local/local-send-queue.ts';
import { SimulatedClock } from '#lib/local/simulated-clock.ts';
import { QUEUE_ROUTES } from '#lib/routes.ts';

const request = (customerId: string, campaignId: string): SendRequest => ({ sendId: `${campaignId}_p_${customerId}`, customerId, campaignId, period: 'p', variant: 'default', trigger: 'schedule' }) as SendRequest;
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A consumer that logs when each send starts and ends, taking the time `slow` gives it. */
function recording(slow: (r: SendRequest) => number) {
  const log: string[] = [];
  const consumer = async (event: SQSEvent) => {
    await Promise.all(
      event.Records.map(async (record) => {
        const r = JSON.parse(record.body) as SendRequest;
        log.push(`start ${r.sendId}`);
        await tick(slow(r));
        log.push(`end ${r.sendId}`);
      }),
    );
    return { batchItemFailures: [] };
  };
  return { log, consumer };
}

describe('LocalSendQueue', () => {
  it("hands out one customer's sends one after another, in queue order, whatever their timing", async () => {
    const queue = new LocalSendQueue(QUEUE_ROUTES[0]!, new SimulatedClock('2026-10-01T09:00:00Z'), async () => undefined);
    await queue.enqueue([request('c1', 'welcome'), request('c2', 'welcome'), request('c1', 'cross-sell')]);
    // The first send is the slow one: handled at once, the second would finish first.
    const { log, consumer } = recording((r) => (r.campaignId === 'welcome' ? 30 : 1));
    expect(await queue.drain(consumer)).toBe(3);
    expect(log.indexOf('start cross-sell_p_c1')).toBeGreaterThan(log.indexOf('end welcome_p_c1'));
    // Different customers still go at once: c2's send started before c1's first one ended.
    expect(log.indexOf('start welcome_p_c2')).toBeLessThan(log.indexOf('end welcome_p_c1'));
  });

  it('hands out the copies of one send together, as at-least-once delivery does', async () => {
    const queue = new LocalSendQueue(QUEUE_ROUTES[0]!, new SimulatedClock('2026-10-01T09:00:00Z'), async () => undefined);
    await queue.enqueue([request('c1', 'welcome'), request('c1', 'welcome')]);
    const { log, consumer } = recording(() => 10);
    expect(await queue.drain(consumer)).toBe(2);
    expect(log.slice(0, 2)).toEqual(['start welcome_p_c1', 'start welcome_p_c1']);
  });
});
