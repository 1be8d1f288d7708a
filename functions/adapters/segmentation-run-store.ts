import { BatchWriteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { parseOrThrow } from '#domain/invalid-input-error.ts';

/** The partition key prefix of a two-phase segmentation run's items in the model-runs table (the workers may touch no other). */
export const SEGMENTATION_RUN_PREFIX = 'segmentation#';

/**
 * What the steps of one two-phase segmentation run hand each other through DynamoDB (a Step
 * Functions payload is capped at 256 KB; a segment's statistics can be a few hundred KB): each
 * segment's summary, the merged plan, each segment's report. Kept in the model-runs table under
 * `segmentation#<run>`, beside the fits they lead to; the report step deletes them.
 */
export class SegmentationRunStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key = (runId: string) => `${SEGMENTATION_RUN_PREFIX}${runId}`;
  private static part = (kind: 'summary' | 'report', segment: number) => `${kind}#${String(segment).padStart(6, '0')}`;

  async put(runId: string, part: string, body: unknown): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { model: this.key(runId), fittedAt: part, body: JSON.stringify(body) } }));
  }

  putSegment(runId: string, kind: 'summary' | 'report', segment: number, body: unknown): Promise<void> {
    return this.put(runId, SegmentationRunStore.part(kind, segment), body);
  }

  async get<T>(runId: string, part: string, schema: z.ZodType<T>): Promise<T> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { model: this.key(runId), fittedAt: part } }));
    if (!Item) throw new Error(`segmentation run ${runId}: no ${part} item`);
    return parseOrThrow(schema, JSON.parse(String(Item.body)), `segmentation run ${runId} ${part}`);
  }

  /** Every segment's item of one kind; throws unless all `totalSegments` are there (a step that ran short must not be merged). */
  async segments<T>(runId: string, kind: 'summary' | 'report', totalSegments: number, schema: z.ZodType<T>): Promise<T[]> {
    const out: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'model = :m AND begins_with(fittedAt, :k)',
          ExpressionAttributeValues: { ':m': this.key(runId), ':k': `${kind}#` },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) out.push(parseOrThrow(schema, JSON.parse(String(item.body)), `segmentation run ${runId} ${String(item.fittedAt)}`));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    if (out.length !== totalSegments) throw new Error(`segmentation run ${runId}: ${out.length} of ${totalSegments} segment ${kind}s`);
    return out;
  }

  /** Deletes a finished run's items. */
  async deleteRun(runId: string, totalSegments: number): Promise<void> {
    const parts = ['plan', ...Array.from({ length: totalSegments }, (_, s) => [SegmentationRunStore.part('summary', s), SegmentationRunStore.part('report', s)]).flat()];
    for (let i = 0; i < parts.length; i += 25) {
      let requests = parts.slice(i, i + 25).map((part) => ({ DeleteRequest: { Key: { model: this.key(runId), fittedAt: part } } }));
      for (let attempt = 0; requests.length && attempt < 5; attempt++) {
        const { UnprocessedItems } = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }
}
