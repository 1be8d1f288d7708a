import { createRequire } from 'node:module';
import { type AttributeValue, BatchWriteItemCommand, ConditionalCheckFailedException, DynamoDBClient, DynamoDBServiceException, ScanCommand, type ServiceInputTypes, type ServiceOutputTypes, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { InitializeMiddleware } from '@smithy/types';
import { marshall, type marshallOptions, unmarshall as fromWire } from '@aws-sdk/util-dynamodb';
import pLimit from 'p-limit';
import { BATCH, BATCHES_IN_FLIGHT, untilProcessed } from './batch-writes.ts';
import { tableDefinition } from './dynamodb-local.ts';
import { rememberExpressionParses } from './expression-parse-memo.ts';
import { type CheckTypes, checkRequestTypes } from './request-type-check.ts';
import { type DynaliteStore, heldItemStore } from './held-item-store.ts';
import { TABLES, type TableName, type TableNames } from '../tables.ts';

type Item = Record<string, unknown>;
type Wire = Record<string, AttributeValue>;
/** A request as dynalite's server takes it off the wire, and its answer. */
type Data = Record<string, unknown>;
interface DynaliteError {
  statusCode?: number;
  body?: { __type?: string; message?: string };
}
type Store = object;
type Action = (store: Store, data: Data, cb: (err: DynaliteError | null, out?: Data) => void) => void;
interface ActionValidation {
  types: unknown;
  custom?: unknown;
}

// dynalite's own request checks, expression parsers and actions (the code its server runs per request).
const require = createRequire(import.meta.url);
const dynaliteDb = require('dynalite/db') as { create(options: Record<string, unknown>): Store & DynaliteStore };
const validations = require('dynalite/validations') as {
  checkTypes: CheckTypes;
  checkValidations(data: Data, types: unknown, custom: unknown, store: Store): void;
};
const ACTIONS = ['getItem', 'putItem', 'updateItem', 'deleteItem', 'query', 'scan', 'batchGetItem', 'batchWriteItem', 'describeTable', 'createTable'] as const;
type ActionName = (typeof ACTIONS)[number];
// The handlers send the same few expressions again and again: each parsed once (see there).
rememberExpressionParses();
const actions = Object.fromEntries(ACTIONS.map((a) => [a, { run: require(`dynalite/actions/${a}`) as Action, check: require(`dynalite/validations/${a}`) as ActionValidation }])) as Record<ActionName, { run: Action; check: ActionValidation }>;

/** The single-table commands answered in process, by the action that answers them. */
const SINGLE_TABLE: Record<string, ActionName> = {
  GetItemCommand: 'getItem',
  PutItemCommand: 'putItem',
  UpdateItemCommand: 'updateItem',
  DeleteItemCommand: 'deleteItem',
  QueryCommand: 'query',
  ScanCommand: 'scan',
  DescribeTableCommand: 'describeTable',
};
const WRITES = new Set<ActionName>(['putItem', 'updateItem', 'deleteItem']);
/** The pre-expression parameters: the handlers write expressions only, so these are refused rather than half translated. */
const LEGACY = ['Expected', 'AttributeUpdates', 'KeyConditions', 'QueryFilter', 'ScanFilter', 'AttributesToGet', 'ConditionalOperator'];

/** A call on a write-behind table this cannot answer as DynamoDB would. */
export class WriteBehindUnsupportedError extends Error {
  override readonly name = 'WriteBehindUnsupportedError';
  constructor(
    readonly command: string,
    readonly table: string,
    reason: string,
  ) {
    super(`${command} on ${table}: ${reason} (start the local runtime with writes: 'table' to send it to dynalite)`);
  }
}

/** dynalite's error answer as the SDK would have thrown it (its modelled class for a refused condition). */
function sdkError(error: DynaliteError): Error {
  const name = error.body?.__type?.split('#').pop() ?? 'InternalServerError';
  const message = error.body?.message ?? name;
  const $metadata = { httpStatusCode: error.statusCode ?? 500 };
  if (name === 'ConditionalCheckFailedException') return new ConditionalCheckFailedException({ message, $metadata });
  return new DynamoDBServiceException({ name, message, $fault: (error.statusCode ?? 500) >= 500 ? 'server' : 'client', $metadata });
}

/**
 * Tables the local runtime keeps in process while a replay runs: every call a handler makes on
 * them is answered by dynalite's own code (its request checks, expression parser, conditions and
 * keys, its items held as values by lib/local/held-item-store.ts; so its errors, scan order and
 * segments) without a round trip, and each `writeBehind` writes the items that changed since the
 * last one to the dynalite server, in batches of 25. The server's tables are read in whole when it
 * begins, and hold every write once `writeBehind` returns (a replay calls it at each simulated
 * day's end, and the runtime when it stops).
 *
 * It sits after the access guard (IAM still checks every call) and stands for the round trip
 * alone: one process writes these tables here, through this one client, so what the in-process
 * copy answers is what the server would have. A call it answers never reaches the SDK's retry
 * loop, so no injected throttle falls on it; a fault plan keeps the ledger on the table.
 */
export class WriteBehindTables {
  private readonly store = heldItemStore(dynaliteDb.create({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));
  /** Per physical table: the keys (their wire form, as JSON) written since the last write-behind. */
  private readonly dirty = new Map<string, Map<string, Wire>>();
  private readonly keyNames = new Map<string, string[]>();
  private marshallOptions: marshallOptions = { removeUndefinedValues: true };
  /** Calls answered in process (an error is an answer too), and items written behind. */
  readonly stats = { answered: 0, writtenBehind: 0 };

  private constructor(
    private readonly server: DynamoDBClient,
    readonly tables: ReadonlySet<string>,
  ) {}

  /** Holds `names` in process, starting from what the server's tables hold. */
  static async start(server: DynamoDBClient, physical: TableNames, names: readonly TableName[]): Promise<WriteBehindTables> {
    const held = new WriteBehindTables(server, new Set(names.map((n) => physical[n])));
    for (const name of names) {
      const def = TABLES.find((t) => t.name === name)!;
      const table = physical[name];
      held.keyNames.set(table, [def.partitionKey, ...(def.sortKey ? [def.sortKey] : [])]);
      held.dirty.set(table, new Map());
      await held.call('createTable', tableDefinition(def, table) as unknown as Data);
    }
    // dynalite makes a table ACTIVE on a timer, even at 0 ms.
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (const name of names) await held.load(physical[name]);
    return held;
  }

  /** Answers a call on the held tables; `attach` adds it to a client's stack, and the runtime also runs it directly (lib/local/direct-calls.ts). */
  readonly middleware: InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
    const command = context.commandName ?? '';
    const input = args.input as Item & { TableName?: string; RequestItems?: Record<string, unknown> };
    const answer = (output: Data) => ({ output: { $metadata: { httpStatusCode: 200 }, ...output }, response: {} }) as Awaited<ReturnType<typeof next>>;
    if (input.TableName !== undefined) {
      if (!this.tables.has(input.TableName)) return next(args);
      const action = SINGLE_TABLE[command];
      if (!action) throw new WriteBehindUnsupportedError(command, input.TableName, 'not a call this answers in process');
      return answer(await this.single(command, action, input));
    }
    if (command === 'BatchGetItemCommand' || command === 'BatchWriteItemCommand') {
      const requests = Object.entries(input.RequestItems ?? {});
      const held = requests.filter(([table]) => this.tables.has(table));
      if (held.length === 0) return next(args);
      const rest = requests.filter(([table]) => !this.tables.has(table));
      const [mine, theirs] = await Promise.all([
        command === 'BatchGetItemCommand' ? this.batchGet(Object.fromEntries(held)) : this.batchWrite(Object.fromEntries(held)),
        rest.length ? next({ ...args, input: { ...input, RequestItems: Object.fromEntries(rest) } }).then((r) => r.output as unknown as Data) : Promise.resolve({} as Data),
      ]);
      return answer(mergeBatchOutputs(mine, theirs));
    }
    const touched = JSON.stringify(input);
    for (const table of this.tables) if (touched.includes(JSON.stringify(table))) throw new WriteBehindUnsupportedError(command, table, 'not a call this answers in process');
    return next(args);
  };

  /**
   * Whether `middleware` answers this call itself, never passing it on: a single-table call on a
   * held table (answered, or refused as unsupported), or a batch on held tables only.
   */
  answersInProcess(commandName: string, call: object): boolean {
    const input = call as { TableName?: string; RequestItems?: Record<string, unknown> };
    if (input.TableName !== undefined) return this.tables.has(input.TableName);
    if (commandName !== 'BatchGetItemCommand' && commandName !== 'BatchWriteItemCommand') return false;
    const tables = Object.keys(input.RequestItems ?? {});
    return tables.length > 0 && tables.every((t) => this.tables.has(t));
  }

  /** Answers the calls on the held tables from now on, at initialize after the access guard and the read cache. */
  attach(client: DynamoDBClient): void {
    const configured = (client.config as { translateConfig?: { marshallOptions?: marshallOptions } }).translateConfig?.marshallOptions;
    // The document client wraps top-level containers for its own marshalling of whole inputs; an item here is marshalled alone.
    if (configured) this.marshallOptions = { ...configured, convertTopLevelContainer: false };
    client.middlewareStack.add(this.middleware, { step: 'initialize', name: 'writeBehindTables', priority: 'low' });
  }

  /**
   * Writes every item changed since the last call to the server (puts of the whole item as it is
   * now, deletes of the keys now absent); returns how many it wrote. A write landing meanwhile is
   * written by the next call.
   */
  async writeBehind(): Promise<number> {
    const limit = pLimit(BATCHES_IN_FLIGHT);
    let written = 0;
    const sends: Promise<void>[] = [];
    for (const [table, keys] of this.dirty) {
      if (keys.size === 0) continue;
      const changed = [...keys.values()];
      keys.clear();
      const requests: WriteRequest[] = [];
      for (const Key of changed) {
        const { Item } = (await this.call('getItem', { TableName: table, Key, ConsistentRead: true })) as { Item?: Wire };
        requests.push(Item ? { PutRequest: { Item: withBinary(Item, fromBase64) } } : { DeleteRequest: { Key: withBinary(Key, fromBase64) } });
      }
      written += requests.length;
      for (let i = 0; i < requests.length; i += BATCH) {
        const batch = requests.slice(i, i + BATCH);
        sends.push(limit(() => this.send(table, batch)));
      }
    }
    await Promise.all(sends);
    this.stats.writtenBehind += written;
    return written;
  }

  private send(table: string, batch: WriteRequest[]): Promise<void> {
    return untilProcessed(batch, async (requests) => (await this.server.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }))).UnprocessedItems?.[table] ?? [], `items of ${table}`);
  }

  /** Copies the server's table into the process (a consistent scan, page after page). */
  private async load(table: string): Promise<void> {
    let ExclusiveStartKey: Wire | undefined;
    do {
      const page = await this.server.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey }));
      for (const Item of page.Items ?? []) await this.call('putItem', { TableName: table, Item: withBinary(Item, toBase64) });
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  private async single(command: string, action: ActionName, input: Item & { TableName?: string }): Promise<Data> {
    const table = input.TableName!;
    const legacy = LEGACY.find((k) => input[k] !== undefined);
    if (legacy) throw new WriteBehindUnsupportedError(command, table, `${legacy} is not translated (use an expression)`);
    const data: Data = { ...input };
    for (const k of ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const) if (input[k] !== undefined) data[k] = this.toWire(input[k]);
    this.stats.answered++;
    const out = await this.call(action, data);
    if (WRITES.has(action)) this.markDirty(table, (data.Key ?? data.Item) as Wire);
    return this.fromWireOutput(out);
  }

  private async batchGet(requests: Record<string, unknown>): Promise<Data> {
    const RequestItems = Object.fromEntries(Object.entries(requests).map(([table, r]) => [table, { ...(r as Item), Keys: ((r as { Keys?: Item[] }).Keys ?? []).map((k) => this.toWire(k)) }]));
    this.stats.answered++;
    const out = await this.call('batchGetItem', { RequestItems });
    return this.fromWireOutput(out);
  }

  private async batchWrite(requests: Record<string, unknown>): Promise<Data> {
    type DocRequest = { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } };
    const RequestItems = Object.fromEntries(
      Object.entries(requests).map(([table, list]) => [
        table,
        (list as DocRequest[]).map((r) => (r.PutRequest ? { PutRequest: { Item: this.toWire(r.PutRequest.Item) } } : { DeleteRequest: { Key: this.toWire(r.DeleteRequest?.Key) } })),
      ]),
    );
    this.stats.answered++;
    const out = await this.call('batchWriteItem', { RequestItems });
    for (const [table, list] of Object.entries(RequestItems)) for (const r of list) this.markDirty(table, (r.PutRequest?.Item ?? r.DeleteRequest?.Key)!);
    return this.fromWireOutput(out);
  }

  private markDirty(table: string, item: Wire): void {
    const names = this.keyNames.get(table)!;
    const key = Object.fromEntries(names.map((n) => [n, item[n]!])) as Wire;
    this.dirty.get(table)!.set(JSON.stringify(key), key);
  }

  /** The document client's item as it goes on the wire (binary values as base64, as the SDK sends them). */
  private toWire(value: unknown): Wire {
    return withBinary(marshall(value as Item, this.marshallOptions) as Wire, toBase64);
  }

  /** dynalite's answer with its items as the document client hands them back. */
  private fromWireOutput(out: Data): Data {
    const unmarshall = (item: Wire) => fromWire(withBinary(item, fromBase64));
    const result: Data = {};
    for (const [k, v] of Object.entries(out)) {
      if (v === undefined) continue;
      if (k === 'Item' || k === 'Attributes' || k === 'LastEvaluatedKey') result[k] = unmarshall(v as Wire);
      else if (k === 'Items') result[k] = (v as Wire[]).map((i) => unmarshall(i));
      else if (k === 'Responses') result[k] = Object.fromEntries(Object.entries(v as Record<string, Wire[]>).map(([t, items]) => [t, items.map((i) => unmarshall(i))]));
      else if (k === 'UnprocessedKeys') result[k] = Object.fromEntries(Object.entries(v as Record<string, { Keys: Wire[] }>).map(([t, r]) => [t, { ...r, Keys: r.Keys.map((i) => unmarshall(i)) }]));
      else if (k === 'UnprocessedItems')
        result[k] = Object.fromEntries(
          Object.entries(v as Record<string, WriteRequest[]>).map(([t, list]) => [t, list.map((r) => (r.PutRequest ? { PutRequest: { Item: unmarshall(r.PutRequest.Item!) } } : { DeleteRequest: { Key: unmarshall(r.DeleteRequest!.Key!) } }))]),
        );
      else result[k] = v;
    }
    return result;
  }

  /** One request through dynalite's checks and action, as its server would run it; its error as the SDK throws it. */
  private call(action: ActionName, request: Data): Promise<Data> {
    const { run, check } = actions[action];
    return new Promise((resolve, reject) => {
      let data: Data;
      try {
        data = checkRequestTypes(validations.checkTypes, request, check.types as Parameters<CheckTypes>[1]);
        validations.checkValidations(data, check.types, check.custom, this.store);
      } catch (error) {
        return reject((error as DynaliteError).statusCode ? sdkError(error as DynaliteError) : error);
      }
      run(this.store, data, (error, out) => (error ? reject(error.statusCode ? sdkError(error) : error) : resolve(out ?? {})));
    });
  }
}

