import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynalite } from '#lib/local/dynamodb-local.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { newProfile } from '#domain/customer-profile.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'lm-write-behind-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const profile = (customerId: string) => ({ ...newProfile(customerId, '2026-10-01T00:00:00.000Z'), version: 1 });

/** What the dynalite server (not the runtime's held copy) holds for a customer. */
async function onServer(endpoint: string, table: string, customerId: string): Promise<unknown> {
  const server = createDocumentClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    return (await server.send(new GetCommand({ TableName: table, Key: { customerId }, ConsistentRead: true }))).Item;
  } finally {
    server.destroy();
  }
}

describe('a runtime that holds its tables in process writes them to the dynalite server', () => {
  it('in the background when asked, and at stop: what it kept reaches the LevelDB files', async () => {
    const catalog = await buildCatalog(projectPaths(repoRoot));
    const runtime = await LocalRuntime.start({ catalog, dataDir, start: '2026-10-01T00:00:00.000Z', writes: 'behind' });
    const table = runtime.tables.customers;
    await runtime.customers.save(profile('kept-1'));
    expect(await runtime.customers.get('kept-1')).toMatchObject({ customerId: 'kept-1' });
    expect(await onServer(runtime.services.dynamodb.endpoint, table, 'kept-1')).toBeUndefined();
    runtime.writeBehindInBackground();
    expect(await runtime.writeBehind()).toBe(0); // waited for the background write, which wrote it
    expect(await onServer(runtime.services.dynamodb.endpoint, table, 'kept-1')).toMatchObject({ customerId: 'kept-1', version: 1 });
    await runtime.customers.save({ ...profile('kept-1'), version: 2 });
    await runtime.customers.save(profile('kept-2'));
    await runtime.stop();
    // The files alone, read by a dynalite of their own: stop wrote the last changes.
    const dynalite = await startDynalite(join(dataDir, 'dynamodb'));
    try {
      expect(await onServer(dynalite.endpoint, table, 'kept-1')).toMatchObject({ version: 2 });
      expect(await onServer(dynalite.endpoint, table, 'kept-2')).toMatchObject({ customerId: 'kept-2' });
    } finally {
      await dynalite.stop();
    }
  }, 60_000);

  it('a background write that fails is thrown by the next writeBehind, not lost', async () => {
    const catalog = await buildCatalog(projectPaths(repoRoot));
    const runtime = await LocalRuntime.start({ catalog, start: '2026-10-01T00:00:00.000Z', writes: 'behind' });
    try {
      await runtime.customers.save(profile('doomed'));
      runtime.heldTables.server.destroy();
      await runtime.services.dynamodb.stop();
      runtime.writeBehindInBackground();
      await expect(runtime.writeBehind()).rejects.toThrow();
    } finally {
      await Promise.allSettled([runtime.services.ses.stop()]);
      runtime.db.destroy();
      runtime.ses.destroy();
    }
  }, 60_000);
});
