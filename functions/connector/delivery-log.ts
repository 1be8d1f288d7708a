import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { OrderOwner } from './mapped-event.ts';

/** Platforms retry for up to 48 hours (Shopify) or a few days (WooCommerce): a week covers every redelivery. */
const DELIVERY_DAYS = 7;
/** A claim whose publish did not finish (the function died) may be taken again after this. */
export const CLAIM_LEASE_SECONDS = 60;
/** Refunds can come long after the order; keep the order → customer link for about three years. */
const ORDER_OWNER_DAYS = 1100;

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

const OwnerItem = z.object({ id: z.string(), customerId: z.string() });

/**
 * The connector's small table: one item per webhook delivery (a conditional put claims it,
 * so a redelivery publishes nothing twice), and one per order linking it to its customer.
 * Both expire through the table's TTL.
 */
export class DeliveryLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Claims a delivery id before publishing. False when it was handled already, or is being
   * handled right now; a claim left in flight longer than the lease (a crash) can be taken again.
   */
  async claim(deliveryId: string, now: string): Promise<boolean> {
    const at = epochSeconds(now);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id: `delivery#${deliveryId}`, status: 'in-flight', claimedAt: at, expiresAt: at + DELIVERY_DAYS * 86_400 },
          ConditionExpression: 'attribute_not_exists(id) OR (#status = :inFlight AND claimedAt < :staleBefore)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inFlight': 'in-flight', ':staleBefore': at - CLAIM_LEASE_SECONDS },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error instanceof Error && error.name === 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  /** The delivery's events are on the bus: a redelivery from now on is a duplicate for good. */
  async complete(deliveryId: string): Promise<void> {
    await this.db.send(new UpdateCommand({ TableName: this.tableName, Key: { id: `delivery#${deliveryId}` }, UpdateExpression: 'SET #status = :done', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':done': 'done' } }));
  }

  /** Publishing failed: give the claim back so the platform's retry is handled. */
  async release(deliveryId: string): Promise<void> {
    await this.db.send(new UpdateCommand({ TableName: this.tableName, Key: { id: `delivery#${deliveryId}` }, UpdateExpression: 'SET claimedAt = :zero', ExpressionAttributeValues: { ':zero': 0 } }));
  }

  async rememberOwners(owners: readonly OrderOwner[], now: string): Promise<void> {
    const expiresAt = epochSeconds(now) + ORDER_OWNER_DAYS * 86_400;
    for (const owner of owners) {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: { id: `order#${owner.orderId}`, customerId: owner.customerId, expiresAt } }));
    }
  }

  async ownerOf(orderId: string): Promise<string | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { id: `order#${orderId}` }, ConsistentRead: true }));
    return Item ? OwnerItem.parse(Item).customerId : undefined;
  }
}
