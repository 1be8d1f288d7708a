import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError, IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { isEmpty, type WriteRequest, writeInBatches } from './batch-writes.ts';

/**
 * A function's idempotency records in the local runtime, kept in memory with the layer's own
 * checks (a second attempt at a key finds the first's record) and written behind, as the DynamoDB
 * layer would have left them, in batches of 25: the ingest function's from the history import on
 * (written at go-live), the engagement function's through the replay, both written behind at each
 * simulated day's end and at the replay's end. Used only when the table held no record when it began,
 * so, with one process writing this function's records, no record can be missed; otherwise it is
 * the plain layer.
 */
export class BufferedIdempotencyLayer extends DynamoDBPersistenceLayer {
  private buffering = false;
  private readonly records = new Map<string, IdempotencyRecord>();
  /** Keys changed in memory since the last write, and keys the table holds from earlier writes. */
  private readonly dirty = new Set<string>();
  private readonly written = new Set<string>();

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

  /**
   * Writes what changed since the last write and keeps buffering; returns how many records it wrote
   * or deleted. What this call puts or deletes is decided, and noted as the table's, before it
   * awaits: a record a handler changes while the write is in flight is dirty again, and the next
   * call writes it (or deletes it) from that state.
   */
  async writeBehind(): Promise<number> {
    const keys = [...this.dirty];
    this.dirty.clear();
    const writes = keys.flatMap((key): WriteRequest[] => {
      const r = this.records.get(key);
      if (r) {
        this.written.add(key);
        return [{ PutRequest: { Item: this.item(r) } }];
      }
      if (!this.written.delete(key)) return [];
      return [{ DeleteRequest: { Key: { id: key } } }];
    });
    await writeInBatches(this.db, this.table, writes, 'idempotency records');
    return writes.length;
  }

  /** The attributes DynamoDBPersistenceLayer writes: its default names (the layer is built with them). */
  private item(r: IdempotencyRecord): Record<string, unknown> {
    return {
      id: r.idempotencyKey,
      expiration: r.expiryTimestamp,
      status: r.getStatus(),
      ...(r.inProgressExpiryTimestamp !== undefined ? { in_progress_expiration: r.inProgressExpiryTimestamp } : {}),
      ...(r.responseData !== undefined ? { data: r.responseData } : {}),
    };
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
    this.dirty.add(record.idempotencyKey);
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
    this.dirty.add(record.idempotencyKey);
  }

  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    if (!this.buffering) return super._deleteRecord(record);
    this.records.delete(record.idempotencyKey);
    this.dirty.add(record.idempotencyKey);
  }
}
