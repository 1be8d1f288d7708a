import type { LinkSigner } from '#domain/compose-email.ts';
import { signConfirmToken } from './confirm-token.ts';
import { signReferralCode } from './referral-code.ts';
import { signUnsubscribeToken } from './unsubscribe-token.ts';

/** The email's link signer over one secret (each kind of token derives its own key from it). */
export const linkSigner = (secret: string): LinkSigner => ({
  unsubscribe: (claim) => signUnsubscribeToken(claim, secret),
  confirm: (claim) => signConfirmToken(claim, secret),
  referral: (claim) => signReferralCode(claim, secret),
});
