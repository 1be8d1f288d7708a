import { describe, expect, it } from 'vitest';
import { signConfirmToken, verifyConfirmToken } from '#signed-links/confirm-token.ts';
import { signReferralCode, verifyReferralCode } from '#signed-links/referral-code.ts';
import { signUnsubscribeToken, verifyUnsubscribeToken } from '#signed-links/unsubscribe-token.ts';

const SECRET = 'k'.repeat(40);
const NOW = 1_800_000_000;

describe('referral codes', () => {
  it('name the referrer, and only the secret can mint one', () => {
    const code = signReferralCode({ customerId: 'c-42' }, SECRET);
    expect(verifyReferralCode(code, SECRET)).toEqual({ customerId: 'c-42', purpose: 'referral' });
    expect(() => verifyReferralCode(code, 'x'.repeat(40))).toThrow(/referral token bad-signature/);
    expect(Buffer.from(code.split('.')[0]!, 'base64url').toString()).toBe('["c-42","referral"]');
  });

  it('are no other kind of token, and no other kind is one (each kind signs with its own key)', () => {
    const referral = signReferralCode({ customerId: 'c-42' }, SECRET);
    const unsubscribe = signUnsubscribeToken({ customerId: 'c-42', topic: 'offers', expiresAt: NOW + 60 }, SECRET);
    const confirm = signConfirmToken({ customerId: 'c-42', expiresAt: NOW + 60 }, SECRET);
    expect(() => verifyReferralCode(unsubscribe, SECRET)).toThrow(/bad-signature/);
    expect(() => verifyReferralCode(confirm, SECRET)).toThrow(/bad-signature/);
    expect(() => verifyUnsubscribeToken(referral, SECRET, NOW)).toThrow(/bad-signature/);
    expect(() => verifyConfirmToken(referral, SECRET, NOW)).toThrow(/bad-signature/);
  });
});
