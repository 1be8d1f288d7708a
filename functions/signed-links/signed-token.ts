import * as crypto from 'node:crypto';
import { createHash, createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

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

let lastKey: { secret: string; purpose: string; key: Buffer } | undefined;

/** A key for one purpose, derived from the shared secret (HMAC as a KDF): the same secret signs every kind of link, and no kind can stand in for another. */
export function purposeKey(secret: string, purpose: string): Buffer {
  // The last one asked for, checked first: no joined key built and hashed per link.
  if (lastKey && lastKey.secret === secret && lastKey.purpose === purpose) return lastKey.key;
  const id = `${purpose}\u0000${secret}`;
  let key = derivedKeys.get(id);
  if (!key) {
    key = mac(`lifecycle-mailer/${purpose}-token/v1`, secret);
    derivedKeys.set(id, key);
  }
  lastKey = { secret, purpose, key };
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

/** Node's one-shot hash (Node 20.12 and later); older runtimes sign with createHmac. */
const oneShotHash = (crypto as { hash?: typeof crypto.hash }).hash;
type Mac = (payload: string) => string;

/**
 * HMAC-SHA256 of an ASCII payload, base64url, exactly as createHmac computes it (RFC 2104:
 * SHA-256 over the key's outer pad and SHA-256 over its inner pad and the payload), with the
 * pads made once per key and Node's one-shot SHA-256. An email signs one or two links, and
 * createHmac spends ~1.5 µs a link mostly setting up its objects; this takes ~0.7 µs.
 * test/unit/signed-token.test.ts compares the two over keys of every kind and length.
 */
function padMac(key: string | Buffer): Mac {
  const hash = oneShotHash;
  if (!hash) return (payload) => createHmac('sha256', keyObject(key)).update(payload).digest('base64url');
  let bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  if (bytes.length > 64) bytes = createHash('sha256').update(bytes).digest();
  const block = Buffer.alloc(64);
  bytes.copy(block);
  const inner = Buffer.from(block.map((b) => b ^ 0x36));
  // The outer pad, then room for the inner digest, written per call as a 'binary' string (one character a byte): signing is synchronous, so one buffer serves every call.
  const outer = Buffer.alloc(96);
  for (let i = 0; i < 64; i++) outer[i] = block[i]! ^ 0x5c;
  // A pad of ASCII bytes (a text key) is the same bytes as a string, so it is hashed with the payload in one string; others through a buffer.
  const innerText = inner.every((b) => b < 0x80) ? inner.toString('latin1') : undefined;
  // Otherwise the inner pad, then room for the payload (a longer payload gets a buffer of its own).
  const innerBytes = Buffer.alloc(64 + 448);
  inner.copy(innerBytes);
  const innerDigestOf = (payload: string) => {
    if (innerText !== undefined) return hash('sha256', innerText + payload, 'binary');
    if (payload.length > 448) return hash('sha256', Buffer.concat([inner, Buffer.from(payload, 'latin1')]), 'binary');
    return hash('sha256', innerBytes.subarray(0, 64 + innerBytes.write(payload, 64, 'latin1')), 'binary');
  };
  return (payload) => {
    outer.write(innerDigestOf(payload), 64, 'binary');
    return hash('sha256', outer, 'base64url');
  };
}
// Bounded like keyObjects.
const macs = new Map<string | Buffer, Mac>();
function macOf(key: string | Buffer): Mac {
  let mac = macs.get(key);
  if (!mac) {
    mac = padMac(key);
    if (macs.size < 64) macs.set(key, mac);
  }
  return mac;
}

/** base64url of an ASCII text: btoa (half the cost of a Buffer round trip), then the URL alphabet without padding. */
function base64urlOfAscii(text: string): string {
  let encoded = btoa(text);
  if (encoded.includes('+')) encoded = encoded.replace(/\+/g, '-');
  if (encoded.includes('/')) encoded = encoded.replace(/\//g, '_');
  const padding = encoded.indexOf('=');
  return padding < 0 ? encoded : encoded.slice(0, padding);
}

/** Printable ASCII: a string of it without `"` or a backslash is written by JSON as it is, between quotes. */
const PRINTABLE = /^[ -~]*$/;
/** JSON.stringify of parts that are strings without `"` or a backslash and safe integers (every claim's are), written out; undefined for any other part. */
function plainJson(parts: readonly unknown[]): string | undefined {
  let json = '[';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const separator = i ? ',' : '';
    if (typeof part === 'string' && part.indexOf('"') < 0 && part.indexOf('\\') < 0) json += `${separator}"${part}"`;
    else if (Number.isSafeInteger(part)) json += `${separator}${part as number}`;
    else return undefined;
  }
  return `${json}]`;
}

/**
 * base64url of JSON.stringify(parts), exactly: the plain JSON checked once to be printable ASCII
 * (so btoa can encode it), JSON.stringify and a Buffer for anything else. The generic serializer
 * and a regex per part cost about a third of signing a token.
 */
function payloadOf(parts: readonly unknown[]): string {
  const json = plainJson(parts);
  return json !== undefined && PRINTABLE.test(json) ? base64urlOfAscii(json) : b64(JSON.stringify(parts));
}

export function signPayload(parts: readonly unknown[], key: string | Buffer): string {
  const payload = payloadOf(parts);
  return `${payload}.${macOf(key)(payload)}`;
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
