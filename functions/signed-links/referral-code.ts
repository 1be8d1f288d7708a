import { z } from 'zod';
import { InvalidTokenError, openPayload, purposeKey, signPayload } from './signed-token.ts';

/**
 * What a VIP's referral link carries: whose link it is, signed, so the shop can credit the
 * referrer and no one can mint a code for someone else. No expiry: a shared link keeps
 * working; no email address (the link is passed on to friends).
 */
export const ReferralClaim = z.object({
  customerId: z.string().min(1),
  purpose: z.literal('referral'),
});
export type ReferralClaim = z.infer<typeof ReferralClaim>;

const key = (secret: string) => purposeKey(secret, 'referral');

export function signReferralCode(claim: Omit<ReferralClaim, 'purpose'>, secret: string): string {
  return signPayload([claim.customerId, 'referral'], key(secret));
}

/** Throws InvalidTokenError for a malformed, forged or other-purpose (unsubscribe, confirm) code. */
export function verifyReferralCode(code: string, secret: string): ReferralClaim {
  const tuple = z.tuple([z.string().min(1), z.literal('referral')]).safeParse(openPayload(code, key(secret), 'referral'));
  if (!tuple.success) throw new InvalidTokenError('malformed', 'referral');
  const [customerId, purpose] = tuple.data;
  return { customerId, purpose };
}
