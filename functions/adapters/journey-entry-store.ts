import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidInputError } from '#domain/invalid-input-error.ts';
import { JourneyEntry } from '#domain/journey-engine.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';

/** Someone else advanced the entry between our read and our write: the input is retried on the new state. */
export class JourneyEntryConflictError extends Error {
  override readonly name = 'JourneyEntryConflictError';
  constructor(
    readonly customerId: string,
    readonly journeyId: string,
  ) {
    super(`journey entry ${journeyId} of customer ${customerId} changed concurrently`);
  }
}

export interface JourneyEntryStore {
  get(customerId: string, journeyId: string): Promise<JourneyEntry | undefined>;
  /** All of one customer's entries (one per journey they were ever in). */
  listForCustomer(customerId: string): Promise<JourneyEntry[]>;
  /** Writes an entry whose version is one more than the stored one (0: no stored item). Throws JourneyEntryConflictError otherwise. */
  save(entry: JourneyEntry): Promise<void>;
}

/** The `journey-entries` table: partition key customerId, sort key journeyId. */
export class DynamoJourneyEntryStore implements JourneyEntryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private parse(item: Record<string, unknown>): JourneyEntry {
    const result = JourneyEntry.safeParse(item);
    if (!result.success) throw InvalidInputError.fromZod(`stored journey entry ${String(item.customerId)}/${String(item.journeyId)}`, result.error);
    return result.data;
  }

  async get(customerId: string, journeyId: string): Promise<JourneyEntry | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { customerId, journeyId }, ConsistentRead: true }));
    return Item ? this.parse(Item) : undefined;
  }

  async listForCustomer(customerId: string): Promise<JourneyEntry[]> {
    const entries: JourneyEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'customerId = :c',
          ExpressionAttributeValues: { ':c': customerId },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) entries.push(this.parse(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return entries;
  }

  async save(entry: JourneyEntry): Promise<void> {
    // The engine drops undefined fields' meaning; DynamoDB refuses undefined values.
    const item = JSON.parse(JSON.stringify(entry)) as Record<string, unknown>;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: entry.version === 0 ? 'attribute_not_exists(customerId)' : '#v = :prev',
          ...(entry.version === 0 ? {} : { ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':prev': entry.version - 1 } }),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new JourneyEntryConflictError(entry.customerId, entry.journeyId);
      throw error;
    }
  }
}
