import pLimit from 'p-limit';
import { BatchWriteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

/** Requests a BatchWriteItem call may carry. */
export const BATCH = 25;
/** Batches in flight at once: the SDK's work on one overlaps dynalite's on another (each a process of its own). */
export const BATCHES_IN_FLIGHT = 4;

/** Whether the table holds no item (one page of a COUNT scan). */
export async function isEmpty(db: DynamoDBDocumentClient, table: string): Promise<boolean> {
  const { Count } = await db.send(new ScanCommand({ TableName: table, Limit: 1, Select: 'COUNT' }));
  return (Count ?? 0) === 0;
}

export type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

/**
 * Puts items and deletes keys (distinct keys, so their order does not matter) with BatchWriteItem,
 * 25 a call and a few calls at once, resubmitting what comes back unprocessed.
 */
export async function writeInBatches(db: DynamoDBDocumentClient, table: string, writes: readonly WriteRequest[], what: string): Promise<void> {
  const limit = pLimit(BATCHES_IN_FLIGHT);
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < writes.length; i += BATCH) batches.push(writes.slice(i, i + BATCH));
  await Promise.all(
    batches.map((batch) =>
      limit(() => untilProcessed(batch, async (requests) => ((await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }))).UnprocessedItems?.[table] ?? []) as WriteRequest[], what)),
    ),
  );
}

/** Sends one batch, and then what comes back unprocessed, backing off, until nothing is left (or throws after nine tries). */
export async function untilProcessed<R>(batch: R[], send: (requests: R[]) => Promise<R[]>, what: string): Promise<void> {
  let requests = batch;
  for (let attempt = 0; requests.length > 0; attempt++) {
    requests = await send(requests);
    if (requests.length && attempt > 8) throw new Error(`${requests.length} ${what} still unprocessed after retries`);
    if (requests.length) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
  }
}

/** Puts items (distinct keys) in batches. */
export const putInBatches = (db: DynamoDBDocumentClient, table: string, items: readonly Record<string, unknown>[], what: string) =>
  writeInBatches(db, table, items.map((Item) => ({ PutRequest: { Item } })), what);
