import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CustomerProfile } from '#domain/customer-profile.ts';
import { InvalidInputError } from '#domain/invalid-input-error.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';

/** Someone else wrote the profile between our read and our write. */
export class ProfileConflictError extends Error {
  override readonly name = 'ProfileConflictError';
  constructor(readonly customerId: string) {
    super(`customer ${customerId} changed concurrently`);
  }
}

export interface CustomerStore {
  get(customerId: string): Promise<CustomerProfile | undefined>;
  /** Writes a profile whose version is one more than the stored one (0 → new). Throws ProfileConflictError otherwise. */
  save(profile: CustomerProfile): Promise<void>;
  /**
   * Reads, changes and saves, retrying on concurrent writes. `change` returns undefined to leave the profile as it is.
   * `known`: the profile as this caller last read or wrote it. The first attempt changes it instead of a fresh read; its
   * write is conditional on that version as every save is, so a profile changed meanwhile is read again and changed anew.
   */
  modify(customerId: string, change: (current: CustomerProfile | undefined) => CustomerProfile | undefined, known?: CustomerProfile): Promise<CustomerProfile | undefined>;
  /** One segment of a parallel scan. */
  scanSegment(segment: number, totalSegments: number): AsyncIterable<CustomerProfile[]>;
}

const MAX_CONFLICT_RETRIES = 8;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export class DynamoCustomerStore implements CustomerStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * The profiles parsed from items that cannot change, by item: the local runtime's read cache
   * hands out the same frozen item until the customer is written, and segmentation reads every
   * customer daily. Such a profile is frozen too, as it is shared. The SDK's items are never
   * frozen, so in AWS every item is parsed.
   */
  private readonly parsedFrozen = new WeakMap<object, CustomerProfile>();

  private parse(item: Record<string, unknown>): CustomerProfile {
    const frozen = Object.isFrozen(item);
    const known = frozen ? this.parsedFrozen.get(item) : undefined;
    if (known) return known;
    const result = CustomerProfile.safeParse(item);
    if (!result.success) throw InvalidInputError.fromZod(`stored customer ${String(item.customerId)}`, result.error);
    if (frozen) this.parsedFrozen.set(item, deepFreeze(result.data));
    return result.data;
  }

  async get(customerId: string): Promise<CustomerProfile | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { customerId }, ConsistentRead: true }));
    return Item ? this.parse(Item) : undefined;
  }

  async save(profile: CustomerProfile): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: profile,
          ConditionExpression: profile.version <= 1 ? 'attribute_not_exists(customerId) OR version = :prev' : 'version = :prev',
          ExpressionAttributeValues: { ':prev': profile.version - 1 },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new ProfileConflictError(profile.customerId);
      throw error;
    }
  }

  async modify(customerId: string, change: (current: CustomerProfile | undefined) => CustomerProfile | undefined, known?: CustomerProfile) {
    // Only a write proves `known` current: when its change writes nothing, the stored profile decides.
    const fromKnown = known?.customerId === customerId ? change(known) : undefined;
    if (fromKnown) {
      try {
        await this.save(fromKnown);
        return fromKnown;
      } catch (error) {
        if (!(error instanceof ProfileConflictError)) throw error;
      }
    }
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(customerId);
      const next = change(current);
      if (!next) return current;
      try {
        await this.save(next);
        return next;
      } catch (error) {
        if (!(error instanceof ProfileConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
      }
    }
  }

  /** DynamoDB's item count for the table (refreshed about every six hours): enough to size a segmentation run. */
  async approximateCount(): Promise<number> {
    const { Table } = await this.db.send(new DescribeTableCommand({ TableName: this.tableName }));
    return Table?.ItemCount ?? 0;
  }

  async *scanSegment(segment: number, totalSegments: number): AsyncIterable<CustomerProfile[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({ TableName: this.tableName, Segment: segment, TotalSegments: totalSegments, ExclusiveStartKey: startKey }),
      );
      yield (page.Items ?? []).map((item) => this.parse(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /** Sets only the listed top-level fields, if the version still matches (segmentation's narrow write). */
  async updateFields(customerId: string, expectedVersion: number, fields: Partial<CustomerProfile>): Promise<void> {
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':prev': expectedVersion, ':one': 1 };
    const sets: string[] = [];
    const removes: string[] = [];
    Object.entries(fields).forEach(([k, v], i) => {
      names[`#f${i}`] = k;
      if (v === undefined) return removes.push(`#f${i}`);
      values[`:v${i}`] = v;
      sets.push(`#f${i} = :v${i}`);
    });
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { customerId },
          UpdateExpression: `SET ${[...sets, '#version = #version + :one'].join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: '#version = :prev',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new ProfileConflictError(customerId);
      throw error;
    }
  }
}
