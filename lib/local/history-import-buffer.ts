import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { BatchWriteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError, IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import { type CustomerStore, ProfileConflictError } from '#adapters/customer-store.ts';
import { type StageChange, StageChangeLog } from '#adapters/stage-change-log.ts';
import { type EventIdentity, type IdentityLinks, type IdentityStore, type LinkItem, sourceLinkId } from '#adapters/identity-store.ts';
import type { LinkReason } from '#domain/identity.ts';

const MAX_CONFLICT_RETRIES = 8;
const BATCH = 25;
/** Batches in flight at once: the SDK's work on one overlaps dynalite's on another (each a process of its own). */
const BATCHES_IN_FLIGHT = 4;

/** Whether the table holds no item (one page of a COUNT scan). */
async function isEmpty(db: DynamoDBDocumentClient, table: string): Promise<boolean> {
  const { Count } = await db.send(new ScanCommand({ TableName: table, Limit: 1, Select: 'COUNT' }));
  return (Count ?? 0) === 0;
}

/**
 * Puts items (distinct keys, so their order does not matter) with BatchWriteItem, 25 a call and a
 * few calls at once, resubmitting what comes back unprocessed.
 */
async function putInBatches(db: DynamoDBDocumentClient, table: string, items: readonly Record<string, unknown>[], what: string): Promise<void> {
  const limit = pLimit(BATCHES_IN_FLIGHT);
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += BATCH) batches.push(items.slice(i, i + BATCH));
  await Promise.all(
    batches.map((batch) =>
      limit(async () => {
        let requests = batch.map((Item) => ({ PutRequest: { Item } }));
        for (let attempt = 0; requests.length > 0; attempt++) {
          const result = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
          requests = (result.UnprocessedItems?.[table] ?? []) as typeof requests;
          if (requests.length && attempt > 8) throw new Error(`history import: ${requests.length} ${what} still unprocessed after retries`);
          if (requests.length) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        }
      }),
    ),
  );
}

/**
 * The history import of a replay, made cheap: while it runs, the ingest function's profile reads
 * and writes stay in memory (each event still goes through the same handler and domain code, and
 * a save still checks the version it read), and the stage changes wait; `flush` then writes every
 * changed profile with BatchWriteItem, 25 at a time, and records the stage changes in order.
 * Only the local runtime uses it, and only while nothing else runs: the clock stands at go-live,
 * no schedule fires and no send goes out until the import is flushed. The send path (ledger
 * claims, conditional single-item writes) never goes through it.
 */
export class HistoryImportBuffer {
  private active = false;
  private startedEmpty = false;
  private readonly profiles = new Map<string, CustomerProfile | undefined>();
  private readonly dirty = new Set<string>();
  private readonly changes: StageChange[] = [];
  readonly customers: CustomerStore;
  readonly stageChanges: StageChangeLog;
  /** The ingest function's idempotency layer. */
  readonly idempotency: BufferedIdempotencyLayer;

