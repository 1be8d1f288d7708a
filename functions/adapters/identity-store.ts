import { createHmac } from 'node:crypto';
import { BatchGetCommand, DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { InvalidInputError } from '#domain/invalid-input-error.ts';
import type { LinkReason } from '#domain/identity.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';

/**
 * The identities table: which profile an address or a storefront's customer id belongs to, and
 * the addresses that were erased. Addresses are never stored, only their HMAC-SHA256 under a
 * salt (from the data dir locally, Secrets Manager in AWS): an erased address stays recognisable
 * to us and to nobody without the salt.
 *
 * Items (partition key `id`):
 * - `email#<hash>` → customerId: the profile of a normalized address.
 * - `source#<storefront>#<storefront id>` → customerId, with when and why it was linked (the merge record).
 * - `erased#<hash>` → erasedAt: an erased address, not mailed again unless it signs up anew.
 * - `receipt#<erasedAt>#<customerId>`: what an erasure removed, when, by whom.
 */
export const IDENTITY_KEYS = { email: 'email#', source: 'source#', erased: 'erased#', receipt: 'receipt#' } as const;

export const normalizeAddress = (email: string) => email.trim().toLowerCase();

export function addressHash(salt: string, email: string): string {
  return createHmac('sha256', salt).update(normalizeAddress(email)).digest('hex');
}

/** An event's address erased (when), and the profile its storefront id is linked to, as the identities table holds them. */
/** An identities item linking an address or a storefront id to a profile. */
export type LinkItem = { id: string; customerId: string; linkedAt: string } & Record<string, unknown>;

/** The identities item id of a storefront id's link. */
export const sourceLinkId = (source: string, storefrontId: string) => `${IDENTITY_KEYS.source}${source}#${storefrontId}`;

export interface EventIdentity {
  erasedAt?: string | undefined;
  customerId?: string | undefined;
}

const Link = z.object({ id: z.string(), customerId: z.string() });
const Erased = z.object({ id: z.string(), erasedAt: z.string() });

export class IdentityStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly salt: string,
  ) {}

  hash(email: string): string {
    return addressHash(this.salt, email);
  }

  private async item<T>(id: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }));
    if (!Item) return undefined;
    const parsed = schema.safeParse(Item);
    if (!parsed.success) throw InvalidInputError.fromZod(`identities item ${id}`, parsed.error);
    return parsed.data;
  }

  /** Puts the item unless one with its id exists; returns the customer id the stored item names (ours, or the one that was there first). */
  private async claim(item: LinkItem): Promise<string> {
    try {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(id)' }));
      return item.customerId;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const existing = await this.item(item.id, Link);
      if (!existing) throw new Error(`identities item ${item.id} was claimed but cannot be read back`, { cause: error });
      return existing.customerId;
    }
  }

  /**
   * What resolving one event needs first, in one round trip: when its address was erased (if it
   * names one) and the profile its storefront id is linked to. One BatchGetItem of the two
   * items (consistent reads, as the single reads are); without an address one GetItem.
   */
  async lookup(email: string | undefined, source: string, storefrontId: string): Promise<EventIdentity> {
    if (email === undefined) return { customerId: await this.customerOfSource(source, storefrontId) };
    const erasedId = `${IDENTITY_KEYS.erased}${this.hash(email)}`;
    const sourceId = sourceLinkId(source, storefrontId);
    const items = new Map<string, Record<string, unknown>>();
    let keys: Record<string, unknown>[] = [{ id: erasedId }, { id: sourceId }];
    for (let attempt = 0; keys.length; attempt++) {
      const result = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of result.Responses?.[this.tableName] ?? []) items.set(String(item.id), item);
      keys = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      if (keys.length && attempt >= 5) throw new Error(`BatchGetItem on ${this.tableName} left ${keys.length} keys unprocessed after ${attempt + 1} attempts`);
      if (keys.length) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
    const parse = <T>(id: string, schema: z.ZodType<T>): T | undefined => {
      const item = items.get(id);
      if (!item) return undefined;
      const parsed = schema.safeParse(item);
      if (!parsed.success) throw InvalidInputError.fromZod(`identities item ${id}`, parsed.error);
      return parsed.data;
    };
    return { erasedAt: parse(erasedId, Erased)?.erasedAt, customerId: parse(sourceId, Link)?.customerId };
  }

  async customerOfSource(source: string, storefrontId: string): Promise<string | undefined> {
    return (await this.item(sourceLinkId(source, storefrontId), Link))?.customerId;
  }

  async customerOfAddress(email: string): Promise<string | undefined> {
    return (await this.item(`${IDENTITY_KEYS.email}${this.hash(email)}`, Link))?.customerId;
  }

  /** The item that links an address to a profile. */
  addressLink(email: string, customerId: string, now: string): LinkItem {
    return { id: `${IDENTITY_KEYS.email}${this.hash(email)}`, customerId, linkedAt: now };
  }

  /** The item that links a storefront id to a profile: the merge record, when and why. */
  sourceLink(source: string, storefrontId: string, customerId: string, reason: LinkReason, now: string): LinkItem {
    return { id: sourceLinkId(source, storefrontId), customerId, source, storefrontId, linkedAt: now, reason };
  }

  /** Links the address to `customerId` unless it is already linked; returns the profile it belongs to. */
  claimAddress(email: string, customerId: string, now: string): Promise<string> {
    return this.claim(this.addressLink(email, customerId, now));
  }

  /** Links a storefront id to `customerId` unless it is already linked (the merge record: when and why); returns the profile it belongs to. */
  claimSource(source: string, storefrontId: string, customerId: string, reason: LinkReason, now: string): Promise<string> {
    return this.claim(this.sourceLink(source, storefrontId, customerId, reason, now));
  }

  /** When the address was erased, if it was (and has not signed up anew since). */
  async erasedAt(email: string): Promise<string | undefined> {
    return (await this.item(`${IDENTITY_KEYS.erased}${this.hash(email)}`, Erased))?.erasedAt;
  }

  async markErased(email: string, now: string): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { id: `${IDENTITY_KEYS.erased}${this.hash(email)}`, erasedAt: now } }));
  }

  /** A fresh sign-up with consent after the erasure: the address may be mailed again. */
  async forgetErasure(email: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { id: `${IDENTITY_KEYS.erased}${this.hash(email)}` } }));
  }
}

