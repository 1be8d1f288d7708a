import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { dynaliteParse, type ParseContext, rememberingParse } from '#lib/local/expression-parse-memo.ts';

type Kind = 'condition' | 'update' | 'projection';
type Values = Record<string, Record<string, unknown>>;
const require = createRequire(import.meta.url);
const validations = require('dynalite/validations') as { checkValidations(data: object, types: unknown, custom: unknown, store: object): void };

/** A context as dynalite's validateExpressions builds it (and the two helpers its parse adds). */
function context(names: Record<string, string> | undefined, values: Values | undefined): ParseContext & Record<string, unknown> {
  const db = require('dynalite/db') as { compare: unknown };
  return {
    attrNames: names,
    attrVals: values,
    unusedAttrNames: Object.fromEntries(Object.keys(names ?? {}).map((k) => [k, true])),
    unusedAttrVals: Object.fromEntries(Object.keys(values ?? {}).map((k) => [k, true])),
    isReserved: (name: string) => name.toUpperCase() === 'NAME' || name.toUpperCase() === 'STATUS',
    compare: db.compare,
  };
}

/** What a parse gives back: its result or its error's message, and the names and values it left unused. */
function outcome(parse: (text: string, options: { context: ParseContext }) => unknown, text: string, names?: Record<string, string>, values?: Values) {
  const ctx = context(names, values);
  let result: unknown;
  try {
    result = parse(text, { context: ctx });
  } catch (error) {
    result = `error: ${(error as Error).message}`;
  }
  return { result, unusedNames: Object.keys(ctx.unusedAttrNames ?? {}), unusedValues: Object.keys(ctx.unusedAttrVals ?? {}) };
}

/** Each case parsed in turn by one remembering parse and by dynalite's, which must agree every time. */
function agree(kind: Kind, calls: { text: string; names?: Record<string, string>; values?: Values }[]) {
  const remembering = rememberingParse(kind, dynaliteParse(kind));
  for (const { text, names, values } of calls) {
    const mine = outcome(remembering, text, names, values);
    const theirs = outcome(dynaliteParse(kind), text, names, values);
    expect(mine, text).toStrictEqual(theirs);
  }
  return remembering;
}

const segmentationWrite = 'SET #f0 = :v0, #f1 = :v1, #version = #version + :one REMOVE #f2';
const names = { '#f0': 'stage', '#f1': 'scores', '#f2': 'pendingStage', '#version': 'version' };
const scores = (p: string) => ({ M: { pAlive: { N: p }, clv: { N: '12.5' }, rfm: { L: [{ N: '5' }, { S: 'a' }] } } });

