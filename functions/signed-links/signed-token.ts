import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * The shared form of the links' tokens: `base64url(JSON payload).base64url(HMAC-SHA256)`.
 * Each kind of token signs with its own key, so a token of one kind never verifies as another.
 */
export type TokenPurpose = 'unsubscribe' | 'confirm' | 'referral';

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
  constructor(
    readonly reason: 'malformed' | 'bad-signature' | 'expired',
    readonly purpose: TokenPurpose = 'unsubscribe',
  ) {
    super(`${purpose} token ${reason}`);
  }
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const mac = (payload: string, key: string | Buffer) => createHmac('sha256', key).update(payload).digest();

// Derived once per secret and purpose: a derivation is a whole HMAC, and every email signs with the same few keys.
// Bounded by the secrets a process holds (current and previous) times the purposes.
const derivedKeys = new Map<string, Buffer>();

/** A key for one purpose, derived from the shared secret (HMAC as a KDF): the same secret signs every kind of link, and no kind can stand in for another. */
export function purposeKey(secret: string, purpose: string): Buffer {
  const id = `${purpose}\u0000${secret}`;
  let key = derivedKeys.get(id);
  if (!key) {
    key = mac(`lifecycle-mailer/${purpose}-token/v1`, secret);
    derivedKeys.set(id, key);
  }
  return key;
}

// A signing key as a KeyObject, made once: createHmac copies a string or Buffer key into a new one every call.
// Bounded like derivedKeys: the secrets a process holds, and the keys derived from them.
const keyObjects = new Map<string | Buffer, KeyObject>();
function keyObject(key: string | Buffer): KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = createSecretKey(typeof key === 'string' ? Buffer.from(key, 'utf8') : key);
    if (keyObjects.size < 64) keyObjects.set(key, object);
  }
  return object;
}

export function signPayload(parts: readonly unknown[], key: string | Buffer): string {
  const payload = b64(JSON.stringify(parts));
  return `${payload}.${createHmac('sha256', keyObject(key)).update(payload).digest('base64url')}`;
}

/** The signed payload, parsed as JSON but not yet validated; throws InvalidTokenError when the token is malformed or its signature is wrong. */
export function openPayload(token: string, key: string | Buffer, purpose: TokenPurpose): unknown {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) throw new InvalidTokenError('malformed', purpose);
  const expected = mac(payload, key);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidTokenError('bad-signature', purpose);
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenError('malformed', purpose);
  }
}
