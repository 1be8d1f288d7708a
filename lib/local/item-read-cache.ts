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
  KeyConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
};
/** What a Query may ask besides its partition for the cache to answer it (anything else goes to the table). */
const WHOLE_PARTITION_QUERY = new Set(['TableName', 'KeyConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues', 'ConsistentRead', 'ReturnConsumedCapacity']);
/** One item's writes, by its key and its partition's, with the whole item when it is put. */
type Write = { key: string; partition: string; put?: Item };
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

/** A partition's own name in the maps, apart from its items' keys (a table without a sort key would otherwise share them). */
const partitionKeyOf = (table: string, partitionKey: unknown) => `partition ${JSON.stringify([table, partitionKey])}`;

/** DynamoDB's order of string sort keys: by their UTF-8 bytes. */
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * The local runtime's answer to a handler's GetItem of an item it has just read or written, and
 * to its Query of a whole partition it has just queried (a customer's journey entries), from
 * memory instead of another round trip to dynalite (one process writes every item here, through
 * this one client, so what it last wrote or read is what a consistent read returns).
 *
 * Only whole-item reads are answered (no projection, no filter, no limit, no index); every write
 * still goes to dynalite with its condition, and the table keeps deciding. A write drops its key
 * before it is sent, a Put (or a batch's put request) that succeeded leaves the item as stored (in
 * its partition too), and a read or a Put whose key or partition was written meanwhile
 * (concurrent handlers) leaves nothing: the next read goes to the table. Any other write to a
 * partition (an update, a delete, a refused put) forgets the partition. A command on a cached
 * table the cache does not recognise empties it. IAM (the access guard) sits before it and checks
 * every call a handler makes; a read answered here sends no request, so no injected throttle falls on it.
 */
export class ItemReadCache {
  private readonly items = new Map<string, Item | null>();
  /** Per partition queried whole: its items by sort key. */
  private readonly partitions = new Map<string, Map<string, Item>>();
  /** Per key and per partition: bumped by every write, so a read that overlapped one does not fill the cache. */
  private readonly writeCounts = new Map<string, number>();
  private readonly writing = new Map<string, number>();
  /** Bumped when the cache is emptied. */
  private epoch = 0;
  private readonly keyNames: Map<string, string[]>;
  private readonly queried: Set<string>;
  readonly stats = { hits: 0, misses: 0 };

  /** `cached`: tables whose items are read by key; `queried`: tables whose partitions are queried whole. */
  constructor(tables: TableNames, cached: readonly TableName[], queried: readonly TableName[] = []) {
    this.keyNames = new Map(
      TABLES.filter((t) => cached.includes(t.name) || queried.includes(t.name)).map((t) => [tables[t.name], [t.partitionKey, ...(t.sortKey ? [t.sortKey] : [])]]),
    );
    this.queried = new Set(queried.map((t) => tables[t]));
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
        if (command === 'QueryCommand') {
          const partition = this.wholePartitionOf(input);
          if (!partition) return next(args);
          const known = this.partitions.get(partition);
          if (known && !this.writing.get(partition)) {
            this.stats.hits++;
            const sortKey = this.keyNames.get(input.TableName!)![1];
            const items = [...known.values()].sort((a, b) => (sortKey ? byUtf8(a[sortKey] as string, b[sortKey] as string) : 0)).map((i) => structuredClone(i));
            return { output: { $metadata: { httpStatusCode: 200 }, Items: items, Count: items.length, ScannedCount: items.length }, response: {} } as Awaited<ReturnType<typeof next>>;
          }
          this.stats.misses++;
          const [epoch, writes, overlapped] = [this.epoch, this.writeCounts.get(partition) ?? 0, Boolean(this.writing.get(partition))];
          const result = await next(args);
          const output = result.output as { Items?: Item[]; LastEvaluatedKey?: Item };
          if (!output.LastEvaluatedKey && !overlapped && epoch === this.epoch && writes === (this.writeCounts.get(partition) ?? 0) && !this.writing.get(partition)) {
            const items = new Map<string, Item>();
            for (const item of output.Items ?? []) {
              const key = this.keyOf(input.TableName!, item);
              if (!key) return result; // a sort key that is not a string: not kept
              items.set(key, structuredClone(item));
            }
            this.partitions.set(partition, items);
          }
          return result;
        }
        const writes = this.writesOf(command, input);
        if (writes === 'none') return next(args);
        if (writes === 'unknown') {
          this.clear();
          return next(args);
        }
        const marks = writes.map(({ key, partition }) => {
          this.items.delete(key);
          for (const k of [key, partition]) {
            this.writeCounts.set(k, (this.writeCounts.get(k) ?? 0) + 1);
            this.writing.set(k, (this.writing.get(k) ?? 0) + 1);
          }
          return [this.writeCounts.get(key), this.writeCounts.get(partition)];
        });
        const epoch = this.epoch;
        // Which partitions the write leaves as this cache knows them (a successful put alone on its key and partition).
        const kept = new Set<string>();
        try {
          const result = await next(args);
          // A put alone on its key leaves the item exactly as it wrote it (a batch's too, unless handed back unprocessed).
          if (epoch === this.epoch) {
            const unprocessed = new Set<string>();
            for (const [table, requests] of Object.entries((result.output as { UnprocessedItems?: Record<string, WriteRequest[]> }).UnprocessedItems ?? {}))
              for (const r of requests) unprocessed.add(this.keyOf(table, r.PutRequest?.Item ?? r.DeleteRequest?.Key) ?? '');
            writes.forEach(({ key, partition, put }, i) => {
              if (!put || unprocessed.has(key) || this.writing.get(key) !== 1 || marks[i]![0] !== this.writeCounts.get(key)) return;
              const stored = asStoredOrUndefined(put);
              if (!stored) return;
              this.items.set(key, stored);
              const known = this.partitions.get(partition);
              if (known && this.writing.get(partition) === 1 && marks[i]![1] === this.writeCounts.get(partition)) {
                known.set(key, structuredClone(stored));
                kept.add(partition);
              }
            });
          }
          return result;
        } finally {
          for (const { key, partition } of writes) {
            if (!kept.has(partition)) this.partitions.delete(partition);
            for (const k of [key, partition]) {
              const left = this.writing.get(k)! - 1;
              if (left) this.writing.set(k, left);
              else this.writing.delete(k);
            }
          }
        }
      },
      // After the access guard ('high') and the injected crash after a claim (normal), both at initialize.
      { step: 'initialize', name: 'itemReadCache', priority: 'low' },
    );
  }

  clear(): void {
    this.items.clear();
    this.partitions.clear();
    this.epoch++;
  }

  /** The partition a Query asks for whole (`<partition key> = :value`, nothing else), if it does, on a queried table. */
  private wholePartitionOf(input: Input): string | undefined {
    const table = input.TableName;
    if (!table || !this.queried.has(table) || !Object.keys(input).every((k) => WHOLE_PARTITION_QUERY.has(k))) return undefined;
    const match = /^\s*(#?\w+)\s*=\s*(:\w+)\s*$/.exec(input.KeyConditionExpression ?? '');
    if (!match) return undefined;
    const [, name, value] = match as unknown as [string, string, string];
    const attribute = name.startsWith('#') ? input.ExpressionAttributeNames?.[name] : name;
    const values = input.ExpressionAttributeValues ?? {};
    const pk = values[value];
    if (attribute !== this.keyNames.get(table)![0] || typeof pk !== 'string' || Object.keys(values).length !== 1) return undefined;
    return partitionKeyOf(table, pk);
  }

  /**
   * The cached items a command writes, by key and partition, with the whole item it puts (a Put, a
   * batch's put request): 'none' when it writes none, 'unknown' when it may write some this cannot name.
   */
  private writesOf(command: string, input: Input): Write[] | 'none' | 'unknown' {
    if (READS.has(command)) return 'none';
    if (WRITES.has(command)) {
      if (!input.TableName || !this.keyNames.has(input.TableName)) return 'none';
      const put = command === 'PutItemCommand' ? input.Item : undefined;
      const write = this.writeOf(input.TableName, put ?? input.Key, put);
      return write ? [write] : 'unknown';
    }
    if (command === 'BatchWriteItemCommand') {
      const writes: Write[] = [];
      for (const [table, requests] of Object.entries(input.RequestItems ?? {})) {
        if (!this.keyNames.has(table)) continue;
        for (const r of requests as WriteRequest[]) {
          const put = r.PutRequest?.Item;
          const write = this.writeOf(table, put ?? r.DeleteRequest?.Key, put);
          if (!write) return 'unknown';
          writes.push(write);
        }
      }
      return writes.length ? writes : 'none';
    }
    // Transactions, PartiQL, table changes: anything else may touch a cached item.
    return this.keyNames.size ? 'unknown' : 'none';
  }

  private writeOf(table: string, item: Item | undefined, put: Item | undefined): Write | undefined {
    const key = this.keyOf(table, item);
    if (!key) return undefined;
    return { key, partition: partitionKeyOf(table, item![this.keyNames.get(table)![0]!]), ...(put ? { put } : {}) };
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
