import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { TABLES, type TableName, type TableNames } from '../tables.ts';

type Item = Record<string, unknown>;
type Input = {
  TableName?: string;
  Key?: Item;
  Item?: Item;
  ConsistentRead?: boolean;
  ProjectionExpression?: string;
  AttributesToGet?: unknown;
  RequestItems?: Record<string, unknown>;
};
type WriteRequest = { PutRequest?: { Item?: Item }; DeleteRequest?: { Key?: Item } };

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);
const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'ScanCommand', 'QueryCommand', 'DescribeTableCommand']);

/** An item as DynamoDB hands it back after the document client wrote it (undefined attributes dropped, numbers as numbers). */
function asStoredOrUndefined(item: Item): Item | undefined {
  try {
    return unmarshall(marshall(item, { removeUndefinedValues: true }));
  } catch {
    return undefined; // not a plain item: the next read asks the table
  }
}

/**
 * The local runtime's answer to a handler's GetItem of an item it has just read or written, from
 * memory instead of another round trip to dynalite (one process writes every item here, through
 * this one client, so what it last wrote or read is what a consistent read returns).
 *
 * Only whole-item reads are answered (no projection); every write still goes to dynalite with its
 * condition, and the table keeps deciding. A write drops its key before it is sent, a Put (or a
 * batch's put request) that succeeded leaves the item as stored, and a read or a Put whose key was written meanwhile
 * (concurrent handlers) leaves nothing: the next read goes to the table. A command on a cached
 * table the cache does not recognise empties it. IAM (the access guard) sits before it and checks
 * every call a handler makes; a read answered here sends no request, so no injected throttle falls on it.
 */
export class ItemReadCache {
  private readonly items = new Map<string, Item | null>();
  /** Per key: bumped by every write, so a read that overlapped one does not fill the cache. */
  private readonly writeCounts = new Map<string, number>();
  private readonly writing = new Map<string, number>();
  /** Bumped when the cache is emptied. */
  private epoch = 0;
  private readonly keyNames: Map<string, string[]>;
  readonly stats = { hits: 0, misses: 0 };

  constructor(tables: TableNames, cached: readonly TableName[]) {
    this.keyNames = new Map(
      TABLES.filter((t) => cached.includes(t.name)).map((t) => [tables[t.name], [t.partitionKey, ...(t.sortKey ? [t.sortKey] : [])]]),
    );
  }

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? '';
        const input = args.input as Input;
        if (command === 'GetItemCommand' && input.TableName && this.keyNames.has(input.TableName)) {
          const key = this.keyOf(input.TableName, input.Key);
          if (!key || input.ProjectionExpression || input.AttributesToGet) return next(args);
          if (this.items.has(key) && !this.writing.get(key)) {
            this.stats.hits++;
            const item = this.items.get(key);
            return { output: { $metadata: { httpStatusCode: 200 }, ...(item ? { Item: structuredClone(item) } : {}) }, response: {} } as Awaited<ReturnType<typeof next>>;
          }
          this.stats.misses++;
          // A read sent while the key is being written may be answered before or after that write: it fills nothing.
          const [epoch, writes, overlapped] = [this.epoch, this.writeCounts.get(key) ?? 0, Boolean(this.writing.get(key))];
          const result = await next(args);
          if (!overlapped && epoch === this.epoch && writes === (this.writeCounts.get(key) ?? 0) && !this.writing.get(key)) {
            const item = (result.output as { Item?: Item }).Item;
            this.items.set(key, item ? structuredClone(item) : null);
          }
          return result;
        }
        const writes = this.writesOf(command, input);
        if (writes === 'none') return next(args);
        if (writes === 'unknown') {
          this.clear();
          return next(args);
        }
        for (const { key } of writes) {
          this.items.delete(key);
          this.writeCounts.set(key, (this.writeCounts.get(key) ?? 0) + 1);
          this.writing.set(key, (this.writing.get(key) ?? 0) + 1);
        }
        const marks = writes.map(({ key }) => this.writeCounts.get(key));
        const epoch = this.epoch;
        try {
          const result = await next(args);
          // A put alone on its key leaves the item exactly as it wrote it (a batch's too, unless handed back unprocessed).
          if (epoch === this.epoch) {
            const unprocessed = new Set<string>();
            for (const [table, requests] of Object.entries((result.output as { UnprocessedItems?: Record<string, WriteRequest[]> }).UnprocessedItems ?? {}))
              for (const r of requests) unprocessed.add(this.keyOf(table, r.PutRequest?.Item ?? r.DeleteRequest?.Key) ?? '');
            writes.forEach(({ key, put }, i) => {
              if (!put || unprocessed.has(key) || this.writing.get(key) !== 1 || marks[i] !== this.writeCounts.get(key)) return;
              const stored = asStoredOrUndefined(put);
              if (stored) this.items.set(key, stored);
            });
          }
          return result;
        } finally {
          for (const { key } of writes) {
            const left = this.writing.get(key)! - 1;
            if (left) this.writing.set(key, left);
            else this.writing.delete(key);
          }
        }
      },
      // After the access guard ('high') and the injected crash after a claim (normal), both at initialize.
      { step: 'initialize', name: 'itemReadCache', priority: 'low' },
    );
  }

  clear(): void {
    this.items.clear();
    this.epoch++;
  }

  /**
   * The cached items a command writes, by key, with the whole item it puts (a Put, a batch's put
   * request): 'none' when it writes none, 'unknown' when it may write some this cannot name.
   */
  private writesOf(command: string, input: Input): { key: string; put?: Item }[] | 'none' | 'unknown' {
    if (READS.has(command)) return 'none';
    if (WRITES.has(command)) {
      if (!input.TableName || !this.keyNames.has(input.TableName)) return 'none';
      const put = command === 'PutItemCommand' ? input.Item : undefined;
      const key = this.keyOf(input.TableName, put ?? input.Key);
      return key ? [{ key, ...(put ? { put } : {}) }] : 'unknown';
    }
    if (command === 'BatchWriteItemCommand') {
      const writes: { key: string; put?: Item }[] = [];
      for (const [table, requests] of Object.entries(input.RequestItems ?? {})) {
        if (!this.keyNames.has(table)) continue;
        for (const r of requests as WriteRequest[]) {
          const put = r.PutRequest?.Item;
          const key = this.keyOf(table, put ?? r.DeleteRequest?.Key);
          if (!key) return 'unknown';
          writes.push({ key, ...(put ? { put } : {}) });
        }
      }
      return writes.length ? writes : 'none';
    }
    // Transactions, PartiQL, table changes: anything else may touch a cached item.
    return this.keyNames.size ? 'unknown' : 'none';
  }

  /** The item's key in the document client's form (plain strings); undefined for a marshalled one. */
  private keyOf(table: string, item: Item | undefined): string | undefined {
    const names = this.keyNames.get(table);
    if (!names || !item) return undefined;
    const parts = names.map((n) => item[n]);
    if (!parts.every((p) => typeof p === 'string')) return undefined;
    return JSON.stringify([table, ...parts]);
  }
}
