import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { parseSigningKeys, type SigningKeys } from '#signed-links/signing-keys.ts';

/**
 * How long a function trusts the keys it read: after a rotation every instance signs with the
 * new key within this time. Powertools Parameters keeps the value in memory meanwhile.
 */
export const SIGNING_KEYS_MAX_AGE_SECONDS = 300;

/**
 * The link-signing keys from Secrets Manager (read at cold start, then cached): the secret holds
 * `{"current": …, "previous"?: …}`, or a bare key as the stack first generates it.
 */
export async function loadSigningKeys(secretId: string, options: { forceFetch?: boolean } = {}): Promise<SigningKeys> {
  const text = await getSecret(secretId, { maxAge: SIGNING_KEYS_MAX_AGE_SECONDS, ...options });
  if (typeof text !== 'string') throw new Error(`secret ${secretId}: expected a SecretString holding the signing keys`);
  return parseSigningKeys(text, `secret ${secretId}`);
}
