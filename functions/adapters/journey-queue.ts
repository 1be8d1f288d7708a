import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { JourneyInput } from '#domain/journey-engine.ts';

/**
 * A message on the journey queue: an input for one customer's entries. `journeyId` names the
 * one journey it is for (a wake-up); absent, every journey of the catalog hears it (a stage change).
 */
export const JourneyMessage = z.object({
  customerId: z.string().min(1),
  journeyId: z.string().min(1).optional(),
  input: JourneyInput,
});
export type JourneyMessage = z.infer<typeof JourneyMessage>;

export interface JourneyQueue {
  enqueue(messages: readonly JourneyMessage[]): Promise<void>;
}

/** The SQS journey queue (wake-ups due now, stage changes). */
export class SqsJourneyQueue implements JourneyQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(messages: readonly JourneyMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      const result = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: batch.map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m) })) }));
      if (result.Failed?.length) throw new Error(`journey queue refused ${result.Failed.length} of ${batch.length} messages: ${result.Failed.map((f) => f.Code).join(', ')}`);
    }
  }
}
