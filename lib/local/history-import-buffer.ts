import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BATCH, isEmpty, putInBatches } from './batch-writes.ts';
import { cacheCopy, handedOut } from './item-read-cache.ts';
import { BufferedIdempotencyLayer } from './buffered-idempotency-layer.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import { type CustomerStore, ProfileConflictError } from '#adapters/customer-store.ts';
import { type StageChange, StageChangeLog } from '#adapters/stage-change-log.ts';
import { type EventIdentity, type IdentityLinks, type IdentityStore, type LinkItem, sourceLinkId } from '#adapters/identity-store.ts';
import type { LinkReason } from '#domain/identity.ts';

const MAX_CONFLICT_RETRIES = 8;

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
    // Written now, and kept in memory: the ingest function's later records are written behind too (LocalRuntime.writeBehind).
    await this.idempotency.writeBehind();
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
    // Held frozen (see write), so handed out as it is, as the read cache hands out a profile; a copy if it could not be frozen.
    return p && handedOut(p);
  }

  /** @internal as DynamoCustomerStore.save's condition: the version one more than the stored one (0 → new). */
  write(profile: CustomerProfile): void {
    const stored = this.profiles.get(profile.customerId);
    const ok = stored ? profile.version === stored.version + 1 : profile.version <= 1;
    if (!ok) throw new ProfileConflictError(profile.customerId);
    // The buffer's own copy, frozen: the caller may go on changing its object, and no reader can change this one.
    this.profiles.set(profile.customerId, cacheCopy(profile));
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
