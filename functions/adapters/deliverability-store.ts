import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  campaignScope,
  COUNTER_OF,
  DayCounters,
  type DeliverabilityOutcome,
  NO_COUNTS,
  PauseRecord,
  type PauseScope,
} from '#domain/deliverability-guardrail.ts';
import { InvalidInputError } from '#domain/invalid-input-error.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';

/**
 * Partition-key prefixes of the three kinds of item. The CDK construct scopes the send and
 * segment functions' IAM to them (dynamodb:LeadingKeys): they may read pauses and add to
 * day counters, never write a pause.
 */
export const DELIVERABILITY_KEYS = {
  /** `day#<YYYY-MM-DD>#all`: one sending day's counters, every send's and each campaign's. */
  day: 'day#',
  /** `event#<SES message id>#<Bounce|Complaint>`: marks an SES event as counted. */
  event: 'event#',
  /** `pause#campaign#<id>` and `pause#all-marketing`: a scope's pause record. */
  pause: 'pause#',
} as const;

/** Counters and markers age out (DynamoDB TTL); pause records do not. */
const KEEP_COUNTS_DAYS = 90;
const ALL = 'all';

const dayKey = (day: string) => `${DELIVERABILITY_KEYS.day}${day}#${ALL}`;
/** A campaign's counter on its day's item, beside the day's own (`campaign#welcome#sends`). */
const campaignCounter = (campaignId: string, counter: keyof DayCounters) => `${campaignScope(campaignId)}#${counter}`;
const pauseKey = (scope: PauseScope) => `${DELIVERABILITY_KEYS.pause}${scope}`;
const expiresAt = (now: string) => Math.floor(Date.parse(now) / 1000) + KEEP_COUNTS_DAYS * 86_400;

/**
 * The guardrail's table: per sending day counters (atomic ADD) per campaign and for the
 * whole day, markers that make counting an SES event idempotent, and pause records written
 * with optimistic concurrency.
 */
export class DeliverabilityStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Adds one to the day's counter and, when given, to the campaign's on the same item: one write. */
  private async add(counter: keyof DayCounters, campaignId: string | undefined, day: string, now: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { id: dayKey(day) },
        UpdateExpression: `ADD #c :one${campaignId ? ', #cc :one' : ''} SET #day = if_not_exists(#day, :day), expiresAt = if_not_exists(expiresAt, :exp)`,
        ExpressionAttributeNames: { '#c': counter, '#day': 'day', ...(campaignId ? { '#cc': campaignCounter(campaignId, counter) } : {}) },
        ExpressionAttributeValues: { ':one': 1, ':day': day, ':exp': expiresAt(now) },
      }),
    );
  }

  /** One accepted send, on the day's counters and its campaign's. */
  async countSend(campaignId: string, day: string, now: string): Promise<void> {
    await this.add('sends', campaignId, day, now);
  }

  /**
   * A bounce or complaint, against the day its message was sent. Returns false when this
   * message's event was counted before (EventBridge delivers at least once). The marker
   * is written first: if the counters then fail, the retry does not count again — an
   * undercount of one, never a double count that could pause a campaign for nothing.
   */
  async countOutcome(event: { messageId: string; eventType: 'Bounce' | 'Complaint'; outcome: DeliverabilityOutcome; campaignId: string | undefined; day: string }, now: string): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id: `${DELIVERABILITY_KEYS.event}${event.messageId}#${event.eventType}`, day: event.day, outcome: event.outcome, countedAt: now, expiresAt: expiresAt(now) },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
    await this.add(COUNTER_OF[event.outcome], event.campaignId, event.day, now);
    return true;
  }

  /** A sending day's counters for one campaign (when given) and for every send that day: one read. */
  async dayCounters(day: string, campaignId: string | undefined): Promise<{ campaign: DayCounters | undefined; all: DayCounters }> {
    const key = dayKey(day);
    const { Item = {} } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { id: key }, ConsistentRead: true }));
    const parse = (counters: Record<string, unknown>, what: string) => {
      const parsed = DayCounters.safeParse(counters);
      if (!parsed.success) throw InvalidInputError.fromZod(what, parsed.error);
      return parsed.data;
    };
    const all = parse(Item, `deliverability counters ${key}`);
    if (!campaignId) return { campaign: undefined, all };
    const own = Object.fromEntries(Object.keys(NO_COUNTS).map((c) => [c, Item[campaignCounter(campaignId, c as keyof DayCounters)]]));
    return { campaign: parse(own, `deliverability counters ${key} of campaign ${campaignId}`), all };
  }

  private parsePause(item: Record<string, unknown>): PauseRecord {
    const parsed = PauseRecord.safeParse(item);
    if (!parsed.success) throw InvalidInputError.fromZod(`pause record ${String(item.id)}`, parsed.error);
    return parsed.data;
  }

  async getPause(scope: PauseScope): Promise<PauseRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { id: pauseKey(scope) }, ConsistentRead: true }));
    return Item ? this.parsePause(Item) : undefined;
  }

  /** Several scopes' records in one request (the send function asks for its campaign's and all marketing's). */
  async getPauses(scopes: readonly PauseScope[]): Promise<Map<PauseScope, PauseRecord>> {
    const out = new Map<PauseScope, PauseRecord>();
    let keys: Record<string, unknown>[] = [...new Set(scopes)].map((s) => ({ id: pauseKey(s) }));
    for (let attempt = 0; keys.length; attempt++) {
      const result = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of result.Responses?.[this.tableName] ?? []) {
        const record = this.parsePause(item);
        out.set(record.scope, record);
      }
      keys = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      if (keys.length && attempt >= 5) throw new Error(`BatchGetItem on ${this.tableName} left ${keys.length} keys unprocessed after ${attempt + 1} attempts`);
      if (keys.length) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
    return out;
  }

  /**
   * Writes a record if the stored one is still the version it was derived from (none, for
   * a first pause). Returns false when someone else wrote in between: read again, decide again.
   */
  async putPause(record: PauseRecord): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id: pauseKey(record.scope), ...record },
          ...(record.version === 1
            ? { ConditionExpression: 'attribute_not_exists(id)' }
            : { ConditionExpression: '#v = :previous', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':previous': record.version - 1 } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Every pause record, active and resumed (a scan: for the CLI and reports, not per send). */
  async listPauses(): Promise<PauseRecord[]> {
    const out: PauseRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(id, :pause)',
          ExpressionAttributeValues: { ':pause': DELIVERABILITY_KEYS.pause },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) out.push(this.parsePause(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out.sort((a, b) => a.scope.localeCompare(b.scope));
  }
}
