import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LifecycleStage } from '#domain/customer-profile.ts';

export interface StageChange {
  customerId: string;
  from: LifecycleStage;
  to: LifecycleStage;
  changedAt: string;
}

const KEEP_DAYS = 730;

/** History of lifecycle stage changes, one item per change. */
export class StageChangeLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(changes: readonly StageChange[]): Promise<void> {
    for (let i = 0; i < changes.length; i += 25) {
      let requests = changes.slice(i, i + 25).map((c) => ({
        PutRequest: { Item: { ...c, expiresAt: Math.floor(Date.parse(c.changedAt) / 1000) + KEEP_DAYS * 86_400 } },
      }));
      // BatchWrite may hand back unprocessed items under load: resubmit them.
      for (let attempt = 0; requests.length > 0; attempt++) {
        const result = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (requests.length && attempt > 8) throw new Error(`stage changes: ${requests.length} items still unprocessed after retries`);
        if (requests.length) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }
}