describe("remembering dynalite's expression parses", () => {
  it('gives what the parser gives, with each call\'s own values in place, for the expressions the handlers send', () => {
    const update = agree('update', [
      { text: segmentationWrite, names, values: { ':v0': { S: 'stable' }, ':v1': scores('0.9'), ':one': { N: '1' } } },
      { text: segmentationWrite, names, values: { ':v0': { S: 'lapsed' }, ':v1': scores('0.2'), ':one': { N: '1' } } },
      { text: 'SET #s = :s, sentAt = if_not_exists(sentAt, :at), attempts = list_append(attempts, :a)', names: { '#s': 'status' }, values: { ':s': { S: 'sent' }, ':at': { S: '2026-01-01' }, ':a': { L: [{ S: 'x' }] } } },
      { text: 'SET #s = :s, sentAt = if_not_exists(sentAt, :at), attempts = list_append(attempts, :a)', names: { '#s': 'status' }, values: { ':s': { S: 'held-out' }, ':at': { S: '2026-02-01' }, ':a': { L: [] } } },
      { text: 'ADD #n :one, campaigns :c', names: { '#n': 'sends' }, values: { ':one': { N: '1' }, ':c': { SS: ['a', 'b'] } } },
      { text: 'ADD #n :one, campaigns :c', names: { '#n': 'sends' }, values: { ':one': { N: '7' }, ':c': { SS: ['z'] } } },
    ]);
    // The values in the result are the call's own objects, as the parser puts them there.
    const values = { ':v0': { S: 'growing' }, ':v1': scores('0.5'), ':one': { N: '1' } };
    const result = update(segmentationWrite, { context: context(names, values) }) as { sections: { val: unknown }[] };
    expect(result.sections[0]!.val).toBe(values[':v0']);
    expect(result.sections[1]!.val).toBe(values[':v1']);

    agree('condition', [
      { text: '#version = :prev', names: { '#version': 'version' }, values: { ':prev': { N: '3' } } },
      { text: '#version = :prev', names: { '#version': 'version' }, values: { ':prev': { N: '4' } } },
      { text: 'attribute_not_exists(customerId) OR version = :prev', values: { ':prev': { N: '0' } } },
      { text: 'attribute_not_exists(customerId) OR version = :prev', values: { ':prev': { N: '9' } } },
      { text: 'customerId = :c AND begins_with(#k, :p)', names: { '#k': 'journeyId' }, values: { ':c': { S: 'c-1' }, ':p': { S: 'win' } } },
      { text: 'customerId = :c AND begins_with(#k, :p)', names: { '#k': 'journeyId' }, values: { ':c': { S: 'c-2' }, ':p': { S: 'vip' } } },
      { text: '#s IN (:a, :b) AND size(tags) > :n', names: { '#s': 'status' }, values: { ':a': { S: 'sent' }, ':b': { S: 'claimed' }, ':n': { N: '2' } } },
      { text: '#s IN (:a, :b) AND size(tags) > :n', names: { '#s': 'status' }, values: { ':a': { S: 'held' }, ':b': { S: 'x' }, ':n': { N: '0' } } },
    ]);
    agree('projection', [
      { text: 'customerId, #s, lastOrder.at', names: { '#s': 'status' } },
      { text: 'customerId, #s, lastOrder.at', names: { '#s': 'status' } },
    ]);
  });

  it('parses again, and fails as the parser fails, when a value has another type, a name another meaning, or the parse failed', () => {
    agree('update', [
      { text: 'SET #v = #v + :one', names: { '#v': 'version' }, values: { ':one': { N: '1' } } },
      { text: 'SET #v = #v + :one', names: { '#v': 'version' }, values: { ':one': { S: '1' } } }, // + needs a number
      { text: 'SET #v = #v + :one', names: { '#v': 'name' }, values: { ':one': { N: '1' } } }, // another attribute
      { text: 'SET #v = :x', names: { '#v': 'a' }, values: { ':y': { N: '1' } } }, // :x undefined
      { text: 'SET #v = :x', names: { '#v': 'a' }, values: { ':x': { N: '1' } } },
      { text: 'SET a = list_append(a, :l)', values: { ':l': { L: [] } } },
      { text: 'SET a = list_append(a, :l)', values: { ':l': { M: {} } } },
      { text: 'SET a = :x, a = :x', values: { ':x': { N: '1' } } }, // overlapping paths
      { text: 'SET #v = :x', names: { '#v': 'a', '#unused': 'b' }, values: { ':x': { N: '1' }, ':unused': { N: '2' } } },
    ]);
    agree('condition', [
      // BETWEEN compares its bounds' contents, and attribute_type reads its type name: always parsed.
      { text: 'a BETWEEN :lo AND :hi', values: { ':lo': { N: '1' }, ':hi': { N: '5' } } },
      { text: 'a BETWEEN :lo AND :hi', values: { ':lo': { N: '9' }, ':hi': { N: '5' } } },
      { text: 'attribute_type(a, :t)', values: { ':t': { S: 'N' } } },
      { text: 'attribute_type(a, :t)', values: { ':t': { S: 'XX' } } },
      { text: 'begins_with(a, :p)', values: { ':p': { S: 'x' } } },
      { text: 'begins_with(a, :p)', values: { ':p': { N: '1' } } },
    ]);
  });

  it('hands out a fresh copy each time, so a caller that changes its result changes no later one', () => {
    const parse = rememberingParse('condition', dynaliteParse('condition'));
    const values = { ':c': { S: 'c-1' } };
    const first = parse('customerId = :c', { context: context(undefined, values) }) as { expression: { type: string; args: unknown[] } };
    first.expression.type = '<'; // dynalite's key-condition check rewrites a reversed comparison in place
    first.expression.args.reverse();
    const second = parse('customerId = :c', { context: context(undefined, values) });
    expect(second).toStrictEqual(dynaliteParse('condition')('customerId = :c', { context: context(undefined, values) }));
  });

  it('is what the held tables\' validations parse with: the same parsed request twice with other values', async () => {
    await import('#lib/local/write-behind-tables.ts'); // installs it
    const updateItem = require('dynalite/validations/updateItem') as { types: unknown; custom: unknown };
    const request = (stage: string, prev: string) => ({
      TableName: 'lifecycle-customers',
      Key: { customerId: { S: 'c-1' } },
      UpdateExpression: segmentationWrite,
      ConditionExpression: '#version = :prev',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':v0': { S: stage }, ':v1': scores('0.4'), ':one': { N: '1' }, ':prev': { N: prev } },
    });
    for (const [stage, prev] of [['stable', '3'], ['lapsed', '4']] as const) {
      const data = request(stage, prev) as Record<string, unknown>;
      validations.checkValidations(data, updateItem.types, updateItem.custom, {});
      const values = data.ExpressionAttributeValues as Values;
      const expected = request(stage, prev);
      expect(data._updates).toStrictEqual(dynaliteParse('update')(expected.UpdateExpression, { context: context(names, expected.ExpressionAttributeValues) }));
      expect((data._updates as { sections: { val: unknown }[] }).sections[0]!.val).toBe(values[':v0']);
      expect((data._condition as { expression: { args: unknown[] } }).expression.args[1]).toBe(values[':prev']);
    }
    // An unused value is still refused, after the expression was remembered.
    const unused = { ...request('stable', '5'), ExpressionAttributeValues: { ...request('stable', '5').ExpressionAttributeValues, ':extra': { N: '1' } } };
    expect(() => validations.checkValidations(unused, updateItem.types, updateItem.custom, {})).toThrow(/unused in expressions: keys: \{:extra\}/);
  });
});
