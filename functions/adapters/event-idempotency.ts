import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';

/**
 * How long an event's record is kept: longer than the bus archive keeps events for replay
 * (365 days), so a replayed event always finds the record of its first delivery.
 */
export const IDEMPOTENCY_TTL_SECONDS = 400 * 86_400;

/**
 * How long an attempt holds its event when there is no Lambda context to say (locally): the
 * functions' 30 s timeout. An attempt that crashed releases the event after this, instead of
 * leaving it 'in progress' for the record's whole life.
 */
const LEASE_WITHOUT_CONTEXT_MS = 30_000;
const leaseWithoutContext = { getRemainingTimeInMillis: () => LEASE_WITHOUT_CONTEXT_MS } as Context;

/** The idempotency table (lib/tables.ts, `idempotency`) and the client to reach it. */
export interface IdempotencyTable {
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName: string;
  /** The layer that keeps the records (the local history import buffers them); one on this table by default. */
  layer?: DynamoDBPersistenceLayer;
}

/**
 * Runs `handle` once per event key: a redelivery or a replay of an event already handled
 * (within the TTL) returns the first outcome and changes nothing. A failed attempt leaves no
 * record, so a retry runs again. Events without a key (invalid ones) are handled as they come.
 * The key prefix is the function's role, not its deployed name, so a rename keeps the records.
 */
export function idempotentPerEvent<R>(
  role: 'ingest' | 'engagement',
  table: IdempotencyTable,
  keyOf: (event: unknown) => string | undefined,
  handle: (event: unknown) => Promise<R>,
): (event: unknown, context?: Context) => Promise<R> {
  // One layer per function: Powertools keeps the key prefix on the layer. A document client
  // passes the layer's own (already marshalled) commands through unchanged.
  const store = table.layer ?? new DynamoDBPersistenceLayer({ tableName: table.tableName, awsSdkV3Client: table.client as DynamoDBClient });
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS });
  const once = makeIdempotent(async (input: { key: string; event: unknown }) => handle(input.event), { persistenceStore: store, config, keyPrefix: role });
  return (event, context) => {
    // The invocation's remaining time bounds how long its 'in progress' record blocks a retry.
    config.registerLambdaContext(context ?? leaseWithoutContext);
    const key = keyOf(event);
    return key === undefined ? handle(event) : (once({ key, event }) as Promise<R>);
  };
}
