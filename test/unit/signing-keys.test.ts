/** Rotation of the link-signing keys: sign with current, verify with current then previous; the keys as Secrets Manager holds them. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadSigningKeys } from '#adapters/signing-keys-secret.ts';
import { signConfirmToken, verifyConfirmToken } from '#signed-links/confirm-token.ts';
import { parseSigningKeys } from '#signed-links/signing-keys.ts';
import { signUnsubscribeToken, verifyUnsubscribeToken } from '#signed-links/unsubscribe-token.ts';

const OLD = 'o'.repeat(40);
const NEW = 'n'.repeat(40);
const OTHER = 'x'.repeat(40);
const NOW = 1_790_000_000;
const claim = { customerId: 'c1', topic: 'offers', expiresAt: NOW + 86_400 };

describe('verifying across a rotation', () => {
  it('a link mailed before the rotation (old key) verifies while the old key is kept as previous', () => {
    const mailedBefore = signUnsubscribeToken(claim, OLD);
    expect(verifyUnsubscribeToken(mailedBefore, { current: NEW, previous: OLD }, NOW)).toEqual(claim);
    expect(verifyUnsubscribeToken(signUnsubscribeToken(claim, NEW), { current: NEW, previous: OLD }, NOW)).toEqual(claim);
    expect(() => verifyUnsubscribeToken(mailedBefore, { current: NEW }, NOW)).toThrow(/bad-signature/); // previous dropped
    expect(() => verifyUnsubscribeToken(signUnsubscribeToken(claim, OTHER), { current: NEW, previous: OLD }, NOW)).toThrow(/bad-signature/);
  });

  it('confirmation links too, under their derived key', () => {
    const token = signConfirmToken({ customerId: 'c1', expiresAt: NOW + 60 }, OLD);
    expect(verifyConfirmToken(token, { current: NEW, previous: OLD }, NOW)).toMatchObject({ customerId: 'c1', purpose: 'confirm' });
    expect(() => verifyConfirmToken(token, { current: NEW }, NOW)).toThrow(/bad-signature/);
  });

  it('an expired link signed with the previous key is refused as expired, not retried or accepted', () => {
    const expired = signUnsubscribeToken({ ...claim, expiresAt: NOW - 1 }, OLD);
    expect(() => verifyUnsubscribeToken(expired, { current: NEW, previous: OLD }, NOW)).toThrow(/expired/);
  });
});

describe('parseSigningKeys', () => {
  it('reads the JSON keys or a bare key (as the stack first generates it)', () => {
    expect(parseSigningKeys(JSON.stringify({ current: NEW, previous: OLD }), 's')).toEqual({ current: NEW, previous: OLD });
    expect(parseSigningKeys(`${NEW}\n`, 's')).toEqual({ current: NEW });
  });

  it('names the field and never the value', () => {
    const attempt = () => parseSigningKeys(JSON.stringify({ current: 'short-secret-value', previous: OLD }), 'secret arn:x');
    expect(attempt).toThrow(/secret arn:x: current: at least 32 characters/);
    expect(attempt).not.toThrow(/short-secret-value/);
    expect(() => parseSigningKeys(JSON.stringify({ current: NEW, next: OLD }), 's')).toThrow(/s: \(root\)/);
    expect(() => parseSigningKeys('{ not json', 's')).toThrow(/s: not valid JSON/);
  });
});

describe('loadSigningKeys (Secrets Manager through Powertools Parameters)', () => {
  const sm = mockClient(SecretsManagerClient);
  beforeEach(() => sm.reset());

  it('reads the secret once and serves it from the cache', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ current: NEW, previous: OLD }) });
    expect(await loadSigningKeys('arn:aws:secretsmanager:eu-west-1:1:secret:keys-a')).toEqual({ current: NEW, previous: OLD });
    expect(await loadSigningKeys('arn:aws:secretsmanager:eu-west-1:1:secret:keys-a')).toEqual({ current: NEW, previous: OLD });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input.SecretId).toBe('arn:aws:secretsmanager:eu-west-1:1:secret:keys-a');
  });

  it('a malformed secret fails with the secret named and its value left out', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ current: 'tiny' }) });
    const error: unknown = await loadSigningKeys('keys-b').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^secret keys-b: current: at least 32 characters/);
    expect((error as Error).message).not.toContain('tiny');
  });
});
