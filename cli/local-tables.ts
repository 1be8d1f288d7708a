/**
 * Opens a table the commands read: the local ones `npm start` leaves under
 * `<data-dir>/dynamodb` (dynalite is started on those LevelDB files for the command's
 * duration), or a deployed table by its physical name.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_TABLE_PREFIX, startDynalite } from '#lib/local/dynamodb-local.ts';
import { localTableNames, type TableName } from '#lib/tables.ts';
import { CommandFailedError, UsageError } from './errors.ts';

/** Where a table is: the local data dir of `npm start`, or a table in AWS. */
export type TableLocation = { dataDir: string } | { table: string; region?: string };

export interface OpenTable {
  db: DynamoDBDocumentClient;
  tableName: string;
  /** For messages: which table, where. */
  where: string;
  close(): Promise<void>;
}

/** `fail` builds the command's own error type, so each command keeps its messages. */
export async function openTable(location: TableLocation, table: TableName, fail: (message: string, cause?: unknown) => Error = (m, cause) => new CommandFailedError(m, { cause })): Promise<OpenTable> {
  if ('table' in location) {
    const db = createDocumentClient(location.region ? { region: location.region } : {});
    return { db, tableName: location.table, where: `table ${location.table}`, close: async () => db.destroy() };
  }
  const dir = join(resolve(location.dataDir), 'dynamodb');
  if (!existsSync(dir)) throw fail(`no local tables in ${dir}: run \`npm start\` first (or pass --table <name> for the deployed table)`);
  let dynalite;
  try {
    dynalite = await startDynalite(dir);
  } catch (error) {
    throw fail(`cannot open the local tables in ${dir} (is \`npm start -- --serve\` still holding them?)`, error);
  }
  const db = createDocumentClient({ endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const tableName = localTableNames(LOCAL_TABLE_PREFIX)[table];
  return {
    db,
    tableName,
    where: `local table ${tableName} in ${dir}`,
    close: async () => {
      db.destroy();
      await dynalite.stop();
    },
  };
}

/** DynamoDB's "no such table", as a message a person can act on. */
export async function withTable<T>(open: Pick<OpenTable, 'where'>, work: () => Promise<T>, fail: (message: string, cause?: unknown) => Error = (m, cause) => new CommandFailedError(m, { cause })): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') throw fail(`${open.where} does not exist (a data dir from an older version? run \`npm start\` again)`, error);
    throw error;
  }
}

export interface LocationOptions {
  dataDir: string;
  table?: string;
  region?: string;
}

export const locationOf = (o: LocationOptions): TableLocation => (o.table ? { table: o.table, ...(o.region ? { region: o.region } : {}) } : { dataDir: o.dataDir });

/** `--data-dir`, or `--table` (and `--region`) for the deployed table. */
export const withLocationOptions = (command: Command, table: string) =>
  command
    .option('--data-dir <dir>', 'the local data dir written by `npm start`', '.local')
    .option('--table <name>', `the deployed ${table} table (physical name; default AWS credentials and region)`)
    .option('--region <region>', 'AWS region of --table (default: the SDK default chain)')
    .hook('preAction', (cmd) => {
      const o = cmd.opts<LocationOptions>();
      if (o.region && !o.table) throw new UsageError('--region only goes with --table (the local tables need no region)');
    });
