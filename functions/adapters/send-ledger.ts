import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { InvalidInputError } from '#domain/invalid-input-error.ts';
import type { SendRequest } from '#domain/send-request.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';

export const LedgerEntry = z.object({
  sendId: z.string(),
  customerId: z.string(),
  campaignId: z.string(),
  period: z.string(),
  variant: z.string(),
  /**
   * claimed → sent; or unknown when a claim's SES result was lost (never resent); skipped: refused for good;
   * held-out: the customer passed the same checks but is in the holdout (or control group), so nothing was mailed.
   */
  status: z.enum(['claimed', 'sent', 'skipped', 'unknown', 'held-out']),
  claimedAt: z.string(),
  /** A journey step's send: where it belongs, so the report can place sends and held-out moments on journey and step rows. */
  journeyId: z.string().optional(),
  entryId: z.string().optional(),
  stepId: z.string().optional(),
  /** The moment the email would have gone, for a held-out entry (treated and held-out customers compare from the same moment). */
  heldOutAt: z.string().optional(),
  holdoutReason: z.string().optional(),
  sentAt: z.string().optional(),
  messageId: z.string().optional(),
  skipReason: z.string().optional(),
  /** Why the last attempt ended without a known SES result (a timeout, a dropped connection): what a person checking an 'outcome unknown' needs. */
  attemptError: z.string().optional(),
  opens: z.number().default(0),
  /** The split of `opens` (isMachineOpen); absent on entries written before it was recorded. */
  humanOpens: z.number().optional(),
  machineOpens: z.number().optional(),
  clicks: z.number().default(0),
  /** This send's unsubscribe link unsubscribed the customer; absent on entries claimed before links named their send. */
  unsubscribed: z.boolean().optional(),
  unsubscribedAt: z.string().optional(),
  /** Orders credited to this send by last-touch attribution at ingest; `attributedOrderIds` keeps a replayed order from counting twice. */
  attributedOrders: z.number().optional(),
  attributedRevenue: z.number().optional(),
  attributedOrderIds: z.array(z.string()).optional(),
  attributions: z.array(z.object({ orderId: z.string(), at: z.string(), value: z.number(), touch: z.enum(['click', 'human-open']), hoursToOrder: z.number() })).optional(),
  delivered: z.boolean().default(false),
  bounced: z.boolean().default(false),
  complained: z.boolean().default(false),
  /** Set when SES's own events (a delivery, bounce or complaint), not the send function, showed the message went out. */
  confirmedBy: z.literal('ses-event').optional(),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

/** The ledger already holds this (customer, campaign, period): the send must not happen again. */
export class AlreadySentError extends Error {
  override readonly name = 'AlreadySentError';
  constructor(
    readonly sendId: string,
    readonly existing: LedgerEntry | undefined,
  ) {
    super(`send ${sendId} is already in the ledger (${existing?.status ?? 'unknown'})`);
  }
}

export type EngagementCounter = 'opens' | 'humanOpens' | 'machineOpens' | 'clicks';

/** One order credited to a send. */
export interface OrderAttribution {
  orderId: string;
  at: string;
  value: number;
  touch: 'click' | 'human-open';
  hoursToOrder: number;
}
export type EngagementFlag = 'delivered' | 'bounced' | 'complained';

/** One entry per (customer, campaign, period), written with a conditional put before SES is called. */
export class SendLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(sendId: string): Promise<LedgerEntry | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { sendId }, ConsistentRead: true }));
    if (!Item) return undefined;
    const parsed = LedgerEntry.safeParse(Item);
    if (!parsed.success) throw InvalidInputError.fromZod(`ledger entry ${sendId}`, parsed.error);
    return parsed.data;
  }

  /** Claims the send. Throws AlreadySentError if anyone claimed it before. */
  async claim(request: SendRequest, now: string): Promise<void> {
    const entry: LedgerEntry = {
      sendId: request.sendId,
      customerId: request.customerId,
      campaignId: request.campaignId,
      period: request.period,
      variant: request.variant,
      status: 'claimed',
      claimedAt: now,
      ...(request.journey ? { journeyId: request.journey.journeyId, entryId: request.journey.entryId, stepId: request.journey.step } : {}),
      opens: 0,
      humanOpens: 0,
      machineOpens: 0,
      clicks: 0,
      unsubscribed: false,
      delivered: false,
      bounced: false,
      complained: false,
    };
    try {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: entry, ConditionExpression: 'attribute_not_exists(sendId)' }));
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new AlreadySentError(request.sendId, await this.get(request.sendId));
      throw error;
    }
  }

  /**
   * One UpdateItem on an entry. With a condition, returns false when it did not hold
   * (the entry is not in the state the caller expected) instead of throwing.
   */
  private async update(
    sendId: string,
    expression: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
    condition?: string,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { sendId },
          UpdateExpression: expression,
          ...(condition ? { ConditionExpression: condition } : {}),
          // DynamoDB refuses an empty map here.
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (condition && isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async markSent(sendId: string, messageId: string, now: string): Promise<void> {
    await this.update(sendId, 'SET #status = :sent, messageId = :mid, sentAt = :now', { '#status': 'status' }, { ':sent': 'sent', ':mid': messageId, ':now': now });
  }

  /** Notes on a claim why its SES call ended without an answer; only a claim still 'claimed' is touched. */
  noteAttemptError(sendId: string, error: string): Promise<boolean> {
    return this.update(sendId, 'SET attemptError = :error', { '#status': 'status' }, { ':error': error.slice(0, 500), ':claimed': 'claimed' }, '#status = :claimed');
  }

  /** A claim whose SES result was lost: recorded once, never resent. Only a claim still 'claimed' moves. */
  markUnknown(sendId: string): Promise<boolean> {
    return this.update(sendId, 'SET #status = :unknown', { '#status': 'status' }, { ':unknown': 'unknown', ':claimed': 'claimed' }, '#status = :claimed');
  }

  /**
   * The customer is held out: nothing goes to SES, and the entry records the moment the email
   * would have gone. Only a claim still 'claimed' moves.
   */
  markHeldOut(sendId: string, reason: string, now: string): Promise<boolean> {
    return this.update(
      sendId,
      'SET #status = :held, heldOutAt = :now, holdoutReason = :reason',
      { '#status': 'status' },
      { ':held': 'held-out', ':now': now, ':reason': reason, ':claimed': 'claimed' },
      '#status = :claimed',
    );
  }

  /**
   * Credits an order to this send, once: one conditional UpdateItem that adds the order's
   * value and appends it, unless its id is already listed (a replayed Order Placed).
   * Returns false when the order was credited before or the ledger does not know the send.
   */
  attributeOrder(sendId: string, order: OrderAttribution): Promise<boolean> {
    return this.update(
      sendId,
      'SET attributedOrderIds = list_append(if_not_exists(attributedOrderIds, :empty), :ids), attributions = list_append(if_not_exists(attributions, :empty), :orders) ADD attributedOrders :one, attributedRevenue :value',
      {},
      { ':empty': [], ':ids': [order.orderId], ':orders': [order], ':one': 1, ':value': order.value, ':oid': order.orderId },
      'attribute_exists(sendId) AND NOT contains(attributedOrderIds, :oid)',
    );
  }

  /** Records that the send was refused for good at send time (a permanent SES rejection, a render failure). */
  async markSkipped(sendId: string, reason: string): Promise<void> {
    await this.update(sendId, 'SET #status = :skipped, skipReason = :reason', { '#status': 'status' }, { ':skipped': 'skipped', ':reason': reason });
  }

  /**
   * Gives a claim back when SES certainly did not accept the message (throttled, failed
   * before sending), so a retry may send it. Only an unsent claim can be released.
   */
  async release(sendId: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { sendId },
          ConditionExpression: '#status = :claimed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimed': 'claimed' },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /**
   * The send's unsubscribe link unsubscribed the customer (the first time counts: a second
   * click on the same link changes nothing). Returns false when the ledger does not know the send.
   */
  markUnsubscribed(sendId: string, now: string): Promise<boolean> {
    return this.update(sendId, 'SET unsubscribed = :true, unsubscribedAt = if_not_exists(unsubscribedAt, :now)', {}, { ':true': true, ':now': now }, 'attribute_exists(sendId)');
  }

  /**
   * Engagement on an entry, each counter one up in a single write (an open counts as an open and
   * as a human or machine open); events for sends the ledger does not know are ignored.
   */
  async count(sendId: string, ...counters: [EngagementCounter, ...EngagementCounter[]]): Promise<void> {
    const names = Object.fromEntries(counters.map((c, i) => [`#c${i}`, c]));
    await this.update(sendId, `ADD ${counters.map((_, i) => `#c${i} :one`).join(', ')}`, names, { ':one': 1 }, 'attribute_exists(sendId)');
  }

  /**
   * Notes SES's word on a message (delivered, bounced, complained) and its message id.
   * Returns the entry as it now stands, or undefined when the ledger does not know the send.
   */
  async flag(sendId: string, flag: EngagementFlag, messageId: string): Promise<LedgerEntry | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { sendId },
          UpdateExpression: 'SET #f = :true, messageId = if_not_exists(messageId, :mid)',
          ConditionExpression: 'attribute_exists(sendId)',
          ExpressionAttributeNames: { '#f': flag },
          ExpressionAttributeValues: { ':true': true, ':mid': messageId },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const parsed = LedgerEntry.safeParse(Attributes);
      if (!parsed.success) throw InvalidInputError.fromZod(`ledger entry ${sendId}`, parsed.error);
      return parsed.data;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /**
   * A claim whose SES result was lost ('claimed' after a crash, or already 'unknown'), now
   * known to have gone out because SES reported on the message. Only an entry still in
   * `from` moves, so the move (and what the caller counts for it) happens once.
   */
  confirmSentBySes(sendId: string, from: 'claimed' | 'unknown', sentAt: string): Promise<boolean> {
    return this.update(
      sendId,
      'SET #status = :sent, confirmedBy = :ses, sentAt = if_not_exists(sentAt, :at)',
      { '#status': 'status' },
      { ':sent': 'sent', ':ses': 'ses-event', ':at': sentAt, ':from': from },
      '#status = :from',
    );
  }

  /** Whether SES has reported on the entry's message: it certainly went out. */
  static sesReported(entry: Pick<LedgerEntry, 'delivered' | 'bounced' | 'complained'>): boolean {
    return entry.delivered || entry.bounced || entry.complained;
  }

  /** Every entry (reports and tests; a full scan). */
  async *all(): AsyncIterable<LedgerEntry> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) yield LedgerEntry.parse(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}
