import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  OrderSchema,
  dayNumber,
  isValidOrderCandidate,
  parseCsvLine,
  parseOrderLog,
} from '#cli/run/order-log.ts';

const SAMPLE = new URL('../../data/cdnow/CDNOW_sample.txt', import.meta.url);
const MASTER = new URL('../../data/cdnow/CDNOW_master.txt', import.meta.url);

describe('parseOrderLog — cdnow', () => {
  it('parses the 4-column master layout, skipping the header and keeping leading zeros', () => {
    const text = ' customer_id  date number_of_cds  dollar_value\n 00001 19970101  1   11.77\n 00002 19970112  5   77.00\n';
    const { orders, rejected } = parseOrderLog(text, 'cdnow');
    expect(rejected).toEqual([]);
    expect(orders).toEqual([
      { customerId: '00001', date: '1997-01-01', quantity: 1, amount: 11.77 },
      { customerId: '00002', date: '1997-01-12', quantity: 5, amount: 77 },
    ]);
  });

  it('parses the 5-column sample layout (customer id, sample id, date, cds, value)', () => {
    const { orders, rejected } = parseOrderLog(' 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n', 'cdnow');
    expect(rejected).toEqual([]);
    expect(orders).toEqual([
      { customerId: '00004', date: '1997-01-01', quantity: 2, amount: 29.33 },
      { customerId: '00004', date: '1997-01-18', quantity: 2, amount: 29.73 },
    ]);
  });

  it('rejects bad lines with reasons naming the field, and keeps parsing the rest', () => {
    const text = [
      ' 00001 19970101  1   11.77', // 1 ok
      ' 00002 19970230  1   10.00', // 2 impossible date
      ' 00003 1997011   1   10.00', // 3 short date
      ' 00004 19970105  1   -3.50', // 4 negative amount
      ' 00005 19970105  1   abc', // 5 NaN amount
      ' 00006 19970105  1', // 6 too few columns
      '', // blank: ignored
      ' 00007 19970105  2.5 10', // 8 fractional quantity
      ' 00008 19970106  1   12.00', // 9 ok
    ].join('\n');
    const { orders, rejected } = parseOrderLog(text, 'cdnow');
    expect(orders.map((o) => o.customerId)).toEqual(['00001', '00008']);
    expect(rejected.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 8]);
    const reason = (line: number): string => rejected.find((r) => r.line === line)?.reason ?? '';
    expect(reason(2)).toMatch(/^date: not a valid calendar date \(got "19970230"\)/);
    expect(reason(3)).toMatch(/^date: .*\(got "1997011"\)/);
    expect(reason(4)).toMatch(/^amount: must not be negative \(got "-3.50"\)/);
    expect(reason(5)).toMatch(/^amount: expected a number \(got "abc"\)/);
    expect(reason(6)).toMatch(/^columns: expected 4 whitespace-separated columns .* got 3/);
    expect(reason(8)).toMatch(/^quantity: must be a whole number/);
    expect(rejected[0]?.text).toBe(' 00002 19970230  1   10.00');
  });

  it('parses the CDNOW sample file: 6,919 orders of 2,357 customers, nothing rejected', () => {
    const { orders, rejected } = parseOrderLog(readFileSync(SAMPLE, 'utf8'), 'cdnow');
    expect(rejected).toEqual([]);
    expect(orders).toHaveLength(6919);
    expect(new Set(orders.map((o) => o.customerId)).size).toBe(2357);
    expect(orders[0]).toEqual({ customerId: '00004', date: '1997-01-01', quantity: 2, amount: 29.33 });
  });

  it('parses the CDNOW master file: 69,659 orders of 23,570 customers, header skipped', () => {
    const { orders, rejected } = parseOrderLog(readFileSync(MASTER, 'utf8'), 'cdnow');
    expect(rejected).toEqual([]);
    expect(orders).toHaveLength(69_659);
    expect(new Set(orders.map((o) => o.customerId)).size).toBe(23_570);
    expect(orders[0]).toEqual({ customerId: '00001', date: '1997-01-01', quantity: 1, amount: 11.77 });
  });
});

describe('parseCsvLine', () => {
  it('splits plain and quoted fields', () => {
    expect(parseCsvLine('a,b,,c')).toEqual({ fields: ['a', 'b', '', 'c'] });
    expect(parseCsvLine(' a , "b, c" ,"say ""hi"""')).toEqual({ fields: ['a', 'b, c', 'say "hi"'] });
    expect(parseCsvLine('a,')).toEqual({ fields: ['a', ''] });
    expect(parseCsvLine('""')).toEqual({ fields: [''] });
  });

  it('reports malformed quoting', () => {
    expect(parseCsvLine('a,"b')).toEqual({ error: 'unterminated quoted field starting in column 2' });
    expect(parseCsvLine('"a"x,b')).toEqual({ error: 'unexpected character after closing quote in column 1' });
    expect(parseCsvLine('a"b,c')).toEqual({ error: 'stray quote in unquoted field in column 1' });
  });
});

