import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { type CheckTypes, checkRequestTypes } from '#lib/local/request-type-check.ts';

const require = createRequire(import.meta.url);
const { checkTypes } = require('dynalite/validations') as { checkTypes: CheckTypes };
const typesOf = (action: string) => (require(`dynalite/validations/${action}`) as { types: Parameters<CheckTypes>[1] }).types;

/** What a check does: its output (or its error) and what it left of the request. */
function outcome(check: (data: Record<string, unknown>) => unknown, request: Record<string, unknown>) {
  const data = structuredClone(request);
  try {
    return { output: check(data), data };
  } catch (error) {
    const e = error as { message: string; statusCode?: number; body?: unknown };
    return { error: { message: e.message, statusCode: e.statusCode, body: e.body }, data };
  }
}

function agree(action: string, request: Record<string, unknown>) {
  const types = typesOf(action);
  const mine = outcome((d) => checkRequestTypes(checkTypes, d, types), request);
  const theirs = outcome((d) => checkTypes(d, types), request);
  expect(mine, JSON.stringify(request)).toStrictEqual(theirs);
  return mine;
}

const every = {
  s: { S: 'text' },
  n: { N: '12.5' },
  yes: { BOOL: true },
  nothing: { NULL: true },
  ss: { SS: ['a', 'b'] },
  ns: { NS: ['1', '2'] },
  list: { L: [{ S: 'x' }, { N: '1' }, { L: [] }, { M: { deep: { BOOL: false } } }] },
  map: { M: { a: { S: 'y' }, b: { M: {} }, c: { SS: [] } } },
};

describe("the held tables' request type check", () => {
  it('gives what dynalite gives for items, keys and values of every type the SDK writes', () => {
    const put = agree('putItem', { TableName: 'lifecycle-customers', Item: { customerId: { S: 'c-1' }, ...every }, ConditionExpression: 'version = :prev', ExpressionAttributeValues: { ':prev': { N: '3' } }, ReturnValues: 'ALL_OLD' });
    expect((put.output as { Item: object }).Item).toStrictEqual({ customerId: { S: 'c-1' }, ...every });
    agree('updateItem', { TableName: 'lifecycle-customers', Key: { customerId: { S: 'c-1' } }, UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': every.map, ':w': every.list } });
    agree('query', { TableName: 'lifecycle-journey-entries', KeyConditionExpression: 'customerId = :c', ExpressionAttributeValues: { ':c': { S: 'c-1' } }, ExclusiveStartKey: { customerId: { S: 'c-1' }, journeyId: { S: 'j' } }, Limit: 10 });
    agree('getItem', { TableName: 'lifecycle-customers', Key: { customerId: { S: 'c-1' } }, ConsistentRead: true });
  });

  it('copies what it checks: the output shares no object with the request', () => {
    const request = { TableName: 'lifecycle-customers', Item: { customerId: { S: 'c-1' }, ...every } };
    const output = checkRequestTypes(checkTypes, request, typesOf('putItem')) as { Item: Record<string, { L?: unknown[]; SS?: unknown[] }> };
    expect(output.Item).not.toBe(request.Item);
    expect(output.Item.list).not.toBe(request.Item.list);
    expect(output.Item.list!.L).not.toBe(request.Item.list.L);
    expect(output.Item.ss!.SS).not.toBe(request.Item.ss.SS);
  });

  it('leaves to dynalite, and so fails as it fails, whatever is not in that form', () => {
    const key = { customerId: { S: 'c-1' } };
    for (const odd of [
      { B: Buffer.from('hi').toString('base64') },
      { BS: ['aGk='] },
      { B: 'not base64!' },
      { BOOL: 'true' }, // converted by dynalite
      { NULL: 'yes' },
      { BOOL: 1 },
      { S: 5 },
      { N: 5 },
      { S: null },
      { S: 'a', N: '1' }, // two types
      { S: 'a', N: null }, // a null key, dropped by dynalite
      { X: 'a' }, // no such type
      {},
      { SS: ['a', 1] },
      { L: [{ S: 'x' }, { S: 1 }] },
      { M: { a: { S: 'x' }, b: { BOOL: 'no' } } },
      { L: { S: 'x' } },
      { M: [] },
      null,
      'text',
      ['a'],
    ]) {
      agree('putItem', { TableName: 'lifecycle-customers', Item: { ...key, odd } });
      agree('updateItem', { TableName: 'lifecycle-customers', Key: key, UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': odd } });
    }
    agree('putItem', { TableName: 'lifecycle-customers', Item: [{ S: 'x' }] });
    agree('putItem', { TableName: 'lifecycle-customers', Item: 'an item' });
    // Other parameters: an unknown one, a null one, one of the wrong type, beside a value map in form.
    agree('putItem', { TableName: 'lifecycle-customers', Item: key, Unknown: 'x', ConditionExpression: null });
    agree('putItem', { TableName: 5, Item: key });
    agree('putItem', { TableName: 'lifecycle-customers', Item: key, ReturnValues: ['ALL_OLD'] });
    agree('query', { TableName: 'lifecycle-journey-entries', Limit: 'ten', ExclusiveStartKey: key, ExpressionAttributeValues: { ':c': { S: 'c-1' } } });
  });
});
