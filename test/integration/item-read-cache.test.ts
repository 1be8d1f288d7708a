import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { DynamoCustomerStore } from '#adapters/customer-store.ts';
import { newProfile } from '#domain/customer-profile.ts';
import type { ChildService } from '#lib/local/child-service.ts';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient, startDynalite } from '#lib/local/dynamodb-local.ts';
import { ItemReadCache } from '#lib/local/item-read-cache.ts';
import { localTableNames } from '#lib/tables.ts';

const tables = localTableNames('cache');
const table = tables.customers;
let dynalite: ChildService;
let cache: ItemReadCache;
/** Through the cache, as the local runtime's handlers read and write. */
let cached: DynamoDBDocumentClient;
/** Straight to dynalite: what a consistent read of the table returns. */
let direct: DynamoDBDocumentClient;

beforeAll(async () => {
  dynalite = await startDynalite();
  await createTables(localDynamoClient(dynalite.endpoint), tables);
  const options = { endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  cached = createDocumentClient(options);
  cache = new ItemReadCache(tables, { items: ['customers'] });
  cache.attach(cached as unknown as DynamoDBClient);
  direct = createDocumentClient(options);
}, 60_000);
afterAll(async () => {
  cached.destroy();
  direct.destroy();
  await dynalite.stop();
});

const get = (db: DynamoDBDocumentClient, customerId: string) => db.send(new GetCommand({ TableName: table, Key: { customerId }, ConsistentRead: true })).then((r) => r.Item);

describe('the local runtime\'s read cache answers as a consistent read of the table would', () => {
  it('a read after a Put comes from memory, as the table stores the item (undefined attributes dropped)', async () => {
    await cached.send(new PutCommand({ TableName: table, Item: { customerId: 'c1', version: 1, tags: ['a'], note: undefined, nested: { n: 1.5 }, labels: new Set(['x', 'y']), blob: new Uint8Array([1, 2]) } }));
    const hits = cache.stats.hits;
    const item = await get(cached, 'c1');
    expect(cache.stats.hits).toBe(hits + 1);
    expect(item).toEqual(await get(direct, 'c1'));
    expect(item).not.toHaveProperty('note');
    // The caller's copy is its own: changing it changes nothing cached.
    (item as { tags: string[] }).tags.push('changed');
    (item as { nested: { n: number } }).nested.n = 9;
    (item as { labels: Set<string> }).labels.add('z');
    expect(await get(cached, 'c1')).toEqual(await get(direct, 'c1'));
  });

  it('a refused conditional Put leaves the table to answer; an Update leaves its new item, handed back to the cache alone', async () => {
    await cached.send(new PutCommand({ TableName: table, Item: { customerId: 'c2', version: 1 } }));
    await expect(cached.send(new PutCommand({ TableName: table, Item: { customerId: 'c2', version: 9 }, ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': 5 } }))).rejects.toThrow();
    expect(await get(cached, 'c2')).toEqual({ customerId: 'c2', version: 1 });
    const updated = await cached.send(new UpdateCommand({ TableName: table, Key: { customerId: 'c2' }, UpdateExpression: 'SET version = :v', ExpressionAttributeValues: { ':v': 2 } }));
    expect(updated.Attributes).toBeUndefined(); // the caller asked for nothing back
    const hits = cache.stats.hits;
    expect(await get(cached, 'c2')).toEqual({ customerId: 'c2', version: 2 });
    expect(cache.stats.hits).toBe(hits + 1);
    const asked = await cached.send(new UpdateCommand({ TableName: table, Key: { customerId: 'c2' }, UpdateExpression: 'SET version = :v', ExpressionAttributeValues: { ':v': 3 }, ReturnValues: 'UPDATED_OLD' }));
    expect(asked.Attributes).toEqual({ version: 2 });
    expect(await get(cached, 'c2')).toEqual({ customerId: 'c2', version: 3 });
  });

  it('a batch write leaves its puts as stored and drops its deletes; a missing item is remembered as missing until written', async () => {
    expect(await get(cached, 'c3')).toBeUndefined();
    expect(await get(cached, 'c3')).toBeUndefined();
    await cached.send(new BatchWriteCommand({ RequestItems: { [table]: [{ PutRequest: { Item: { customerId: 'c3', version: 4 } } }, { DeleteRequest: { Key: { customerId: 'c1' } } }] } }));
    const hits = cache.stats.hits;
    expect(await get(cached, 'c3')).toEqual({ customerId: 'c3', version: 4 });
    expect(cache.stats.hits).toBe(hits + 1);
    expect(await get(cached, 'c3')).toEqual(await get(direct, 'c3'));
    expect(await get(cached, 'c1')).toBeUndefined();
    expect(await get(direct, 'c1')).toBeUndefined();
  });

  it('a consistent BatchGetItem is answered from memory when it knows every item asked for (a missing one as missing), else by the table', async () => {
    const batchGet = (db: DynamoDBDocumentClient, ids: string[], extra: Record<string, unknown> = {}) =>
      db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: ids.map((customerId) => ({ customerId })), ConsistentRead: true, ...extra } } })).then((r) => (r.Responses?.[table] ?? []).sort((a, b) => String(a.customerId).localeCompare(String(b.customerId))));
    await cached.send(new PutCommand({ TableName: table, Item: { customerId: 'b1', version: 1 } }));
    await direct.send(new PutCommand({ TableName: table, Item: { customerId: 'b2', version: 1 } }));
    let misses = cache.stats.misses;
    expect(await batchGet(cached, ['b1', 'b2', 'b-none'])).toEqual([{ customerId: 'b1', version: 1 }, { customerId: 'b2', version: 1 }]);
    expect(cache.stats.misses).toBe(misses + 1); // b2 and b-none were not known: the table answered, and filled them
    const hits = cache.stats.hits;
    expect(await batchGet(cached, ['b1', 'b2', 'b-none'])).toEqual(await batchGet(direct, ['b1', 'b2', 'b-none']));
    expect(cache.stats.hits).toBe(hits + 1);
    await cached.send(new UpdateCommand({ TableName: table, Key: { customerId: 'b-none' }, UpdateExpression: 'ADD sends :one', ExpressionAttributeValues: { ':one': 1 } }));
    expect(await batchGet(cached, ['b1', 'b-none'])).toEqual([{ customerId: 'b-none', sends: 1 }, { customerId: 'b1', version: 1 }].sort((a, b) => a.customerId.localeCompare(b.customerId)));
    expect(cache.stats.hits).toBe(hits + 2);
    expect(await batchGet(cached, ['b1'], { ProjectionExpression: 'version' })).toEqual([{ version: 1 }]);
    await cached.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: [{ customerId: 'b1' }] } } })); // not consistent: the table
    expect(cache.stats.hits).toBe(hits + 2);
  });

  it('reads and writes of one item at once never leave an older item cached', async () => {
    for (let round = 1; round <= 30; round++) {
      // A read that started before a write may answer either, as DynamoDB's would; what is cached afterwards must be the table's.
      await Promise.all([get(cached, 'c4'), cached.send(new PutCommand({ TableName: table, Item: { customerId: 'c4', version: round } })), get(cached, 'c4'), cached.send(new UpdateCommand({ TableName: table, Key: { customerId: 'c4' }, UpdateExpression: 'SET round = :r', ExpressionAttributeValues: { ':r': round } })), get(cached, 'c4')]);
      expect(await get(cached, 'c4')).toEqual(await get(direct, 'c4'));
    }
  }, 60_000);

  it('a write it cannot name (a marshalled item from a raw client) empties it', async () => {
    await cached.send(new PutCommand({ TableName: table, Item: { customerId: 'c5', version: 1 } }));
    expect(await get(cached, 'c5')).toEqual({ customerId: 'c5', version: 1 });
    const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    await cached.send(new PutItemCommand({ TableName: table, Item: { customerId: { S: 'c5' }, version: { N: '2' } } }));
    expect(await get(cached, 'c5')).toEqual({ customerId: 'c5', version: 2 });
  });

  it('a read sent while its item is being written fills nothing, even when its answer comes back after the write', async () => {
    // On its own client: the put is held before it is sent and the read's answer on its way back,
    // so dynalite answers the read with the old item and the write lands before that answer arrives.
    const slow = createDocumentClient({ endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const slowCache = new ItemReadCache(tables, { items: ['customers'] });
    slowCache.attach(slow as unknown as DynamoDBClient);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    slow.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutItemCommand') await sleep(30);
        const result = await next(args);
        if (context.commandName === 'GetItemCommand' || context.commandName === 'BatchGetItemCommand') await sleep(150);
        return result;
      },
      { step: 'build', name: 'holdCalls' },
    );
    await direct.send(new PutCommand({ TableName: table, Item: { customerId: 'c6', version: 1 } }));
    const write = slow.send(new PutCommand({ TableName: table, Item: { customerId: 'c6', version: 2 } }));
    await sleep(5);
    const read = slow.send(new GetCommand({ TableName: table, Key: { customerId: 'c6' }, ConsistentRead: true }));
    await Promise.all([write, read]);
    expect((await read).Item).toEqual({ customerId: 'c6', version: 1 }); // answered before the write, as the test intends
    expect(await get(slow, 'c6')).toEqual({ customerId: 'c6', version: 2 });
    // The same for a batch read.
    const batchWrite = slow.send(new PutCommand({ TableName: table, Item: { customerId: 'c6', version: 3 } }));
    await sleep(5);
    const batchRead = slow.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: [{ customerId: 'c6' }], ConsistentRead: true } } }));
    await Promise.all([batchWrite, batchRead]);
    expect((await batchRead).Responses?.[table]).toEqual([{ customerId: 'c6', version: 2 }]);
    expect(await get(slow, 'c6')).toEqual({ customerId: 'c6', version: 3 });
    slow.destroy();
  });
});

