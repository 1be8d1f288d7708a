import { type DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { InvalidInputError } from '#domain/invalid-input-error.ts';

export const FailedEvent = z.object({
  failureId: z.string(),
  /** Which handler set it aside. */
  stage: z.enum(['ingest', 'segment', 'send', 'engagement', 'import', 'confirm', 'connector', 'journey']),
  reason: z.string(),
  /** The original input, as received (truncated if huge). */
  payload: z.string(),
  failedAt: z.string(),
  expiresAt: z.number().int(),
});
export type FailedEvent = z.infer<typeof FailedEvent>;

const MAX_PAYLOAD = 64 * 1024;
const KEEP_DAYS = 90;

/** Where bad input goes with its reason, so nothing is dropped silently. */
export class FailedEventStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(stage: FailedEvent['stage'], id: string, reason: string, input: unknown, now: string): Promise<void> {
    const raw = typeof input === 'string' ? input : JSON.stringify(input) ?? String(input);
    const item: FailedEvent = {
      failureId: `${stage}#${id}#${now}`,
      stage,
      reason: reason.slice(0, 2000),
      payload: raw.length > MAX_PAYLOAD ? `${raw.slice(0, MAX_PAYLOAD)}…[truncated ${raw.length - MAX_PAYLOAD} chars]` : raw,
      failedAt: now,
      expiresAt: Math.floor(Date.parse(now) / 1000) + KEEP_DAYS * 86_400,
    };
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /** Every failure set aside (of one stage, if given), oldest first. */
  async list(stage?: FailedEvent['stage']): Promise<FailedEvent[]> {
    const out: FailedEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.tableName,
          ExclusiveStartKey: startKey,
          ...(stage ? { FilterExpression: '#stage = :stage', ExpressionAttributeNames: { '#stage': 'stage' }, ExpressionAttributeValues: { ':stage': stage } } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const parsed = FailedEvent.safeParse(item);
        if (!parsed.success) throw InvalidInputError.fromZod(`failed event ${String(item.failureId)} in ${this.tableName}`, parsed.error);
        out.push(parsed.data);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out.sort((a, b) => a.failedAt.localeCompare(b.failedAt) || a.failureId.localeCompare(b.failureId));
  }
}

/** The id the failure was recorded under (event id, send id…): failureId is `stage#id#failedAt`. */
export function failedEventKey(f: Pick<FailedEvent, 'failureId' | 'stage' | 'failedAt'>): string {
  const prefix = `${f.stage}#`;
  const suffix = `#${f.failedAt}`;
  return f.failureId.startsWith(prefix) && f.failureId.endsWith(suffix) ? f.failureId.slice(prefix.length, -suffix.length) : f.failureId;
}
