import { mkdirSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { type TableNames, TABLES } from '../tables.ts';
import { type ChildService, startChildService } from './child-service.ts';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';
/** Local tables are named `${LOCAL_TABLE_PREFIX}-${name}` (lib/tables.ts). */
export const LOCAL_TABLE_PREFIX = 'lifecycle';

/** dynalite, the DynamoDB API on LevelDB, persisted in `dataDir` (or in memory when none). */
export async function startDynalite(dataDir?: string): Promise<ChildService> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  return startChildService(
    'dynalite',
    'dynalite/cli.js',
    (port) => ['--host', '127.0.0.1', '--port', String(port), '--createTableMs', '0', '--deleteTableMs', '0', '--updateTableMs', '0', ...(dataDir ? ['--path', dataDir] : [])],
    /listening at/,
  );
}

/** Creates the tables the stack declares (lib/tables.ts), skipping those that exist. */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const table of TABLES) {
    const tableName = names[table.name];
    if (existing.has(tableName)) continue;
    const keys = [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])];
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keys.map((k) => ({ AttributeName: k, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: table.partitionKey, KeyType: 'HASH' },
          ...(table.sortKey ? [{ AttributeName: table.sortKey, KeyType: 'RANGE' as const }] : []),
        ],
      }),
    );
    if (table.timeToLiveAttribute) {
      await client
        .send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true } }))
        .catch(() => undefined); // dynalite does not implement TTL; expiry only matters in AWS.
    }
  }
}

export const localDynamoClient = (endpoint: string) => new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
