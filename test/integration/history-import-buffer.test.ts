import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { localTables } from '../support/local-tables.ts';
import { DynamoCustomerStore, ProfileConflictError } from '#adapters/customer-store.ts';
import { IdentityStore } from '#adapters/identity-store.ts';
import { StageChangeLog } from '#adapters/stage-change-log.ts';
import { HistoryImportBuffer } from '#lib/local/history-import-buffer.ts';
import { consentingCustomer } from '../support/profiles.ts';

const local = localTables('import-buffer');
const { tables } = local;
const db = () => local.db();

describe('the history import buffer', () => {
  it('keeps its own copy of each saved profile, hands it out unchangeable, and writes that copy at the flush', async () => {
    const customers = new DynamoCustomerStore(db(), tables.customers);
    const buffer = new HistoryImportBuffer(
      db(),
      { customers: tables.customers, stageChanges: tables['stage-changes'], idempotency: tables.idempotency, identities: tables.identities },
      { customers, stageChanges: new StageChangeLog(db(), tables['stage-changes']), identities: new IdentityStore(db(), tables.identities, 'salt') },
    );
    await buffer.begin();
    const saved = { ...consentingCustomer('c-1', '2026-01-01T00:00:00.000Z'), version: 1, orderCount: 2, recentOrders: [{ orderId: 'o-1', at: '2026-01-01T00:00:00.000Z', value: 10 }] };
    await buffer.customers.save(saved);
    // The caller changes its own object after the save: the buffer's copy is not that object.
    saved.orderCount = 99;
    saved.recentOrders.push({ orderId: 'o-2', at: '2026-01-02T00:00:00.000Z', value: 20 });

    const read = await buffer.customers.get('c-1');
    expect(read?.orderCount).toBe(2);
    expect(read?.recentOrders.map((o) => o.orderId)).toEqual(['o-1']);
    // What it hands out cannot be changed (a reader changing it would change every later read).
    expect(() => ((read as { orderCount: number }).orderCount = 5)).toThrow(TypeError);
    expect(() => read!.recentOrders.push({ orderId: 'o-3', at: '2026-01-03T00:00:00.000Z', value: 30 })).toThrow(TypeError);
    expect((await buffer.customers.get('c-1'))?.orderCount).toBe(2);

    // A save still checks the version it read.
    await expect(buffer.customers.save({ ...read!, version: 1 })).rejects.toBeInstanceOf(ProfileConflictError);
    const next = await buffer.customers.modify('c-1', (p) => (p ? { ...p, version: p.version + 1, orderCount: p.orderCount + 1 } : undefined));
    expect(next?.orderCount).toBe(3);

    await buffer.flush();
    const { Item } = await db().send(new GetCommand({ TableName: tables.customers, Key: { customerId: 'c-1' }, ConsistentRead: true }));
    expect(Item?.orderCount).toBe(3);
    expect(Item?.version).toBe(2);
    expect((Item?.recentOrders as { orderId: string }[]).map((o) => o.orderId)).toEqual(['o-1']);
  });
});
