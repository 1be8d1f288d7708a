import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Clock } from '#domain/clock.ts';
import type { JourneyMessage, JourneyQueue } from '#adapters/journey-queue.ts';
import type { QueueRoute } from '../routes.ts';

interface Queued {
  messageId: string;
  body: string;
  visibleAt: number;
  receiveCount: number;
}

/**
 * The in-process journey queue: messages in the order they came (one customer's inputs stay
 * in order here; SQS standard queues do not promise that, the engine's state checks make
 * order not matter), batches as the event source mapping hands them out, failed records back
 * after the visibility timeout on the simulated clock, then the dead-letter callback.
 */
export class LocalJourneyQueue implements JourneyQueue {
  private messages: Queued[] = [];
  private sequence = 0;
  constructor(
    private readonly route: QueueRoute,
    private readonly clock: Clock,
    private readonly onDeadLetter: (body: string, receiveCount: number) => Promise<void>,
  ) {}

  async enqueue(messages: readonly JourneyMessage[]): Promise<void> {
    const now = Date.parse(this.clock.now());
    for (const m of messages) this.messages.push({ messageId: `journey-${++this.sequence}`, body: JSON.stringify(m), visibleAt: now, receiveCount: 0 });
  }

  get depth(): number {
    return this.messages.length;
  }

  nextVisibleAt(): number | undefined {
    return this.messages.reduce<number | undefined>((min, m) => (min === undefined || m.visibleAt < min ? m.visibleAt : min), undefined);
  }

  /** Hands every visible message to the consumer, batch by batch, until none is visible. */
  async drain(consumer: (event: SQSEvent) => Promise<SQSBatchResponse>): Promise<number> {
    let delivered = 0;
    for (;;) {
      const now = Date.parse(this.clock.now());
      const index = this.messages.findIndex((m) => m.visibleAt <= now);
      if (index < 0) return delivered;
      const batch = this.messages.filter((m) => m.visibleAt <= now).slice(0, this.route.batchSize);
      const ids = new Set(batch.map((m) => m.messageId));
      this.messages = this.messages.filter((m) => !ids.has(m.messageId));
      for (const m of batch) m.receiveCount++;
      let failed: Set<string>;
      try {
        const response = await consumer({ Records: batch.map((m) => record(m, this.route.id)) } as SQSEvent);
        failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      } catch {
        failed = ids;
      }
      delivered += batch.length - failed.size;
      for (const m of batch) {
        if (!failed.has(m.messageId)) continue;
        if (m.receiveCount >= this.route.maxReceiveCount) await this.onDeadLetter(m.body, m.receiveCount);
        else this.messages.push({ ...m, visibleAt: now + this.route.visibilityTimeoutSeconds * 1000 });
      }
    }
  }
}

function record(m: Queued, queueId: string): SQSEvent['Records'][number] {
  return {
    messageId: m.messageId,
    receiptHandle: m.messageId,
    body: m.body,
    attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: '0', SenderId: 'local', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:local:000000000000:${queueId}`,
    awsRegion: 'local',
  };
}
