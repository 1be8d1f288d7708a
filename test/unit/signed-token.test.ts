/** Tokens signed with the pads made once per key (signed-token.ts) are the tokens createHmac signs, for every kind and length of key. */
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openPayload, purposeKey, signPayload } from '#signed-links/signed-token.ts';

/** The token as the format defines it, built the plain way. */
const plainToken = (parts: readonly unknown[], key: string | Buffer) => {
  const payload = Buffer.from(JSON.stringify(parts)).toString('base64url');
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
};

const keys: [string, string | Buffer][] = [
  ['short text', 'k'],
  ['40 characters', 's'.repeat(40)],
  ['63 characters', 'a1'.repeat(31) + 'z'],
  ['a whole block', 'b'.repeat(64)],
  ['longer than a block (hashed first)', 'c'.repeat(65)],
  ['much longer', 'd'.repeat(300)],
  ['text with non-ASCII characters', 'schlüssel-ü-日本'.repeat(3)],
  ['text with control characters', '\u0000\u007f\u0001'.repeat(12)],
  ['a derived key (binary)', purposeKey('e'.repeat(40), 'referral')],
  ['random bytes', randomBytes(32)],
  ['random bytes longer than a block', randomBytes(100)],
  ['random bytes of a whole block', randomBytes(64)],
];

const claims: unknown[][] = [
  ['c1', 'newsletter', 1_790_000_000],
  ['persona-growing-17', 'referral'],
  ['ref/ä ?&=', 'confirm', 1_790_000_000],
  ['顧客-42', 'offers', 0],
  ['', '', -1],
  ['x'.repeat(400), 'newsletter', 1_790_000_000], // a payload longer than the pad's buffer
  ['y'.repeat(1000), 'newsletter', 1_790_000_000],
  ['~~~???>>>', 'a+b/c=d', 2 ** 40], // base64 of these has + and /, which base64url writes as - and _
];

describe('signPayload', () => {
  it.each(keys)('writes the same token as createHmac, key: %s', (_, key) => {
    for (const parts of claims) {
      const token = signPayload(parts, key);
      expect(token, JSON.stringify(parts)).toBe(plainToken(parts, key));
      expect(openPayload(token, key, 'unsubscribe')).toEqual(parts);
    }
  });

  it('writes the payload as JSON.stringify does, for the parts it writes itself and for the ones it leaves to JSON.stringify', () => {
    // Each odd part beside plain ones: one part JSON.stringify must write decides for the whole claim.
    const odd: unknown[] = ['quote "', 'back\\slash', 'tab\t', 'line\u2028separator', 'lone \ud800 surrogate', 'del \u007f', 'nul \u0000', 'ü', 2 ** 53, -0, 1.5, Number.NaN, Infinity, -42, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, null, true, { k: 'v' }, ['nested']];
    const parts: unknown[][] = [[], ...odd.flatMap((v) => [[v], ['c1', v, 1_790_000_000], ['c1', 'newsletter', v]])];
    for (const p of parts) expect(signPayload(p, 's'.repeat(40)), JSON.stringify(p)).toBe(plainToken(p, 's'.repeat(40)));
  });

  it('keeps each key apart when keys alternate (the pads are per key)', () => {
    for (let round = 0; round < 3; round++) {
      for (const [, key] of keys) expect(signPayload(claims[0]!, key)).toBe(plainToken(claims[0]!, key));
    }
  });

  it('refuses a token signed under another key', () => {
    const token = signPayload(claims[0]!, 'f'.repeat(40));
    expect(() => openPayload(token, 'g'.repeat(40), 'unsubscribe')).toThrow(/bad-signature/);
  });
});
