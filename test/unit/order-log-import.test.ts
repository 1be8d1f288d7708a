import { describe, expect, it } from 'vitest';
import { decodeCustomerId, encodeCustomerId, generatedEmailLocalPart } from '#cli/run/customer-id.ts';
import { parseOrderLog } from '#cli/run/order-log.ts';
import { ASSUMED_TOPICS, orderLogImport } from '#cli/run/order-log-events.ts';
import { CustomerRegistered, Email, OrderPlaced } from '#domain/shop-events.ts';

type Detail = Record<string, unknown>;
const registrations = (events: ReturnType<typeof orderLogImport>['events']) => events.filter((e) => e.detailType === 'Customer Registered').map((e): Detail => ({ time: e.time, ...(e.detail as Detail) }));

describe('order-log customer details (csv, jsonl)', () => {
  it('reads contact and consent columns, in snake or camel case, validated', () => {
    const text = [
      'customer_id,date,quantity,amount,email,firstName,last_name,locale,time_zone,marketing_consent,topics,consent_at',
      'c1,2026-03-01,1,10,Ann@Example.com,Ann,Lee,de-DE,Europe/Berlin,yes,newsletter;offers,2026-02-15',
      'c2,2026-03-02,1,10,,,,,,,,',
      `c3,2026-03-03,1,10,c3@example.com,${'N'.repeat(140)},,,,,,`,
    ].join('\n');
    const { orders, rejected } = parseOrderLog(text, 'csv');
    expect(rejected).toEqual([]);
    expect(orders[0]).toEqual({
      customerId: 'c1', date: '2026-03-01', quantity: 1, amount: 10, email: 'ann@example.com', firstName: 'Ann', lastName: 'Lee', locale: 'de-DE', timeZone: 'Europe/Berlin',
      marketingConsent: true, topics: ['newsletter', 'offers'], consentAt: '2026-02-15T00:00:00.000Z',
    });
    expect(orders[1]).toEqual({ customerId: 'c2', date: '2026-03-02', quantity: 1, amount: 10 });
    expect(orders[2]!.firstName).toBe('N'.repeat(100)); // a long name is cut, the line kept
  });

  it('rejects an invalid email, consent value or time zone at parse, with field and value', () => {
    const text = [
      'customer_id,date,quantity,amount,email,marketing_consent,time_zone',
      'c1,2026-03-01,1,10,not-an-email,true,UTC',
      'c2,2026-03-01,1,10,c2@example.com,maybe,UTC',
      'c3,2026-03-01,1,10,c3@example.com,false,Mars/Olympus',
      'c4,2026-03-01,1,10,c4@example.com,false,UTC',
    ].join('\n');
    const { orders, rejected } = parseOrderLog(text, 'csv');
    expect(orders.map((o) => o.customerId)).toEqual(['c4']);
    expect(rejected.map((r) => [r.line, r.reason])).toEqual([
      [2, expect.stringMatching(/^email: .*\(got "not-an-email"\)/)],
      [3, 'marketingConsent: expected true or false (got "maybe")'],
      [4, expect.stringMatching(/^timeZone: an IANA time zone .*\(got "Mars\/Olympus"\)/)],
    ]);
  });

  it('reads the same fields from JSON Lines; null means not given', () => {
    const text = [
      '{"customerId":"j1","date":"2026-03-01","quantity":1,"amount":5,"email":"j1@example.com","marketingConsent":false,"topics":["offers"],"consentAt":"2026-03-01T08:00:00+01:00","firstName":null}',
      '{"customerId":"j2","date":"2026-03-01","quantity":1,"amount":5,"marketingConsent":"yes"}',
    ].join('\n');
    const { orders, rejected } = parseOrderLog(text, 'jsonl');
    expect(orders).toEqual([{ customerId: 'j1', date: '2026-03-01', quantity: 1, amount: 5, email: 'j1@example.com', marketingConsent: false, topics: ['offers'], consentAt: '2026-03-01T08:00:00+01:00' }]);
    expect(rejected).toEqual([{ line: 2, reason: 'marketingConsent: expected true or false (got "yes")', text: expect.any(String) }]);
  });
});