describe('the read cache answers a Query of a whole partition (a customer\'s journey entries) as the table would', () => {
  const entries = tables['journey-entries'];
  let cachedQ: DynamoDBDocumentClient;
  let cacheQ: ItemReadCache;
  beforeAll(() => {
    cachedQ = createDocumentClient({ endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    cacheQ = new ItemReadCache(tables, { items: ['journey-entries'], partitions: ['journey-entries'] });
    cacheQ.attach(cachedQ as unknown as DynamoDBClient);
  });
  afterAll(() => cachedQ.destroy());
  const query = (db: DynamoDBDocumentClient, customerId: string, extra: Record<string, unknown> = {}) =>
    db.send(new QueryCommand({ TableName: entries, KeyConditionExpression: 'customerId = :c', ExpressionAttributeValues: { ':c': customerId }, ConsistentRead: true, ...extra })).then((r) => r.Items ?? []);
  const put = (db: DynamoDBDocumentClient, customerId: string, journeyId: string, version: number, extra: Record<string, unknown> = {}) =>
    db.send(new PutCommand({ TableName: entries, Item: { customerId, journeyId, version }, ...extra }));

  it('a partition queried once, then written with puts, is answered from memory in the table\'s sort order', async () => {
    expect(await query(cachedQ, 'q1')).toEqual([]);
    const hits = cacheQ.stats.hits;
    expect(await query(cachedQ, 'q1')).toEqual([]);
    expect(cacheQ.stats.hits).toBe(hits + 1);
    // Sort keys DynamoDB orders by their UTF-8 bytes: upper case before lower, an accented letter after both.
    for (const [journeyId, version] of [['win-back', 1], ['Welcome', 1], ['égal', 1], ['abandoned-cart', 1], ['win-back', 2]] as const) await put(cachedQ, 'q1', journeyId, version);
    const answered = await query(cachedQ, 'q1');
    expect(cacheQ.stats.hits).toBe(hits + 2);
    expect(answered.map((e) => e.journeyId)).toEqual(['Welcome', 'abandoned-cart', 'win-back', 'égal']);
    expect(answered).toEqual(await query(direct, 'q1'));
  });

  it('an update, a delete and a refused conditional put of one of its items leave the table to answer', async () => {
    await put(cachedQ, 'q2', 'vip', 1);
    await query(cachedQ, 'q2');
    await cachedQ.send(new UpdateCommand({ TableName: entries, Key: { customerId: 'q2', journeyId: 'vip' }, UpdateExpression: 'SET version = :v', ExpressionAttributeValues: { ':v': 2 } }));
    expect(await query(cachedQ, 'q2')).toEqual([{ customerId: 'q2', journeyId: 'vip', version: 2 }]);
    await expect(put(cachedQ, 'q2', 'vip', 3, { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': 9 } })).rejects.toThrow();
    const misses = cacheQ.stats.misses;
    expect(await query(cachedQ, 'q2')).toEqual([{ customerId: 'q2', journeyId: 'vip', version: 2 }]);
    expect(cacheQ.stats.misses).toBe(misses + 1);
    await cachedQ.send(new BatchWriteCommand({ RequestItems: { [entries]: [{ DeleteRequest: { Key: { customerId: 'q2', journeyId: 'vip' } } }] } }));
    expect(await query(cachedQ, 'q2')).toEqual([]);
    expect(await query(direct, 'q2')).toEqual([]);
  });

  it('a query that asks for less than the whole partition (a filter, a limit, a projection) always goes to the table', async () => {
    await put(cachedQ, 'q3', 'vip', 1);
    await put(cachedQ, 'q3', 'win-back', 1);
    await query(cachedQ, 'q3');
    const hits = cacheQ.stats.hits;
    expect(await query(cachedQ, 'q3', { Limit: 1 })).toEqual([{ customerId: 'q3', journeyId: 'vip', version: 1 }]);
    expect(await query(cachedQ, 'q3', { ScanIndexForward: false })).toEqual([{ customerId: 'q3', journeyId: 'win-back', version: 1 }, { customerId: 'q3', journeyId: 'vip', version: 1 }]);
    expect(await query(cachedQ, 'q3', { ProjectionExpression: 'journeyId' })).toEqual([{ journeyId: 'vip' }, { journeyId: 'win-back' }]);
    expect(cacheQ.stats.hits).toBe(hits);
  });

  it('queries and writes of one partition at once never leave an older partition cached', async () => {
    for (let round = 1; round <= 30; round++) {
      await Promise.all([query(cachedQ, 'q4'), put(cachedQ, 'q4', 'vip', round), query(cachedQ, 'q4'), put(cachedQ, 'q4', `j${round % 3}`, round), cachedQ.send(new UpdateCommand({ TableName: entries, Key: { customerId: 'q4', journeyId: 'vip' }, UpdateExpression: 'SET r = :r', ExpressionAttributeValues: { ':r': round } })), query(cachedQ, 'q4')]);
      expect(await query(cachedQ, 'q4')).toEqual(await query(direct, 'q4'));
    }
  }, 60_000);
});

describe('the read cache answers a Scan of a whole table (segmentation\'s daily read) as dynalite would, in its order and segments', () => {
  const scanTables = localTableNames('cachescan');
  const customers = scanTables.customers;
  let cachedS: DynamoDBDocumentClient;
  let cacheS: ItemReadCache;
  /** The Scan requests that reached dynalite through the cache. */
  let scansSent = 0;
  let failNextUpdate = false;
  beforeAll(async () => {
    await createTables(localDynamoClient(dynalite.endpoint), scanTables);
    cachedS = createDocumentClient({ endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    cacheS = new ItemReadCache(scanTables, { items: ['customers'], tables: ['customers'] });
    cacheS.attach(cachedS as unknown as DynamoDBClient);
    cachedS.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ScanCommand') scansSent++;
        if (context.commandName === 'UpdateItemCommand' && failNextUpdate) {
          failNextUpdate = false;
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        }
        return next(args);
      },
      { step: 'build', name: 'countScans' },
    );
    // Written straight to the table: the cache has seen none of them.
    for (let i = 0; i < 120; i++) await direct.send(new PutCommand({ TableName: customers, Item: { customerId: `s${i}`, version: 1, name: `Zoë ${i}` } }));
  });
  afterAll(() => cachedS.destroy());
  const scan = async (db: DynamoDBDocumentClient, segment?: number, totalSegments?: number) => {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(new ScanCommand({ TableName: customers, ConsistentRead: true, ...(totalSegments ? { Segment: segment, TotalSegments: totalSegments } : {}), ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  };
  const everySegmentation = async (db: DynamoDBDocumentClient) => [await scan(db), ...(await Promise.all([0, 1, 2, 3].map((s) => scan(db, s, 4)))), ...(await Promise.all([0, 1, 2].map((s) => scan(db, s, 3))))];

  it('reads the table whole once, then answers every segmentation of it from memory with what dynalite returns, in the same order', async () => {
    const before = scansSent;
    const fromCache = await everySegmentation(cachedS);
    expect(scansSent).toBe(before + 1); // one whole read, one page (120 small items)
    const fromTable = await everySegmentation(direct);
    expect(fromCache).toEqual(fromTable);
    expect(fromCache[0]).toHaveLength(120);
    expect(fromCache.slice(1, 5).flat()).toHaveLength(120);
    expect(fromCache[1]!.length).toBeGreaterThan(0);
    // What the cache hands out is frozen: a caller that tries to change it throws, and the cache answers as before.
    expect(() => {
      (fromCache[0]![0] as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(await scan(cachedS)).toEqual(fromTable[0]);
  });

  it('after puts, conditional updates and deletes through it, answers without reading the table again, and still as dynalite does', async () => {
    await scan(cachedS);
    const before = scansSent;
    await cachedS.send(new PutCommand({ TableName: customers, Item: { customerId: 'new-1', version: 1 } }));
    await cachedS.send(new UpdateCommand({ TableName: customers, Key: { customerId: 's5' }, UpdateExpression: 'SET version = :v', ConditionExpression: 'version = :one', ExpressionAttributeValues: { ':v': 2, ':one': 1 } }));
    // An update of a key the table does not hold creates the item.
    await cachedS.send(new UpdateCommand({ TableName: customers, Key: { customerId: 'made-by-update' }, UpdateExpression: 'SET version = :v', ExpressionAttributeValues: { ':v': 1 } }));
    await cachedS.send(new DeleteCommand({ TableName: customers, Key: { customerId: 's7' } }));
    await cachedS.send(new BatchWriteCommand({ RequestItems: { [customers]: [{ PutRequest: { Item: { customerId: 'new-2', version: 1 } } }, { DeleteRequest: { Key: { customerId: 's8' } } }] } }));
    const fromCache = await everySegmentation(cachedS);
    expect(scansSent).toBe(before);
    expect(fromCache).toEqual(await everySegmentation(direct));
    const ids = fromCache[0]!.map((i) => i.customerId);
    expect(ids).toEqual(expect.arrayContaining(['new-1', 'new-2', 'made-by-update']));
    expect(ids).not.toContain('s7');
    expect(ids).not.toContain('s8');
    expect(fromCache[0]!.find((i) => i.customerId === 's5')).toEqual({ customerId: 's5', version: 2, name: 'Zoë 5' });
  });

  it('a refused conditional write is read again by key; a write whose outcome is unknown forgets the table, which is read whole again', async () => {
    await scan(cachedS);
    await expect(cachedS.send(new UpdateCommand({ TableName: customers, Key: { customerId: 's9' }, UpdateExpression: 'SET version = :v', ConditionExpression: 'version = :nine', ExpressionAttributeValues: { ':v': 2, ':nine': 9 } }))).rejects.toThrow();
    let before = scansSent;
    await cachedS.send(new GetCommand({ TableName: customers, Key: { customerId: 's9' }, ConsistentRead: true })); // the profile store reads a refused customer again
    expect(await scan(cachedS)).toEqual(await scan(direct));
    expect(scansSent).toBe(before);

    failNextUpdate = true;
    await expect(cachedS.send(new UpdateCommand({ TableName: customers, Key: { customerId: 's10' }, UpdateExpression: 'SET version = :v', ExpressionAttributeValues: { ':v': 2 } }))).rejects.toThrow('socket hang up');
    await cachedS.send(new GetCommand({ TableName: customers, Key: { customerId: 's10' }, ConsistentRead: true }));
    before = scansSent;
    expect(await scan(cachedS)).toEqual(await scan(direct));
    expect(scansSent).toBe(before + 1);
  });

  it('a Scan that asks for less than the whole table (a filter, a limit, a projection, a start key) always goes to the table', async () => {
    await scan(cachedS);
    const before = scansSent;
    const limited = await cachedS.send(new ScanCommand({ TableName: customers, Limit: 3 }));
    expect(limited.Items).toHaveLength(3);
    expect(limited.LastEvaluatedKey).toBeDefined();
    await cachedS.send(new ScanCommand({ TableName: customers, ProjectionExpression: 'customerId' }));
    await cachedS.send(new ScanCommand({ TableName: customers, FilterExpression: 'version > :v', ExpressionAttributeValues: { ':v': 1 } }));
    expect(scansSent).toBe(before + 3);
  });

  it('a whole read, or a write, whose answer comes back after another write to the table leaves nothing older known', async () => {
    // On its own client: each answer named in `held` waits 150 ms on its way back, so dynalite has
    // already applied the writes sent meanwhile when the cache hears of the earlier call.
    const heldClient = createDocumentClient({ endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const heldCache = new ItemReadCache(scanTables, { items: ['customers'], tables: ['customers'] });
    heldCache.attach(heldClient as unknown as DynamoDBClient);
    const held = new Set<string>();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    heldClient.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (held.has(context.commandName ?? '')) await sleep(150);
        return result;
      },
      { step: 'build', name: 'holdAnswers' },
    );
    const scanHeld = () => scan(heldClient);
    // A whole read answered before a put and an update that land before its answer arrives.
    held.add('ScanCommand');
    const read = scanHeld();
    await sleep(20);
    await heldClient.send(new PutCommand({ TableName: customers, Item: { customerId: 'h1', version: 1 } }));
    await heldClient.send(new UpdateCommand({ TableName: customers, Key: { customerId: 's2' }, UpdateExpression: 'SET held = :h', ExpressionAttributeValues: { ':h': 1 } }));
    await read;
    held.delete('ScanCommand');
    expect(await everySegmentation(heldClient)).toEqual(await everySegmentation(direct));
    // A delete that dynalite applies before a put of the same key, though the put's answer arrives first.
    held.add('DeleteItemCommand');
    const remove = heldClient.send(new DeleteCommand({ TableName: customers, Key: { customerId: 'h1' } }));
    await sleep(20);
    await heldClient.send(new PutCommand({ TableName: customers, Item: { customerId: 'h1', version: 2 } }));
    await remove;
    held.delete('DeleteItemCommand');
    expect((await everySegmentation(heldClient))[0]).toContainEqual({ customerId: 'h1', version: 2 });
    expect(await everySegmentation(heldClient)).toEqual(await everySegmentation(direct));
    heldClient.destroy();
    cacheS.clear(); // the other tests' cache did not see these writes (the local runtime writes through one client)
  });

  it('scans and writes of the table at once never leave an older table cached', async () => {
    for (let round = 1; round <= 20; round++) {
      await Promise.all([
        scan(cachedS, 0, 2),
        cachedS.send(new PutCommand({ TableName: customers, Item: { customerId: `r${round % 4}`, version: round } })),
        scan(cachedS, 1, 2),
        cachedS.send(new UpdateCommand({ TableName: customers, Key: { customerId: 's1' }, UpdateExpression: 'SET round = :r', ExpressionAttributeValues: { ':r': round } })),
        cachedS.send(new DeleteCommand({ TableName: customers, Key: { customerId: `r${(round + 2) % 4}` } })),
        scan(cachedS),
      ]);
      expect(await everySegmentation(cachedS)).toEqual(await everySegmentation(direct));
    }
  }, 120_000);
});

describe('the customer store over the read cache', () => {
  it('parses a cached item once: the same frozen profile until the customer is written, then the new one', async () => {
    const store = new DynamoCustomerStore(cached, table);
    const profile = { ...newProfile('parsed-once', '2026-10-01T00:00:00.000Z'), version: 1 };
    await store.save(profile);
    const first = await store.get('parsed-once');
    expect(first).toEqual(profile);
    expect(await store.get('parsed-once')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => (first as { version: number }).version++).toThrow(TypeError);
    await store.updateFields('parsed-once', 1, { loyaltyScore: 40 });
    const after = await store.get('parsed-once');
    expect(after).not.toBe(first);
    expect(after).toMatchObject({ version: 2, loyaltyScore: 40 });
    expect(await store.get('parsed-once')).toBe(after);
    // Read from the table itself (items the SDK hands out are not frozen), every read is parsed anew.
    const uncached = new DynamoCustomerStore(direct, table);
    const fromTable = await uncached.get('parsed-once');
    expect(fromTable).toEqual(after);
    expect(await uncached.get('parsed-once')).not.toBe(fromTable);
    expect(Object.isFrozen(fromTable)).toBe(false);
  });
});
