import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { describe, expect, it } from 'vitest';
import { localTables } from '../support/local-tables.ts';
import { BufferedIdempotencyLayer } from '#lib/local/buffered-idempotency-layer.ts';

const local = localTables('records');
const { tables } = local;
const db = () => local.db();

/** The table's records, by event, as `status`. */
async function inTable(): Promise<Record<string, string>> {
  const { Items = [] } = await db().send(new ScanCommand({ TableName: tables.idempotency, ConsistentRead: true }));
  return Object.fromEntries(Items.map((i) => [String(i.id), String(i.status)]));
}

describe('the local runtime\'s idempotency records written behind', () => {
  it('keeps the layer\'s checks in memory and leaves the table as the DynamoDB layer would at each write', async () => {
    const layer = new BufferedIdempotencyLayer(db(), tables.idempotency);
    layer.configure({ config: new IdempotencyConfig({}), functionName: 'engagement' });
    await layer.begin(); // the table is empty: from now on, in memory
    await layer.saveInProgress('open-1');
    await layer.saveInProgress('bounce-1');
    await layer.saveSuccess('bounce-1', { outcome: 'suppressed' });
    await expect(layer.saveInProgress('bounce-1')).rejects.toThrow(/already existing/); // a redelivery finds the record
    await layer.saveInProgress('failed-1');
    await layer.deleteRecord('failed-1'); // its handler failed: the next attempt may run
    expect(await inTable()).toEqual({});

    expect(await layer.writeBehind()).toBe(2);
    const first = await inTable();
    expect(Object.values(first).sort()).toEqual(['COMPLETED', 'INPROGRESS']);

    await layer.saveSuccess('open-1', { outcome: 'recorded' });
    await layer.saveInProgress('failed-1');
    await layer.saveSuccess('failed-1', { outcome: 'recorded' });
    await layer.saveInProgress('click-1');
    expect(await layer.writeBehind()).toBe(3);
    expect(Object.values(await inTable()).sort()).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'INPROGRESS']);

    // A record the table holds, then deleted in memory, is deleted there at the next write.
    await layer.deleteRecord('click-1');
    expect(await layer.writeBehind()).toBe(1);
    const last = await inTable();
    expect(Object.keys(last)).toHaveLength(3);
    expect(Object.values(last)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(await layer.writeBehind()).toBe(0); // nothing changed since

    // Records a handler changes while a write is in flight are written from their new state by the
    // next write: none is lost or left behind.
    await layer.saveInProgress('late-1');
    await layer.saveInProgress('late-2');
    const inFlight = layer.writeBehind();
    await layer.deleteRecord('late-1'); // its handler failed after the write had started
    await layer.saveSuccess('late-2', { outcome: 'recorded' });
    await layer.saveInProgress('late-3');
    expect(await inFlight).toBe(2);
    expect(await layer.writeBehind()).toBe(3);
    // late-1 deleted from the table, late-2 completed, late-3 in progress (the keys are the layer's hashes).
    expect(Object.values(await inTable()).sort()).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'INPROGRESS']);
    expect(await layer.writeBehind()).toBe(0);

    // A new layer on a table that holds records is the plain layer: it reads and writes the table.
    const plain = new BufferedIdempotencyLayer(db(), tables.idempotency);
    plain.configure({ config: new IdempotencyConfig({}), functionName: 'engagement' });
    await plain.begin();
    await expect(plain.saveInProgress('bounce-1')).rejects.toThrow(/already existing/);
  });
});
