import { mkdirSync } from 'node:fs';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import type { RequestSigner } from '@smithy/types';
import { type TableDefinition, type TableNames, TABLES } from '../tables.ts';
import { type ChildService, startChildService } from './child-service.ts';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';
/** Local tables are named `${LOCAL_TABLE_PREFIX}-${name}` (lib/tables.ts). */
export const LOCAL_TABLE_PREFIX = 'lifecycle';

/**
 * The local runtime's request signer for dynalite. dynalite checks that a request carries a
 * SigV4 Authorization header and its date, never the signature (it holds no keys to check it
 * against), so the local client sends a well-formed header with an empty signature instead of
 * deriving an HMAC chain per request: about a tenth of each local DynamoDB round trip. Only the
 * local runtime passes it, with dynalite's endpoint; every client for AWS signs as the SDK does.
 */
export const DYNALITE_SIGNER: RequestSigner = {
  sign: async (request) => {
    const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    request.headers['x-amz-date'] = date;
    request.headers.authorization = `AWS4-HMAC-SHA256 Credential=${LOCAL_CREDENTIALS.accessKeyId}/${date.slice(0, 8)}/${LOCAL_REGION}/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
    return request;
  },
};

/** dynalite, the DynamoDB API on LevelDB, persisted in `dataDir` (or in memory when none). */
export async function startDynalite(dataDir?: string, lockWaitMs = 20_000): Promise<ChildService> {
  if (!dataDir) return spawnDynalite();
  mkdirSync(dataDir, { recursive: true });
  // LevelDB admits one process at a time, and dynalite only finds out after it says it is
  // listening (then exits). Another command reading the same files holds them for a second
  // or two, so probe, and wait our turn instead of failing.
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    const service = await spawnDynalite(dataDir);
    const probe = new DynamoDBClient({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
    try {
      await probe.send(new ListTablesCommand({}));
      return service;
    } catch (error) {
      await service.stop();
      if (Date.now() >= deadline) throw new Error(`the LevelDB files in ${dataDir} stayed locked by another process for ${lockWaitMs / 1000} s`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 350));
    } finally {
      probe.destroy();
    }
  }
}

const spawnDynalite = (dataDir?: string) =>
  startChildService(
    'dynalite',
    'dynalite/cli.js',
    (port) => ['--host', '127.0.0.1', '--port', String(port), '--createTableMs', '0', '--deleteTableMs', '0', '--updateTableMs', '0', ...(dataDir ? ['--path', dataDir] : [])],
    /listening at/,
  );

/** A table's CreateTable input, from its one description (lib/tables.ts). */
export function tableDefinition(table: TableDefinition, tableName: string): CreateTableCommandInput {
  const keys = [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keys.map((k) => ({ AttributeName: k, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      ...(table.sortKey ? [{ AttributeName: table.sortKey, KeyType: 'RANGE' as const }] : []),
    ],
  };
}

/** Creates the tables the stack declares (lib/tables.ts), skipping those that exist. */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const table of TABLES) {
    const tableName = names[table.name];
    if (existing.has(tableName)) continue;
    await client.send(new CreateTableCommand(tableDefinition(table, tableName)));
    if (table.timeToLiveAttribute) {
      await client
        .send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true } }))
        .catch(() => undefined); // dynalite does not implement TTL; expiry only matters in AWS.
    }
  }
}

export const localDynamoClient = (endpoint: string) => new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
