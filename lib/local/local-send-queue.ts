import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import pLimit from 'p-limit';
import type { Clock } from '#domain/clock.ts';
import type { SendRequest } from '#domain/send-request.ts';
import type { SendQueue } from '#adapters/send-queue.ts';
import type { QueueRoute } from '../routes.ts';

interface QueuedMessage {
  messageId: string;
  body: string;
  /** Whose send and which: one customer's different sends are handed out one after another. */
  customerId: string;
  sendId: string;
  visibleAt: number;
  receiveCount: number;
  sentAt: number;
}

export type SqsConsumer = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * The in-process SQS send queue: delays (notBefore, at most 15 minutes), batches as the event
 * source mapping does, partial batch failures visible again after the visibility timeout (on the
 * simulated clock) until maxReceiveCount, then the dead-letter callback.
 */
export class LocalSendQueue implements SendQueue {
  private messages: QueuedMessage[] = [];
  private sequence = 0;
  constructor(
    private readonly route: QueueRoute,
    private readonly clock: Clock,
    private readonly onDeadLetter: (body: string, receiveCount: number) => Promise<void>,
    private readonly concurrency = 4,
    /** At-least-once delivery: says when to hand a message out twice (fault injection). */
    private readonly redeliver: () => boolean = () => false,
    /** SQS delays a message at most 15 minutes; a longer wait arrives early and is put back by the consumer. */
    private readonly maxDelaySeconds = 900,
  ) {}

  /** Every send id ever queued (for the end-of-run accounting). */
  readonly enqueuedSendIds = new Set<string>();

  /** Send ids still waiting (delayed past the end of a replay). */
  pendingSendIds(): Set<string> {
    return new Set(this.messages.map((m) => (JSON.parse(m.body) as { sendId: string }).sendId));
  }

  get depth(): number {
    return this.messages.length;
  }

  async enqueue(requests: readonly SendRequest[]): Promise<void> {
    const now = Date.parse(this.clock.now());
    for (const r of requests) {
      this.enqueuedSendIds.add(r.sendId);
      const copies = this.redeliver() ? 2 : 1;
      for (let copy = 0; copy < copies; copy++)
        this.messages.push({
        messageId: `local-${++this.sequence}`,
        body: JSON.stringify(r),
        customerId: r.customerId,
        sendId: r.sendId,
        visibleAt: r.notBefore ? Math.max(now, Math.min(Date.parse(r.notBefore), now + this.maxDelaySeconds * 1000)) : now,
        receiveCount: 0,
        sentAt: now,
      });
    }
  }

  /** The earliest moment a waiting message becomes visible, if any. */
  nextVisibleAt(): number | undefined {
    return this.messages.reduce<number | undefined>((min, m) => (min === undefined || m.visibleAt < min ? m.visibleAt : min), undefined);
  }

  /** Hands every visible message to the consumer, retrying failures, until none is visible. */
  async drain(consumer: SqsConsumer): Promise<number> {
    let delivered = 0;
    const limit = pLimit(this.concurrency);
    for (;;) {
      const now = Date.parse(this.clock.now());
      const visible = nextPerCustomer(this.messages.filter((m) => m.visibleAt <= now));
      if (visible.length === 0) return delivered;
      const visibleIds = new Set(visible.map((m) => m.messageId));
      this.messages = this.messages.filter((m) => !visibleIds.has(m.messageId));
      const batches: QueuedMessage[][] = [];
      for (let i = 0; i < visible.length; i += this.route.batchSize) batches.push(visible.slice(i, i + this.route.batchSize));
      await Promise.all(
        batches.map((batch) =>
          limit(async () => {
            for (const m of batch) m.receiveCount++;
            const event: SQSEvent = { Records: batch.map((m) => this.record(m)) };
            let failedIds: Set<string>;
            try {
              const response = await consumer(event);
              failedIds = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
            } catch {
              failedIds = new Set(batch.map((m) => m.messageId)); // the whole invocation failed
            }
            delivered += batch.length - failedIds.size;
            for (const m of batch) {
              if (!failedIds.has(m.messageId)) continue;
              if (m.receiveCount >= this.route.maxReceiveCount) await this.onDeadLetter(m.body, m.receiveCount);
              else this.messages.push({ ...m, visibleAt: now + this.route.visibilityTimeoutSeconds * 1000 }); // as SQS: back after the visibility timeout
            }
          }),
        ),
      );
    }
  }

  private record(m: QueuedMessage): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: m.messageId,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(m.sentAt),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:local:000000000000:${this.route.id}`,
      awsRegion: 'local',
    };
  }
}

/**
 * Of the visible messages, each customer's first send (in queue order) with its duplicates; the
 * customer's later sends wait for the next round. Two different sends of one customer handled at
 * once race for the customer's cap slot and the winner is whichever is faster, so a replay would
 * not repeat its own decisions. Copies of one send still go out together, as SQS's at-least-once
 * delivery hands them, so the in-flight guard is exercised as on AWS.
 */
function nextPerCustomer(visible: readonly QueuedMessage[]): QueuedMessage[] {
  const chosen = new Map<string, string>();
  return visible.filter((m) => {
    const sendId = chosen.get(m.customerId);
    if (sendId === undefined) chosen.set(m.customerId, m.sendId);
    return sendId === undefined || sendId === m.sendId;
  });
}