describe('parseOrderLog — csv', () => {
  it('maps columns by header name (any order, optional order_id/email) and accepts both date forms', () => {
    const text = [
      'Order_ID,customer_id,amount,date,quantity,email',
      'o-1,00042,19.99,2024-03-01,1,ann@example.com',
      '"o-2","00042","1,000.00",20240302,2,', // amount with thousands separator is not a number
      'o-3,"0007",5,20240302,3,"b@example.com"',
      ',0008,0,2024-03-04,0,',
    ].join('\n');
    const { orders, rejected } = parseOrderLog(text, 'csv');
    expect(orders).toEqual([
      { customerId: '00042', date: '2024-03-01', quantity: 1, amount: 19.99, orderId: 'o-1', email: 'ann@example.com' },
      { customerId: '0007', date: '2024-03-02', quantity: 3, amount: 5, orderId: 'o-3', email: 'b@example.com' },
      { customerId: '0008', date: '2024-03-04', quantity: 0, amount: 0 },
    ]);
    expect(rejected).toEqual([{ line: 3, reason: 'amount: expected a number (got "1,000.00")', text: '"o-2","00042","1,000.00",20240302,2,' }]);
  });

  it('rejects bad lines with reasons and keeps the good ones', () => {
    const text = [
      'customer_id,date,quantity,amount',
      'c1,2024-01-01,1,10',
      'c2,2024-13-01,1,10', // bad month
      'c3,2024-01-02,1', // missing column
      'c4,2024-01-02,1,"10', // unterminated quote
      'c5,2024-01-02,-1,10', // negative quantity
      ',2024-01-02,1,10', // empty id
      'c6,2024-01-03,2,NaN', // NaN amount
      'c7,2024-01-04,1,7.5',
    ].join('\n');
    const { orders, rejected } = parseOrderLog(text, 'csv');
    expect(orders.map((o) => o.customerId)).toEqual(['c1', 'c7']);
    expect(rejected.map((r) => [r.line, r.reason.split(':')[0]])).toEqual([
      [3, 'date'],
      [4, 'columns'],
      [5, 'csv'],
      [6, 'quantity'],
      [7, 'customerId'],
      [8, 'amount'],
    ]);
    expect(rejected[1]?.reason).toBe('columns: expected 4 comma-separated columns as in the header, got 3');
  });

  it('rejects every line when the header lacks a required column', () => {
    const { orders, rejected } = parseOrderLog('customer_id,date,amount\nc1,2024-01-01,10\nc2,2024-01-02,11\n', 'csv');
    expect(orders).toEqual([]);
    expect(rejected.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(rejected[0]?.reason).toBe('header: missing required column(s) quantity');
    expect(rejected[1]?.reason).toMatch(/CSV header is invalid/);
  });
});

describe('parseOrderLog — jsonl', () => {
  it('parses objects and rejects invalid JSON, non-objects and bad fields', () => {
    const text = [
      '{"customerId":"00001","date":"1997-01-01","quantity":1,"amount":11.77,"orderId":"A1","email":"a@example.com","extra":true}',
      '{"customerId":"00002","date":"19970112","quantity":5,"amount":77}',
      '{"customerId":"00003","date":"1997-01-01","quantity":1,', // truncated
      '[1,2,3]',
      '{"customerId":3,"date":"1997-01-01","quantity":1,"amount":1}', // numeric id: ids must be strings
      '{"customerId":"00004","date":"1997-01-01","quantity":1}', // missing amount
      '{"customerId":"00005","date":"1997-01-01","quantity":1,"amount":-2}',
      '{"customerId":"00006","date":"1997-01-01","quantity":1,"amount":"12"}', // amount as string
      '',
      '{"customerId":"00007","date":"1997-02-01","quantity":2,"amount":20,"orderId":null}',
    ].join('\n');
    const { orders, rejected } = parseOrderLog(text, 'jsonl');
    expect(orders).toEqual([
      { customerId: '00001', date: '1997-01-01', quantity: 1, amount: 11.77, orderId: 'A1', email: 'a@example.com' },
      { customerId: '00002', date: '1997-01-12', quantity: 5, amount: 77 },
      { customerId: '00007', date: '1997-02-01', quantity: 2, amount: 20 },
    ]);
    const reasons = new Map(rejected.map((r) => [r.line, r.reason]));
    expect([...reasons.keys()]).toEqual([3, 4, 5, 6, 7, 8]);
    expect(reasons.get(3)).toMatch(/^json: invalid JSON/);
    expect(reasons.get(4)).toBe('json: expected a JSON object per line');
    expect(reasons.get(5)).toMatch(/^customerId: /);
    expect(reasons.get(6)).toMatch(/^amount: expected a number/);
    expect(reasons.get(7)).toBe('amount: must not be negative (got "-2")');
    expect(reasons.get(8)).toMatch(/^amount: expected a number \(got "12"\)/);
  });
});

describe('validation fast path', () => {
  it('agrees with OrderSchema on valid and invalid candidates', () => {
    const base = { customerId: 'c', date: '2024-02-29', quantity: 1, amount: 1 };
    const candidates: Record<string, unknown>[] = [
      base,
      { ...base, date: '2023-02-29' },
      { ...base, date: '2024-2-29' },
      { ...base, date: '20240229' },
      { ...base, customerId: '' },
      { ...base, customerId: 7 },
      { ...base, quantity: 1.5 },
      { ...base, quantity: -1 },
      { ...base, quantity: Number.NaN },
      { ...base, amount: Number.POSITIVE_INFINITY },
      { ...base, amount: -0.01 },
      { ...base, amount: 0 },
      { ...base, orderId: '' },
      { ...base, orderId: 'x', email: 'e' },
      { ...base, email: 3 },
      { customerId: 'c', date: '2024-01-01', quantity: 1 },
    ];
    for (const candidate of candidates) {
      expect(isValidOrderCandidate(candidate), JSON.stringify(candidate)).toBe(OrderSchema.safeParse(candidate).success);
    }
  });

  it('dayNumber counts days since 1970-01-01 without reading the clock', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('1997-09-30') - dayNumber('1997-01-01')).toBe(272);
    expect(() => dayNumber('1997-02-29')).toThrow(RangeError);
  });
});