  /** The ingest function's identity links (their reads answered from memory once seen). */
  readonly identities: IdentityLinks;
  private readonly bufferedIdentities: BufferedIdentities;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { customers: string; stageChanges: string; idempotency: string; identities: string },
    private readonly inner: { customers: CustomerStore; stageChanges: StageChangeLog; identities: IdentityLinks & Pick<IdentityStore, 'erasedAt' | 'addressLink' | 'sourceLink'> },
  ) {
    this.bufferedIdentities = new BufferedIdentities(this, inner.identities);
    this.identities = this.bufferedIdentities;
    this.customers = new BufferedCustomers(this, inner.customers);
    this.stageChanges = new BufferedStageChanges(this, inner.stageChanges, db, tables.stageChanges);
    this.idempotency = new BufferedIdempotencyLayer(db, tables.idempotency);
  }

  get buffering(): boolean {
    return this.active;
  }

  async begin(): Promise<void> {
    await this.idempotency.begin();
    // Into an empty table (a replay's import), every first read of a customer would find nothing:
    // answered without asking. Nothing else writes profiles until the import is flushed.
    this.startedEmpty = await isEmpty(this.db, this.tables.customers);
    this.bufferedIdentities.begin(await isEmpty(this.db, this.tables.identities));
    this.active = true;
  }

  /** Writes what the import changed (profiles in batches, then the stage changes in the order they were recorded) and stops buffering. */
  async flush(): Promise<{ profiles: number; stageChanges: number }> {
    // The records first: a profile that holds an event is never written before the record of it.
    await this.idempotency.flush();
    await putInBatches(this.db, this.tables.identities, this.bufferedIdentities.takeClaims(), 'identity links');
    const items = [...this.dirty].map((id) => this.profiles.get(id)).filter((p): p is CustomerProfile => p !== undefined);
    await putInBatches(this.db, this.tables.customers, items, 'customer profiles');
    const changes = this.changes.splice(0);
    this.active = false;
    this.bufferedIdentities.clear();
    this.profiles.clear();
    this.dirty.clear();
    // One batch may not name an item twice; a customer whose stage changed twice at go-live keeps
    // the later change, as one write after the other would.
    for (let i = 0; i < changes.length; ) {
      const batch: StageChange[] = [];
      const keys = new Set<string>();
      for (; i < changes.length && batch.length < BATCH && !keys.has(`${changes[i]!.customerId}|${changes[i]!.changedAt}`); i++) {
        keys.add(`${changes[i]!.customerId}|${changes[i]!.changedAt}`);
        batch.push(changes[i]!);
      }
      await this.inner.stageChanges.record(batch);
    }
    return { profiles: items.length, stageChanges: changes.length };
  }

  /** @internal the buffered store's state */
  async read(inner: CustomerStore, customerId: string): Promise<CustomerProfile | undefined> {
    if (!this.profiles.has(customerId)) this.profiles.set(customerId, this.startedEmpty ? undefined : await inner.get(customerId));
    const p = this.profiles.get(customerId);
    // A copy, as a read from the table would be: the caller may change what it got.
    return p && structuredClone(p);
  }

  /** @internal as DynamoCustomerStore.save's condition: the version one more than the stored one (0 → new). */
  write(profile: CustomerProfile): void {
    const stored = this.profiles.get(profile.customerId);
    const ok = stored ? profile.version === stored.version + 1 : profile.version <= 1;
    if (!ok) throw new ProfileConflictError(profile.customerId);
    this.profiles.set(profile.customerId, structuredClone(profile));
    this.dirty.add(profile.customerId);
  }

  /** @internal */
  hold(changes: readonly StageChange[]): void {
    this.changes.push(...changes);
  }
}

/**
 * The ingest function's identity links during the import: a storefront id's link, once read or
 * claimed, is answered from memory. Equivalent to reading it again: a link is only ever written by
 * a put conditional on no item (the first claim wins, never overwritten), and only an erasure
 * deletes one, which nothing runs during the import. Whether it is linked yet is not remembered
 * (another event may claim it), and erased addresses are always read: those can change.
 *
 * Into an empty identities table (a replay's import) the claims themselves stay in memory too,
 * first claim winning, as the items the conditional puts would write, and `takeClaims` hands them
 * to the flush: nothing else reads or writes the table meanwhile, and it holds no erased address.
 */
class BufferedIdentities implements IdentityLinks {
  private readonly links = new Map<string, string>();
  /** id → the item a claim would have put, while buffering into an empty table. */
  private claims: Map<string, LinkItem> | undefined;

  constructor(
    private readonly buffer: HistoryImportBuffer,
    private readonly inner: IdentityLinks & Pick<IdentityStore, 'erasedAt' | 'addressLink' | 'sourceLink'>,
  ) {}

  /** @internal whether the claims are held too (the table was empty when the import began) */
  begin(tableEmpty: boolean): void {
    this.claims = tableEmpty ? new Map() : undefined;
  }

