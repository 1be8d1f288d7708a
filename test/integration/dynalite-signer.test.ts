import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import type { ChildService } from '#lib/local/child-service.ts';
import { createTables, DYNALITE_SIGNER, LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient, startDynalite } from '#lib/local/dynamodb-local.ts';
import { localTableNames } from '#lib/tables.ts';

const tables = localTableNames('signer');
let dynalite: ChildService;
beforeAll(async () => {
  dynalite = await startDynalite();
  await createTables(localDynamoClient(dynalite.endpoint), tables);
}, 60_000);
afterAll(async () => dynalite.stop());

/** A client whose requests' Authorization headers are kept as they leave (after signing). */
function client(signer?: typeof DYNALITE_SIGNER) {
  const db = createDocumentClient({ endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, ...(signer ? { signer } : {}) });
  const sent: string[] = [];
  db.middlewareStack.add(
    (next) => async (args) => {
      sent.push((args.request as { headers: Record<string, string> }).headers.authorization ?? '');
      return next(args);
    },
    { step: 'deserialize', name: 'keepAuthorization' },
  );
  return { db, sent };
}

describe('the local runtime signs its dynalite requests with a fixed signature', () => {
  it('dynalite takes them (it checks the header, not the signature); a client for AWS still signs with SigV4', async () => {
    const local = client(DYNALITE_SIGNER);
    await local.db.send(new PutCommand({ TableName: tables.customers, Item: { customerId: 's1', version: 1 } }));
    expect((await local.db.send(new GetCommand({ TableName: tables.customers, Key: { customerId: 's1' }, ConsistentRead: true }))).Item).toEqual({ customerId: 's1', version: 1 });
    expect(local.sent).toHaveLength(2);
    for (const header of local.sent) expect(header).toMatch(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=host;x-amz-date, Signature=0{64}$/);

    const aws = client();
    await aws.db.send(new GetCommand({ TableName: tables.customers, Key: { customerId: 's1' } }));
    const [signature] = aws.sent.map((h) => /Signature=([0-9a-f]{64})$/.exec(h)?.[1]);
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(signature).not.toBe('0'.repeat(64));
    local.db.destroy();
    aws.db.destroy();
  });
});