const toBase64 = (b: unknown) => Buffer.from(b as Uint8Array).toString('base64');
const fromBase64 = (b: unknown) => new Uint8Array(Buffer.from(b as string, 'base64'));

/**
 * An item's (or key's) binary values (B, BS, within maps and lists too) converted by `convert`:
 * base64 on the wire, bytes in the document client's items. The item itself when it holds none
 * (the usual case: nothing is copied).
 */
function withBinary(item: Wire, convert: (b: unknown) => unknown): Wire {
  const value = (av: AttributeValue): AttributeValue => {
    if (av.B !== undefined) return { B: convert(av.B) as Uint8Array };
    if (av.BS !== undefined) return { BS: av.BS.map(convert) as Uint8Array[] };
    if (av.M !== undefined) {
      const m = withBinary(av.M, convert);
      return m === av.M ? av : { M: m };
    }
    if (av.L !== undefined) {
      const l = av.L.map(value);
      return l.every((v, i) => v === av.L![i]) ? av : { L: l };
    }
    return av;
  };
  let result: Wire | undefined;
  for (const k in item) {
    const v = item[k]!;
    const converted = value(v);
    if (converted !== v) (result ??= { ...item })[k] = converted;
  }
  return result ?? item;
}

/** One batch call's output from its in-process tables and the server's. */
function mergeBatchOutputs(a: Data, b: Data): Data {
  const merged: Data = { ...b, ...a };
  for (const k of ['Responses', 'UnprocessedKeys', 'UnprocessedItems']) if (a[k] || b[k]) merged[k] = { ...(b[k] as object), ...(a[k] as object) };
  return merged;
}
