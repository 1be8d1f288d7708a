import { DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import type { ChildService } from '#lib/local/child-service.ts';
import { createTables, DYNALITE_SIGNER, LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient, startDynalite } from '#lib/local/dynamodb-local.ts';
import { sendDirectly } from '#lib/local/direct-calls.ts';
import { WriteBehindTables, WriteBehindUnsupportedError } from '#lib/local/write-behind-tables.ts';
import { localTableNames, type TableNames } from '#lib/tables.ts';

/** Held in process and written behind; the same calls on `reference` go straight to dynalite. */
const heldNames = localTableNames('held');
/** Held too, and sent to the held tables directly, as the local runtime sends them (lib/local/direct-calls.ts). */
const directNames = localTableNames('direct');
const referenceNames = localTableNames('ref');
let dynalite: ChildService;
let server: DynamoDBClient;
let held: WriteBehindTables;
let viaHeld: DynamoDBDocumentClient;
let heldDirectly: WriteBehindTables;
let viaDirect: DynamoDBDocumentClient;
/** The calls of `viaDirect` that went through its SDK stack. */
const directThroughStack: string[] = [];
let direct: DynamoDBDocumentClient;

type Call = (t: TableNames) => { send(db: DynamoDBDocumentClient): Promise<unknown> };
const cmd = <C>(make: (t: TableNames) => C): Call => (t) => ({ send: (db) => db.send(make(t) as never) });

/** What a call answered, or how it failed, without the parts that differ per request (metadata, request ids). */
async function outcome(db: DynamoDBDocumentClient, call: Call, names: TableNames): Promise<unknown> {
  try {
    const { $metadata, ConsumedCapacity, ...rest } = (await call(names).send(db)) as Record<string, unknown>;
    void $metadata;
    void ConsumedCapacity;
    const plain = JSON.parse(JSON.stringify(rest, (_k, v: unknown) => (v instanceof Set ? { set: [...v].sort() } : v instanceof Uint8Array ? { bytes: [...v] } : v)).replace(/(held|direct)-/g, 'ref-')) as Record<string, unknown>;
    // A batch get's items come back in no particular order (dynalite reads them at once).
    const responses = plain.Responses as Record<string, unknown[]> | undefined;
    for (const items of Object.values(responses ?? {})) items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return plain;
  } catch (error) {
    return { error: (error as Error).name, message: (error as Error).message.replace(/(held|direct)-/g, 'ref-') };
  }
}

async function scanWhole(db: DynamoDBDocumentClient, table: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

beforeAll(async () => {
  dynalite = await startDynalite();
  const admin = localDynamoClient(dynalite.endpoint);
  await createTables(admin, heldNames);
  await createTables(admin, directNames);
  await createTables(admin, referenceNames);
  admin.destroy();
  const options = { endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  direct = createDocumentClient(options);
  // What the server held before: the held copy starts from it.
  for (const names of [heldNames, directNames, referenceNames]) await direct.send(new PutCommand({ TableName: names.customers, Item: { customerId: 'before', version: 3, blob: new Uint8Array([7, 8]) } }));
  server = new DynamoDBClient({ ...options, signer: DYNALITE_SIGNER });
  held = await WriteBehindTables.start(server, heldNames, ['customers', 'stage-changes']);
  viaHeld = createDocumentClient(options);
  held.attach(viaHeld as unknown as DynamoDBClient);
  heldDirectly = await WriteBehindTables.start(server, directNames, ['customers', 'stage-changes']);
  viaDirect = createDocumentClient(options);
  viaDirect.middlewareStack.add(
    (next, context) => (args) => {
      directThroughStack.push(context.commandName ?? '');
      return next(args);
    },
    { step: 'initialize', name: 'countStack', priority: 'high' },
  );
  heldDirectly.attach(viaDirect as unknown as DynamoDBClient);
  sendDirectly(viaDirect, [heldDirectly.middleware], (commandName, input) => heldDirectly.answersInProcess(commandName, input));
}, 60_000);
afterAll(async () => {
  viaHeld.destroy();
  viaDirect.destroy();
  direct.destroy();
  server.destroy();
  await dynalite.stop();
});

const customer = (customerId: string, extra: Record<string, unknown> = {}) => ({ customerId, version: 1, tags: ['a'], note: undefined, nested: { n: 1.5, deep: [{ x: 'y', bytes: new Uint8Array([9]) }] }, labels: new Set(['x', 'y']), ...extra });

/** Conditions, expressions, errors, pages and batches: each answered in process exactly as dynalite's server answers it. */
const CALLS: [string, Call][] = [
  ['get of an item the server held before', cmd((t) => new GetCommand({ TableName: t.customers, Key: { customerId: 'before' }, ConsistentRead: true }))],
  ['put of a new item', cmd((t) => new PutCommand({ TableName: t.customers, Item: customer('c1', { blob: new Uint8Array([1, 2, 3]) }), ConditionExpression: 'attribute_not_exists(customerId)' }))],
  ['the same put again, refused by its condition', cmd((t) => new PutCommand({ TableName: t.customers, Item: customer('c1'), ConditionExpression: 'attribute_not_exists(customerId)' }))],
  ['get of it', cmd((t) => new GetCommand({ TableName: t.customers, Key: { customerId: 'c1' }, ConsistentRead: true }))],
  ['get of a missing item', cmd((t) => new GetCommand({ TableName: t.customers, Key: { customerId: 'nobody' } }))],
  ['update with a version condition, handing back ALL_NEW', cmd((t) => new UpdateCommand({ TableName: t.customers, Key: { customerId: 'c1' }, UpdateExpression: 'SET #v = #v + :one, #n.#d[0].#x = :z, #t = list_append(#t, :more) REMOVE #note ADD #l :add', ConditionExpression: '#v = :prev', ExpressionAttributeNames: { '#v': 'version', '#n': 'nested', '#d': 'deep', '#x': 'x', '#t': 'tags', '#note': 'note', '#l': 'labels' }, ExpressionAttributeValues: { ':one': 1, ':prev': 1, ':z': 'z', ':more': ['b'], ':add': new Set(['q']) }, ReturnValues: 'ALL_NEW' }))],
  ['the same update, refused (the version moved)', cmd((t) => new UpdateCommand({ TableName: t.customers, Key: { customerId: 'c1' }, UpdateExpression: 'SET #v = #v + :one', ConditionExpression: '#v = :prev', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':one': 1, ':prev': 1 } }))],
  ['an update of a missing item with if_not_exists, handing back UPDATED_OLD', cmd((t) => new UpdateCommand({ TableName: t.customers, Key: { customerId: 'c2' }, UpdateExpression: 'SET #v = if_not_exists(#v, :zero) + :one, score = :s', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':s': 0.25 }, ReturnValues: 'UPDATED_OLD' }))],
  ['an update of the key itself (a validation error)', cmd((t) => new UpdateCommand({ TableName: t.customers, Key: { customerId: 'c2' }, UpdateExpression: 'SET customerId = :x', ExpressionAttributeValues: { ':x': 'other' } }))],
  ['an expression naming an undefined value (a validation error)', cmd((t) => new UpdateCommand({ TableName: t.customers, Key: { customerId: 'c2' }, UpdateExpression: 'SET a = :missing', ExpressionAttributeValues: { ':x': 1 } }))],
  ['a conditional delete, refused', cmd((t) => new DeleteCommand({ TableName: t.customers, Key: { customerId: 'c2' }, ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': 99 } }))],
  ['a delete handing back ALL_OLD', cmd((t) => new DeleteCommand({ TableName: t.customers, Key: { customerId: 'c2' }, ReturnValues: 'ALL_OLD' }))],
  ...Array.from({ length: 12 }, (_, i): [string, Call] => [`put ${i}`, cmd((t) => new PutCommand({ TableName: t.customers, Item: customer(`p${i}`, { version: i }) }))]),
  ['a scan with a filter and a limit (a first page)', cmd((t) => new ScanCommand({ TableName: t.customers, FilterExpression: 'version > :v', ExpressionAttributeValues: { ':v': 4 }, Limit: 5 }))],
  ['a scan of segment 1 of 3', cmd((t) => new ScanCommand({ TableName: t.customers, Segment: 1, TotalSegments: 3 }))],
  ['a COUNT scan', cmd((t) => new ScanCommand({ TableName: t.customers, Select: 'COUNT' }))],
  ['a scan from a start key, projected', cmd((t) => new ScanCommand({ TableName: t.customers, ExclusiveStartKey: { customerId: 'p3' }, ProjectionExpression: 'customerId, version' }))],
  ['a batch write across a held table and one on the server', cmd((t) => new BatchWriteCommand({ RequestItems: { [t['stage-changes']]: [0, 1, 2].map((i) => ({ PutRequest: { Item: { customerId: 'c1', changedAt: `2026-10-0${i + 1}`, stage: `s${i}` } } })), [t['failed-events']]: [{ PutRequest: { Item: { failureId: 'f1', reason: 'test' } } }], [t.customers]: [{ DeleteRequest: { Key: { customerId: 'p0' } } }] } }))],
  ['a query of a partition in a sort-key range, newest first', cmd((t) => new QueryCommand({ TableName: t['stage-changes'], KeyConditionExpression: 'customerId = :c AND changedAt >= :from', ExpressionAttributeValues: { ':c': 'c1', ':from': '2026-10-02' }, ScanIndexForward: false }))],
  ['a batch get across held and server tables', cmd((t) => new BatchGetCommand({ RequestItems: { [t.customers]: { Keys: [{ customerId: 'c1' }, { customerId: 'p0' }, { customerId: 'p5' }], ConsistentRead: true }, [t['failed-events']]: { Keys: [{ failureId: 'f1' }] } } }))],
];

describe('tables held in process answer as dynalite\'s server does, and are written behind to it', () => {
  it.each(CALLS.map(([name], i) => [name, i] as const))('%s', async (_name, i) => {
    const call = CALLS[i]![1];
    const expected = await outcome(direct, call, referenceNames);
    expect(await outcome(viaHeld, call, heldNames)).toEqual(expected);
    expect(await outcome(viaDirect, call, directNames)).toEqual(expected);
  });

  it('a call answered in process does not reach the server until written behind; then the server holds what the reference tables hold', async () => {
    // The calls above ran in order (vitest runs a file's tests in sequence).
    // Sent directly, only the two batches that name a table on the server went through the SDK's stack.
    expect(directThroughStack).toEqual(['BatchWriteItemCommand', 'BatchGetItemCommand']);
    for (const [tables, names] of [[held, heldNames], [heldDirectly, directNames]] as const) {
      expect(tables.stats.answered).toBe(CALLS.length);
      expect(await scanWhole(direct, names.customers)).toEqual([{ customerId: 'before', version: 3, blob: new Uint8Array([7, 8]) }]);
      const written = await tables.writeBehind();
      // c1, c2 (deleted), p0..p11 (p0 deleted), three stage changes; the failed event went to the server itself.
      expect(written).toBe(2 + 12 + 3);
      for (const table of ['customers', 'stage-changes', 'failed-events'] as const) {
        const [heldItems, referenceItems] = await Promise.all([scanWhole(direct, names[table]), scanWhole(direct, referenceNames[table])]);
        expect(referenceItems.length).toBeGreaterThan(0);
        expect(heldItems).toEqual(referenceItems);
      }
      expect(await tables.writeBehind()).toBe(0);
    }
  });

  it('refuses, by name, what it cannot answer as DynamoDB would, instead of sending it past the held copy', async () => {
    const transaction = new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: heldNames.customers, Item: { customerId: { S: 'c9' } } } }] });
    await expect(viaHeld.send(transaction)).rejects.toThrow(WriteBehindUnsupportedError);
    await expect(viaHeld.send(transaction)).rejects.toThrow(`TransactWriteItemsCommand on ${heldNames.customers}`);
    await expect(viaHeld.send(new GetCommand({ TableName: heldNames.customers, Key: { customerId: 'c1' }, AttributesToGet: ['version'] }))).rejects.toThrow('AttributesToGet is not translated');
    await expect(viaDirect.send(new GetCommand({ TableName: directNames.customers, Key: { customerId: 'c1' }, AttributesToGet: ['version'] }))).rejects.toThrow('AttributesToGet is not translated');
    // A call on a table it does not hold goes to the server as ever.
    expect((await viaHeld.send(new GetCommand({ TableName: heldNames['failed-events'], Key: { failureId: 'f1' } }))).Item).toEqual({ failureId: 'f1', reason: 'test' });
  });
});