describe('dates far from the bulk of the log', () => {
  it('rejects a 2030 line in a 2026 log, with its reason, and keeps the rest', () => {
    const lines = ['customer_id,date,quantity,amount'];
    for (let i = 0; i < 60; i++) lines.push(`c${i},2026-${String(1 + (i % 9)).padStart(2, '0')}-1${i % 10},1,10`);
    lines.splice(31, 0, 'c-typo,2030-06-01,1,10');
    const { orders, rejected } = parseOrderLog(lines.join('\n'), 'csv');
    expect(orders).toHaveLength(60);
    expect(orders.every((o) => o.date.startsWith('2026-'))).toBe(true);
    expect(rejected).toEqual([{ line: 32, reason: expect.stringMatching(/^date: 2030-06-01 is far from the rest of the log \(98% of its orders fall between 2026-01-1\d and 2026-09-1\d; dates from 2025-\d\d-\d\d to 2027-\d\d-\d\d are accepted\)$/), text: 'c-typo,2030-06-01,1,10' }]);
  });

  it('leaves a small log alone: nothing to judge a date against', () => {
    const { orders, rejected } = parseOrderLog('customer_id,date,quantity,amount\na,2026-01-01,1,1\nb,2030-01-01,1,1\n', 'csv');
    expect(rejected).toEqual([]);
    expect(orders).toHaveLength(2);
  });
});

describe('customer ids', () => {
  it('keeps every source id apart, reversibly, as a tag-safe id', () => {
    const ids = ['a.b', 'a-b', 'a_b', 'a_2Eb', 'A1', 'a1', 'ü ser', '00001'];
    const encoded = ids.map(encodeCustomerId);
    expect(new Set(encoded).size).toBe(ids.length);
    for (const [i, id] of ids.entries()) {
      expect(encoded[i]).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCustomerId(encoded[i]!)).toBe(id);
    }
    expect(encodeCustomerId('00001')).toBe('00001'); // plain ids are unchanged
    const emails = ids.map((id) => Email.parse(`${generatedEmailLocalPart(id)}@customers.example`));
    expect(new Set(emails).size).toBe(ids.length);
  });

  it('imports a.b and a-b as two customers, each with their own order', () => {
    const { orders } = parseOrderLog('customer_id,date,quantity,amount\na.b,2026-03-01,1,10\na-b,2026-03-02,1,20\n', 'csv');
    const { events } = orderLogImport(orders);
    const placed = events.filter((e) => e.detailType === 'Order Placed').map((e) => OrderPlaced.parse(e.detail));
    expect(placed.map((o) => [o.customerId, o.total])).toEqual([
      [encodeCustomerId('a.b'), 10],
      ['a-b', 20],
    ]);
    expect(new Set(registrations(events).map((r) => r.customerId)).size).toBe(2);
  });

  it('rejects an id too long to encode, with its reason', () => {
    const { rejected } = parseOrderLog(`customer_id,date,quantity,amount\n${'é'.repeat(20)},2026-03-01,1,10\n`, 'csv');
    expect(rejected[0]!.reason).toMatch(/^customerId: too long to be a customer id \(120 characters once encoded, at most 64\)/);
  });
});

describe('consent comes only from the log', () => {
  const cdnow = parseOrderLog(' 00001 19970101  1   11.77\n 00001 19970301  1   5.00\n 00002 19970112  5   77.00\n', 'cdnow').orders;

  it('a log without consent imports its customers without marketing consent', () => {
    const { events, assumedConsent } = orderLogImport(cdnow);
    const regs = registrations(events);
    expect(regs).toHaveLength(2);
    for (const r of regs) expect(CustomerRegistered.parse(r)).toMatchObject({ marketingConsent: false, topics: [], channel: 'import' });
    expect(assumedConsent).toBe(0);
  });

  it('--assume-consent gives them consent, and counts them', () => {
    const { events, assumedConsent } = orderLogImport(cdnow, { assumeConsent: true });
    expect(registrations(events).map((r) => [r.marketingConsent, r.topics])).toEqual([
      [true, ASSUMED_TOPICS],
      [true, ASSUMED_TOPICS],
    ]);
    expect(assumedConsent).toBe(2);
  });

  it('each consent statement is registered at its own time; assuming never overrides the log', () => {
    const text = [
      'customer_id,date,quantity,amount,marketing_consent,topics,consent_at',
      'c1,2026-03-01,1,10,true,newsletter,2026-02-01',
      'c1,2026-04-01,1,10,true,newsletter,', // the same statement again: no new registration
      'c1,2026-05-01,1,10,false,,2026-05-01T09:00:00Z',
      'c2,2026-03-01,1,10,,,',
    ].join('\n');
    const { events, assumedConsent } = orderLogImport(parseOrderLog(text, 'csv').orders, { assumeConsent: true });
    const c1 = registrations(events).filter((r) => r.customerId === 'c1');
    expect(c1.map((r) => [r.time, r.marketingConsent, r.topics, r.consentAt])).toEqual([
      ['2026-02-01T00:00:00.000Z', true, ['newsletter'], '2026-02-01T00:00:00.000Z'],
      ['2026-05-01T09:00:00.000Z', false, [], '2026-05-01T09:00:00.000Z'],
    ]);
    expect(assumedConsent).toBe(1); // c2 only
    expect(events.map((e) => e.time)).toEqual([...events.map((e) => e.time)].sort());
  });
});
