import { DynamoDBClient, GetItemCommand, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { InitializeMiddleware } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { AccessGuard } from '#lib/local/access-guard.ts';
import { DirectCallNotAnsweredError, sendDirectly } from '#lib/local/direct-calls.ts';
import { localTableNames } from '#lib/tables.ts';

const tables = localTableNames('lm');

/** A client with no network: the calls that reach its stack are answered at build, and counted. */
function client() {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
  const throughStack: string[] = [];
  db.middlewareStack.add(
    (next, context) => (args) => {
      throughStack.push(context.commandName ?? '');
      return next(args);
    },
    { step: 'initialize', name: 'countStack', priority: 'high' },
  );
  db.middlewareStack.add(() => async () => ({ output: { $metadata: {}, from: 'stack' }, response: {} }), { step: 'build', name: 'answerLocally' });
  return { db, throughStack };
}

/** Stands for the write-behind tables: answers every call on the customers table with what it was asked. */
const answerCustomers: InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
  const input = args.input as { TableName?: string };
  if (input.TableName !== tables.customers) return next(args);
  return { output: { $metadata: { httpStatusCode: 200 }, from: 'in process', command: context.commandName, input } as ServiceOutputTypes, response: {} };
};
const onCustomers = (_command: string, input: object) => (input as { TableName?: string }).TableName === tables.customers;

describe('sendDirectly (the held tables\' calls without the SDK building its stack)', () => {
  it('answers the in-process calls through the chain alone, with the command named as the stack names it', async () => {
    const { db, throughStack } = client();
    sendDirectly(db, [answerCustomers], onCustomers);
    const update = new UpdateCommand({ TableName: tables.customers, Key: { customerId: 'c1' }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': 1 } });
    expect(await db.send(update)).toEqual({ $metadata: { httpStatusCode: 200 }, from: 'in process', command: 'UpdateItemCommand', input: update.input });
    expect((await db.send(new GetCommand({ TableName: tables.customers, Key: { customerId: 'c1' } }))) as unknown).toMatchObject({ from: 'in process', command: 'GetItemCommand' });
    expect(throughStack).toEqual([]);
  });

  it('sends every other call through the client as before: another table, a low-level command, a call with options', async () => {
    const { db, throughStack } = client();
    sendDirectly(db, [answerCustomers], onCustomers);
    expect((await db.send(new GetCommand({ TableName: tables['failed-events'], Key: { failureId: 'f1' } }))) as unknown).toMatchObject({ from: 'stack' });
    expect((await db.send(new GetItemCommand({ TableName: tables.customers, Key: { customerId: { S: 'c1' } } }) as never)) as unknown).toMatchObject({ from: 'stack' });
    expect((await db.send(new GetCommand({ TableName: tables.customers, Key: { customerId: 'c1' } }), { abortSignal: new AbortController().signal })) as unknown).toMatchObject({ from: 'stack' });
    expect(throughStack).toEqual(['GetItemCommand', 'GetItemCommand', 'GetItemCommand']);
  });

  it('keeps the access guard: an undeclared call is refused and recorded, a declared one answered', async () => {
    const { db, throughStack } = client();
    const guard = new AccessGuard(tables);
    sendDirectly(db, [guard.middleware, answerCustomers], () => true);
    const asUnsubscribe = guard.as('unsubscribe', (command: GetCommand | ScanCommand) => db.send(command as GetCommand));
    await expect(asUnsubscribe(new GetCommand({ TableName: tables.customers, Key: { customerId: 'c1' } }))).resolves.toMatchObject({ from: 'in process' });
    await expect(asUnsubscribe(new ScanCommand({ TableName: tables.customers }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    const asSend = guard.as('send', (command: PutCommand) => db.send(command));
    await expect(asSend(new PutCommand({ TableName: tables.deliverability, Item: { id: 'pause#campaign#a' } }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(guard.violations).toEqual(['unsubscribe: Scan on customers', 'send: PutItem on deliverability (pause#campaign#a)']);
    expect(throughStack).toEqual([]);
  });

  it('a call the chain passes on instead of answering fails, named, rather than going anywhere else', async () => {
    const { db, throughStack } = client();
    sendDirectly(db, [answerCustomers], () => true);
    await expect(db.send(new GetCommand({ TableName: tables['failed-events'], Key: { failureId: 'f1' } }))).rejects.toThrow(DirectCallNotAnsweredError);
    await expect(db.send(new GetCommand({ TableName: tables['failed-events'], Key: { failureId: 'f1' } }))).rejects.toThrow('GetItemCommand was sent directly');
    expect(throughStack).toEqual([]);
  });
});
