import { z } from 'zod';
import { InvalidTokenError } from './signed-token.ts';

/**
 * The link-signing keys: links are signed with `current`; a link verifies with `current`, or
 * with `previous` while it is kept after a rotation, so links mailed before it keep working.
 */
export const SigningKeys = z
  .object({
    current: z.string().min(32, 'at least 32 characters'),
    previous: z.string().min(32, 'at least 32 characters').optional(),
  })
  .strict();
export type SigningKeys = z.infer<typeof SigningKeys>;

/** What a verify function takes: the keys, or one key alone (a secret that was never rotated). */
export type VerifyingKeys = SigningKeys | string;

const keysOf = (keys: VerifyingKeys): string[] => (typeof keys === 'string' ? [keys] : [keys.current, ...(keys.previous ? [keys.previous] : [])]);

/**
 * Verifies with the current key, then the previous one. Only a wrong signature moves on to the
 * next key: a token the current key signed that is expired or malformed is refused as it is.
 */
export function verifyWithKeys<T>(keys: VerifyingKeys, verify: (secret: string) => T): T {
  const [first, ...rest] = keysOf(keys);
  try {
    return verify(first!);
  } catch (error) {
    if (rest.length && error instanceof InvalidTokenError && error.reason === 'bad-signature') return verifyWithKeys(rest.length === 1 ? rest[0]! : { current: rest[0]!, previous: rest[1] }, verify);
    throw error;
  }
}

/**
 * The keys from a secret's text: the JSON `{ "current": …, "previous"?: … }`, or a bare key
 * (as the stack first generates it, and the local runtime's file holds). Problems are named
 * by field; the value itself never appears in an error.
 */
export function parseSigningKeys(text: string, source: string): SigningKeys {
  const trimmed = text.trim();
  let candidate: unknown = { current: trimmed };
  if (trimmed.startsWith('{')) {
    try {
      candidate = JSON.parse(trimmed);
    } catch {
      throw new Error(`${source}: not valid JSON; expected {"current": "<key>", "previous"?: "<key>"} or a bare key`);
    }
  }
  const parsed = SigningKeys.safeParse(candidate);
  if (!parsed.success) {
    throw new Error(`${source}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}; expected {"current": "<key>", "previous"?: "<key>"}`);
  }
  return parsed.data;
}
