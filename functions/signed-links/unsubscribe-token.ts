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
});
export type UnsubscribeClaim = z.infer<typeof UnsubscribeClaim>;

// Unsubscribe tokens are signed with the secret itself (the original format: links already
// mailed stay valid); other kinds of token sign with a key derived from it (signed-token.ts).
export function signUnsubscribeToken(claim: UnsubscribeClaim, secret: string): string {
  return signPayload([claim.customerId, claim.topic, claim.expiresAt], secret);
}

/** Verifies with the current key, then the previous one (links mailed before a rotation). */
export function verifyUnsubscribeToken(token: string, keys: VerifyingKeys, nowEpochSeconds: number): UnsubscribeClaim {
  const payload = verifyWithKeys(keys, (secret) => openPayload(token, secret, 'unsubscribe'));
  const tuple = z.tuple([z.string(), z.string(), z.number()]).safeParse(payload);
  if (!tuple.success) throw new InvalidTokenError('malformed');
  const [customerId, topic, expiresAt] = tuple.data;
  if (expiresAt < nowEpochSeconds) throw new InvalidTokenError('expired');
  return { customerId, topic, expiresAt };
}
