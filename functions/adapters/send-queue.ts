import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SendRequest } from '#domain/send-request.ts';

export interface SendQueue {
  enqueue(requests: readonly SendRequest[]): Promise<void>;
}

/** The SQS send queue. Delays up to SQS's 15-minute limit are applied per message. */
export class SqsSendQueue implements SendQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async enqueue(requests: readonly SendRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += 10) {
      const batch = requests.slice(i, i + 10);
      const result = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((r, j) => ({
            Id: String(j),
            MessageBody: JSON.stringify(r),
            DelaySeconds: r.notBefore ? Math.min(900, Math.max(0, Math.ceil((Date.parse(r.notBefore) - this.now().getTime()) / 1000))) : 0,
          })),
        }),
      );
      if (result.Failed?.length) {
        throw new Error(`send queue refused ${result.Failed.length} of ${batch.length} messages: ${result.Failed.map((f) => f.Code).join(', ')}`);
      }
    }
  }
}
