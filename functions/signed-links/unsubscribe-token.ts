import { z } from 'zod';
import { InvalidTokenError, openPayload, signPayload } from './signed-token.ts';
import { type VerifyingKeys, verifyWithKeys } from './signing-keys.ts';

export { InvalidTokenError };

/** What an unsubscribe link carries: who and which topic, never an email address. */
export const UnsubscribeClaim = z.object({
  customerId: z.string().min(1),
  topic: z.string().min(1),
  /** Expiry, epoch seconds. */
  expiresAt: z.number().int(),
  /** The send whose link this is, so the report can count unsubscribes per send (absent on links mailed before). */
  sendId: z.string().min(1).optional(),
});
export type UnsubscribeClaim = z.infer<typeof UnsubscribeClaim>;

// Unsubscribe tokens are signed with the secret itself (the original format: links already
// mailed stay valid); other kinds of token sign with a key derived from it (signed-token.ts).
export function signUnsubscribeToken(claim: UnsubscribeClaim, secret: string): string {
  return signPayload(claim.sendId ? [claim.customerId, claim.topic, claim.expiresAt, claim.sendId] : [claim.customerId, claim.topic, claim.expiresAt], secret);
}

/**
 * A correctly signed token's claim, expired or not: an unsubscribe must keep working however
 * old the email is (only a re-subscription needs a recent link). Tries the current key, then
 * the previous one (links mailed before a rotation). Throws InvalidTokenError for a malformed
 * or forged token.
 */
export function openUnsubscribeToken(token: string, keys: VerifyingKeys, nowEpochSeconds: number): UnsubscribeClaim & { expired: boolean } {
  const payload = verifyWithKeys(keys, (secret) => openPayload(token, secret, 'unsubscribe'));
  const tuple = z.union([z.tuple([z.string(), z.string(), z.number()]), z.tuple([z.string(), z.string(), z.number(), z.string().min(1)])]).safeParse(payload);
  if (!tuple.success) throw new InvalidTokenError('malformed');
  const [customerId, topic, expiresAt, sendId] = tuple.data;
  return { customerId, topic, expiresAt, ...(sendId ? { sendId } : {}), expired: expiresAt < nowEpochSeconds };
}

/** Throws InvalidTokenError for a malformed, forged or expired token. */
export function verifyUnsubscribeToken(token: string, keys: VerifyingKeys, nowEpochSeconds: number): UnsubscribeClaim {
  const { expired, ...claim } = openUnsubscribeToken(token, keys, nowEpochSeconds);
  if (expired) throw new InvalidTokenError('expired');
  return claim;
}
