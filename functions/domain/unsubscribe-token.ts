import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** What an unsubscribe link carries: who and which topic, never an email address. */
export const UnsubscribeClaim = z.object({
  customerId: z.string().min(1),
  topic: z.string().min(1),
  /** Expiry, epoch seconds. */
  expiresAt: z.number().int(),
});
export type UnsubscribeClaim = z.infer<typeof UnsubscribeClaim>;

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
  constructor(readonly reason: 'malformed' | 'bad-signature' | 'expired') {
    super(`unsubscribe token ${reason}`);
  }
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const sign = (payload: string, secret: string) => createHmac('sha256', secret).update(payload).digest();

export function signUnsubscribeToken(claim: UnsubscribeClaim, secret: string): string {
  const payload = b64(JSON.stringify([claim.customerId, claim.topic, claim.expiresAt]));
  return `${payload}.${b64(sign(payload, secret))}`;
}

export function verifyUnsubscribeToken(token: string, secret: string, nowEpochSeconds: number): UnsubscribeClaim {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) throw new InvalidTokenError('malformed');
  const expected = sign(payload, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidTokenError('bad-signature');
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenError('malformed');
  }
  const tuple = z.tuple([z.string(), z.string(), z.number()]).safeParse(parts);
  if (!tuple.success) throw new InvalidTokenError('malformed');
  const [customerId, topic, expiresAt] = tuple.data;
  if (expiresAt < nowEpochSeconds) throw new InvalidTokenError('expired');
  return { customerId, topic, expiresAt };
}
