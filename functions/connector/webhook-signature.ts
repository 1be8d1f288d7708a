import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Shopify (`X-Shopify-Hmac-Sha256`) and WooCommerce (`X-WC-Webhook-Signature`) both sign a
 * webhook as base64(HMAC-SHA256(secret, raw body)). The raw bytes count: a body parsed and
 * re-serialised would not verify.
 */
export function signWebhookBody(body: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

/**
 * Whether `signature` is the body's signature under any accepted secret (two during a
 * rotation: the new one and the one being retired). Compared in constant time, so the
 * answer's timing tells nothing about how much of a forged signature was right.
 */
export function verifyWebhookSignature(body: Buffer | string, signature: string | undefined, secrets: readonly string[]): boolean {
  if (!signature) return false;
  const given = Buffer.from(signature.trim(), 'base64');
  // A well-formed HMAC-SHA256 is 32 bytes; anything else cannot match and must not reach timingSafeEqual.
  if (given.length !== 32) return false;
  let valid = false;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = createHmac('sha256', secret).update(body).digest();
    // Every secret is tried, so the time taken does not say which one matched.
    if (timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}