  /** @internal the claimed items, to write when the import ends */
  takeClaims(): Record<string, unknown>[] {
    const items = [...(this.claims?.values() ?? [])];
    this.claims = undefined;
    return items;
  }

  /** @internal forgets the links when the import ends */
  clear(): void {
    this.links.clear();
  }

  private get held() {
    return this.buffer.buffering ? this.claims : undefined;
  }

  private remember(source: string, storefrontId: string, customerId: string | undefined): void {
    if (this.buffer.buffering && customerId !== undefined) this.links.set(`${source}#${storefrontId}`, customerId);
  }

  private claim(item: LinkItem, claims: Map<string, LinkItem>): string {
    const existing = claims.get(item.id);
    if (existing) return existing.customerId;
    claims.set(item.id, item);
    return item.customerId;
  }

  async lookup(email: string | undefined, source: string, storefrontId: string): Promise<EventIdentity> {
    const held = this.held;
    if (held) {
      const customerId = held.get(sourceLinkId(source, storefrontId))?.customerId;
      return email === undefined ? { customerId } : { erasedAt: undefined, customerId };
    }
    const linked = this.buffer.buffering ? this.links.get(`${source}#${storefrontId}`) : undefined;
    if (linked === undefined) {
      const found = await this.inner.lookup(email, source, storefrontId);
      this.remember(source, storefrontId, found.customerId);
      return found;
    }
    return email === undefined ? { customerId: linked } : { erasedAt: await this.inner.erasedAt(email), customerId: linked };
  }

  async customerOfSource(source: string, storefrontId: string): Promise<string | undefined> {
    const held = this.held;
    if (held) return held.get(sourceLinkId(source, storefrontId))?.customerId;
    const linked = this.buffer.buffering ? this.links.get(`${source}#${storefrontId}`) : undefined;
    if (linked !== undefined) return linked;
    const found = await this.inner.customerOfSource(source, storefrontId);
    this.remember(source, storefrontId, found);
    return found;
  }

  async claimSource(source: string, storefrontId: string, customerId: string, reason: LinkReason, now: string): Promise<string> {
    const held = this.held;
    if (held) return this.claim(this.inner.sourceLink(source, storefrontId, customerId, reason, now), held);
    const owner = await this.inner.claimSource(source, storefrontId, customerId, reason, now);
    this.remember(source, storefrontId, owner);
    return owner;
  }

  async claimAddress(email: string, customerId: string, now: string): Promise<string> {
    const held = this.held;
    if (held) return this.claim(this.inner.addressLink(email, customerId, now), held);
    return this.inner.claimAddress(email, customerId, now);
  }

  async forgetErasure(email: string): Promise<void> {
    // An empty table holds no erasure to forget.
    if (this.held) return;
    return this.inner.forgetErasure(email);
  }
}

class BufferedCustomers implements CustomerStore {
  constructor(
    private readonly buffer: HistoryImportBuffer,
    private readonly inner: CustomerStore,
  ) {}

  get(customerId: string): Promise<CustomerProfile | undefined> {
    return this.buffer.buffering ? this.buffer.read(this.inner, customerId) : this.inner.get(customerId);
  }

  async save(profile: CustomerProfile): Promise<void> {
    if (!this.buffer.buffering) return this.inner.save(profile);
    this.buffer.write(profile);
  }

  async modify(customerId: string, change: (current: CustomerProfile | undefined) => CustomerProfile | undefined): Promise<CustomerProfile | undefined> {
    if (!this.buffer.buffering) return this.inner.modify(customerId, change);
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

  scanSegment(segment: number, totalSegments: number): AsyncIterable<CustomerProfile[]> {
    if (this.buffer.buffering) throw new Error('history import: scan before the import was flushed');
    return this.inner.scanSegment(segment, totalSegments);
  }
}

class BufferedStageChanges extends StageChangeLog {
  constructor(
    private readonly buffer: HistoryImportBuffer,
    private readonly inner: StageChangeLog,
    db: DynamoDBDocumentClient,
    tableName: string,
  ) {
    super(db, tableName);
  }

