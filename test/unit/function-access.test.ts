/** The one access declaration, read as IAM would read it (what the local runtime's guard enforces). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { allows, tableEnvironment } from '#lib/function-access.ts';
import { AccessGuard } from '#lib/local/access-guard.ts';
import { localTableNames } from '#lib/tables.ts';

describe('allows', () => {
  it('key-scoped grants hold to their partition-key patterns', () => {
    expect(allows('send', 'deliverability', 'PutItem', ['pause#all-marketing'])).toBe(true);
    expect(allows('send', 'deliverability', 'PutItem', ['pause#campaign#win-back'])).toBe(false);
    expect(allows('send', 'deliverability', 'UpdateItem', ['day#2026-10-05#all'])).toBe(true);
    expect(allows('send', 'deliverability', 'UpdateItem', ['pause#all-marketing'])).toBe(false);
    expect(allows('segment', 'deliverability', 'BatchGetItem', ['pause#all-marketing', 'pause#campaign#a'])).toBe(true);
    expect(allows('segment', 'deliverability', 'BatchGetItem', ['pause#all-marketing', 'day#2026-10-05#all'])).toBe(false);
    expect(allows('segment', 'deliverability', 'Scan', [])).toBe(false); // LeadingKeys cannot limit a scan
  });

  it('only segmentation scans customers; the unsubscribe endpoint reads and updates them, nothing else', () => {
    expect(allows('segment', 'customers', 'Scan', [])).toBe(true);
    for (const name of ['ingest', 'send', 'engagement', 'unsubscribe', 'unsubscribe-mail'] as const) expect(allows(name, 'customers', 'Scan', []), name).toBe(false);
    expect(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'].filter((a) => allows('unsubscribe', 'customers', a as 'GetItem', ['c1']))).toEqual(['GetItem', 'PutItem']);
    expect(allows('unsubscribe', 'send-ledger', 'GetItem', ['x'])).toBe(false);
  });

  it("a function's environment names its own tables only", () => {
    expect(tableEnvironment('unsubscribe', (t) => `t-${t}`)).toEqual({ CUSTOMERS_TABLE: 't-customers', SEND_LEDGER_TABLE: 't-send-ledger', FAILED_EVENTS_TABLE: 't-failed-events' });
  });
});

describe('AccessGuard (the local runtime as IAM)', () => {
  const tables = localTableNames('lm');
  const client = () => {
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
    const guard = new AccessGuard(tables);
    guard.attach(db as unknown as DynamoDBClient);
    // No network: every call that gets past the guard is answered here, empty.
    db.middlewareStack.add(() => async () => ({ output: { $metadata: {} }, response: {} }), { step: 'build', name: 'answerLocally' });
    return { db, guard };
  };

  it('refuses an undeclared call inside a handler with AccessDeniedException, and lets declared ones through', async () => {
    const { db, guard } = client();
    const asUnsubscribe = guard.as('unsubscribe', (command: GetCommand | ScanCommand | PutCommand) => db.send(command as GetCommand));
    await expect(asUnsubscribe(new GetCommand({ TableName: tables.customers, Key: { customerId: 'c1' } }))).resolves.toBeDefined();
    await expect(asUnsubscribe(new ScanCommand({ TableName: tables.customers }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    const asSend = guard.as('send', (command: PutCommand) => db.send(command));
    await expect(asSend(new PutCommand({ TableName: tables.deliverability, Item: { id: 'pause#campaign#a', status: 'active' } }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(guard.violations).toEqual(['unsubscribe: Scan on customers', 'send: PutItem on deliverability (pause#campaign#a)']);
    // Outside any handler (a test, the CLI) nothing is checked.
    await expect(db.send(new ScanCommand({ TableName: tables.customers }))).resolves.toBeDefined();
  });
});
