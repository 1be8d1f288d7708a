import { z } from 'zod';

/** A secret or the list accepted during a rotation (new first, the one being retired after). */
const SecretList = z.union([z.string().min(1).transform((s) => [s]), z.array(z.string().min(1)).max(2, 'at most two secrets: the new one and the one being retired')]);

/**
 * The signing secrets, as stored in Secrets Manager (one JSON secret):
 * `{"shopify": ["new", "old"], "woocommerce": "secret"}`. A platform without a secret
 * accepts nothing: every webhook from it is answered 401.
 */
export const WebhookSecrets = z.object({
  shopify: SecretList.default([]),
  woocommerce: SecretList.default([]),
});
export type WebhookSecrets = z.infer<typeof WebhookSecrets>;
export type Platform = keyof WebhookSecrets;
export const PLATFORMS: readonly Platform[] = ['shopify', 'woocommerce'];

/** Reads the secrets, fresh when asked (after a signature failed with the cached ones: a rotation may have happened). */
export type SecretsSource = (options?: { fresh?: boolean }) => Promise<WebhookSecrets>;

/** Locally: SHOPIFY_WEBHOOK_SECRET and WOOCOMMERCE_WEBHOOK_SECRET (comma-separated for two). */
export function secretsFromEnvironment(env: Record<string, string | undefined>): WebhookSecrets {
  const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);
  return WebhookSecrets.parse({ shopify: list(env.SHOPIFY_WEBHOOK_SECRET), woocommerce: list(env.WOOCOMMERCE_WEBHOOK_SECRET) });
}