/** What resolving an event's customer needs of the identities table (functions/ingest/ingest-shop-event.ts). */
export type IdentityLinks = Pick<IdentityStore, 'lookup' | 'forgetErasure' | 'customerOfSource' | 'claimAddress' | 'claimSource'>;

/**
 * The identities table as a dry run sees it: reads go to the table, links and forgotten erasures
 * stay in memory with the table's first-claim-wins rule. An import plan resolves each row exactly
 * as ingest will, rows of one file included, and writes nothing.
 */
export class PlannedIdentities implements IdentityLinks {
  private readonly addresses = new Map<string, string>();
  private readonly sources = new Map<string, string>();
  private readonly forgotten = new Set<string>();

  constructor(private readonly store: Pick<IdentityStore, 'hash' | 'erasedAt' | 'customerOfSource' | 'customerOfAddress'>) {}

  async erasedAt(email: string): Promise<string | undefined> {
    return this.forgotten.has(this.store.hash(email)) ? undefined : this.store.erasedAt(email);
  }

  async forgetErasure(email: string): Promise<void> {
    this.forgotten.add(this.store.hash(email));
  }

  async lookup(email: string | undefined, source: string, storefrontId: string): Promise<EventIdentity> {
    return { erasedAt: email === undefined ? undefined : await this.erasedAt(email), customerId: await this.customerOfSource(source, storefrontId) };
  }

  async customerOfSource(source: string, storefrontId: string): Promise<string | undefined> {
    return this.sources.get(`${source}#${storefrontId}`) ?? this.store.customerOfSource(source, storefrontId);
  }

  async claimAddress(email: string, customerId: string): Promise<string> {
    const key = this.store.hash(email);
    const owner = this.addresses.get(key) ?? (await this.store.customerOfAddress(email)) ?? customerId;
    this.addresses.set(key, owner);
    return owner;
  }

  async claimSource(source: string, storefrontId: string, customerId: string): Promise<string> {
    const owner = (await this.customerOfSource(source, storefrontId)) ?? customerId;
    this.sources.set(`${source}#${storefrontId}`, owner);
    return owner;
  }
}