  override async record(changes: readonly StageChange[]): Promise<void> {
    if (!this.buffer.buffering) return this.inner.record(changes);
    this.buffer.hold(changes);
  }
}

/**
 * The ingest function's idempotency records during the import: kept in memory with the same
 * checks (a second attempt at a key finds the first's record), then written as the DynamoDB layer
 * would have left them (one BatchWriteItem per 25). Used only when the table held no record when
 * the import began, so no earlier record can be missed; otherwise it is the plain layer.
 */
export class BufferedIdempotencyLayer extends DynamoDBPersistenceLayer {
  private buffering = false;
  private readonly records = new Map<string, IdempotencyRecord>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {
    super({ tableName: table, awsSdkV3Client: db as unknown as DynamoDBClient });
  }

  /** Buffers from now on if the table is empty. */
  async begin(): Promise<void> {
    this.buffering = await isEmpty(this.db, this.table);
  }

  async flush(): Promise<number> {
    const items = [...this.records.values()].map((r) => ({
      // The attributes DynamoDBPersistenceLayer writes: its default names (the layer is built with them).
      id: r.idempotencyKey,
      expiration: r.expiryTimestamp,
      status: r.getStatus(),
      ...(r.inProgressExpiryTimestamp !== undefined ? { in_progress_expiration: r.inProgressExpiryTimestamp } : {}),
      ...(r.responseData !== undefined ? { data: r.responseData } : {}),
    }));
    this.buffering = false;
    this.records.clear();
    await putInBatches(this.db, this.table, items, 'idempotency records');
    return items.length;
  }

  private copy(r: IdempotencyRecord): IdempotencyRecord {
    return new IdempotencyRecord({
      idempotencyKey: r.idempotencyKey,
      status: r.getStatus(),
      ...(r.expiryTimestamp !== undefined ? { expiryTimestamp: r.expiryTimestamp } : {}),
      ...(r.inProgressExpiryTimestamp !== undefined ? { inProgressExpiryTimestamp: r.inProgressExpiryTimestamp } : {}),
      ...(r.responseData !== undefined ? { responseData: r.responseData } : {}),
    });
  }

  protected override async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    if (!this.buffering) return super._getRecord(idempotencyKey);
    const r = this.records.get(idempotencyKey);
    if (!r) throw new IdempotencyItemNotFoundError();
    return this.copy(r);
  }

  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    if (!this.buffering) return super._putRecord(record);
    // The layer's condition: no record yet, or an expired one, or an attempt whose lease ran out.
    const existing = this.records.get(record.idempotencyKey);
    const now = Date.now();
    const free =
      !existing ||
      (existing.expiryTimestamp !== undefined && existing.expiryTimestamp < now / 1000) ||
      (existing.getStatus() === IdempotencyRecordStatus.INPROGRESS && existing.inProgressExpiryTimestamp !== undefined && existing.inProgressExpiryTimestamp < now);
    if (!free) throw new IdempotencyItemAlreadyExistsError(`Failed to put record for already existing idempotency key: ${record.idempotencyKey}`, this.copy(existing));
    this.records.set(record.idempotencyKey, this.copy(record));
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    if (!this.buffering) return super._updateRecord(record);
    const existing = this.records.get(record.idempotencyKey);
    this.records.set(
      record.idempotencyKey,
      this.copy(
        new IdempotencyRecord({
          idempotencyKey: record.idempotencyKey,
          status: record.getStatus(),
          ...(record.expiryTimestamp !== undefined ? { expiryTimestamp: record.expiryTimestamp } : {}),
          ...(existing?.inProgressExpiryTimestamp !== undefined ? { inProgressExpiryTimestamp: existing.inProgressExpiryTimestamp } : {}),
          ...(record.responseData !== undefined ? { responseData: record.responseData } : {}),
        }),
      ),
    );
  }

  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    if (!this.buffering) return super._deleteRecord(record);
    this.records.delete(record.idempotencyKey);
  }
}
