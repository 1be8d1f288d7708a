import { z } from 'zod';
import { InvalidTokenError, openPayload, purposeKey, signPayload } from './signed-token.ts';
import { type VerifyingKeys, verifyWithKeys } from './signing-keys.ts';

/** What a double opt-in confirmation link carries: who, what for, until when; never an email address. */
export const ConfirmClaim = z.object({
  customerId: z.string().min(1),
  purpose: z.literal('confirm'),
  /** Expiry, epoch seconds. */
  expiresAt: z.number().int(),
});
export type ConfirmClaim = z.infer<typeof ConfirmClaim>;

const key = (secret: string) => purposeKey(secret, 'confirm');

export function signConfirmToken(claim: Omit<ConfirmClaim, 'purpose'>, secret: string): string {
  return signPayload([claim.customerId, 'confirm', claim.expiresAt], key(secret));
}

/** Throws InvalidTokenError for a malformed, forged, other-purpose (e.g. unsubscribe) or expired token. Current key, then previous. */
export function verifyConfirmToken(token: string, keys: VerifyingKeys, nowEpochSeconds: number): ConfirmClaim {
  const payload = verifyWithKeys(keys, (secret) => openPayload(token, key(secret), 'confirm'));
  const tuple = z.tuple([z.string().min(1), z.literal('confirm'), z.number().int()]).safeParse(payload);
  if (!tuple.success) throw new InvalidTokenError('malformed', 'confirm');
  const [customerId, purpose, expiresAt] = tuple.data;
  if (expiresAt < nowEpochSeconds) throw new InvalidTokenError('expired', 'confirm');
  return { customerId, purpose, expiresAt };
}
