import { afterAll, beforeAll } from 'vitest';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import type { ChildService } from '#lib/local/child-service.ts';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient, startDynalite } from '#lib/local/dynamodb-local.ts';
import { localTableNames } from '#lib/tables.ts';

/**
 * dynalite with the stack's tables (named after `prefix`) for one test file: started before its
 * tests, stopped after them. `db()` is the document client on it, once started.
 */
export function localTables(prefix: string) {
  const tables = localTableNames(prefix);
  let dynalite: ChildService;
  let client: ReturnType<typeof createDocumentClient> | undefined;
  beforeAll(async () => {
    dynalite = await startDynalite();
    await createTables(localDynamoClient(dynalite.endpoint), tables);
    client = createDocumentClient({ endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await dynalite?.stop();
  });
  return {
    tables,
    db: () => {
      if (!client) throw new Error('localTables: the document client is there once beforeAll has run');
      return client;
    },
  };
}
