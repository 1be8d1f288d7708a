import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HeldItems } from '#lib/local/held-item-store.ts';

// The MemoryLevel dynalite keeps its items in, resolved as dynalite resolves it.
const { MemoryLevel } = createRequire(createRequire(import.meta.url).resolve('dynalite/db'))('memory-level') as typeof import('memory-level');

const call = <T>(f: (cb: (error: Error | null, value?: T) => void) => void) =>
  new Promise<T>((resolve, reject) => f((error, value) => (error ? reject(error) : resolve(value as T))));
const collect = async (stream: Readable) => {
  const out: unknown[] = [];
  for await (const v of stream) out.push(v);
  return out;
};

/** Keys as dynalite makes them: hex digits and '/', bounds ending in '~'. */
function dynaliteKeys(n: number): string[] {
  let seed = 7;
  const hex = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed.toString(16).padStart(8, '0');
  };
  return Array.from({ length: n }, (_, i) => `${hex().slice(0, 6)}/${Buffer.from(`c${i % 40}`).toString('hex')}/${i % 3 ? `${hex()}/` : ''}`);
}

describe('HeldItems (dynalite\'s item database as values)', () => {
  it.each([undefined, 16, 1])('gives every range, reversed and limited, in the order MemoryLevel gives it, after puts and deletes (chunks of %s keys)', async (chunkSize) => {
    const held = new HeldItems(chunkSize);
    const level = new MemoryLevel<string, { n: number }>({ valueEncoding: 'json' });
    const keys = dynaliteKeys(300);
    for (const [i, key] of keys.entries()) {
      await call((cb) => held.put(key, { n: i }, cb));
      await level.put(key, { n: i });
    }
    // Every seventh key, and a run of neighbours (whole chunks emptied), deleted; a missing key deleted too.
    const ordered = [...new Set(keys)].sort();
    for (const key of [...keys.filter((_, i) => i % 7 === 0), ...ordered.slice(100, 140), 'ffffff/missing/']) {
      await call((cb) => held.del(key, cb));
      await level.del(key);
    }
    const sorted = [...new Set(keys)].sort();
    const a = sorted[40]!;
    const b = sorted[180]!;
    const prefix = a.slice(0, 3);
    const gone = ordered[120]!; // a bound that is no longer a key
    const ranges = [{}, { gte: a }, { gt: a }, { lt: b }, { lte: b }, { gte: a, lt: b }, { gt: a, lte: b }, { gte: prefix, lt: `${prefix}~` }, { gte: b, lt: a }, { gte: `${a}~` }, { gt: gone }, { lte: gone }, { gte: gone, lte: b }, { gte: '' }, { lt: '' }, { gt: '~' }];
    let compared = 0;
    for (const range of ranges)
      for (const order of [{}, { reverse: true }])
        for (const limit of [{}, { limit: -1 }, { limit: 5 }]) {
          const options = { ...range, ...order, ...limit };
          const expected = await level.values(options).all();
          expect(await collect(held.createValueStream(options)), JSON.stringify(options)).toEqual(expected);
          compared += expected.length;
        }
    expect(compared).toBeGreaterThan(1000);
  });

  it('answers a missing key with NotFoundError, and a stored one with the value itself', async () => {
    const held = new HeldItems();
    const value = { id: { S: 'x' } };
    await call((cb) => held.put('ab/', value, cb));
    expect(await call((cb) => held.get('ab/', cb))).toBe(value);
    await call((cb) => held.del('ab/', cb));
    await expect(call((cb) => held.get('ab/', cb))).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(await collect(held.createValueStream({}))).toEqual([]);
  });
});
