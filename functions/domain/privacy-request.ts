import { z } from 'zod';

/** The detail-type of a data-subject request on the shop bus (the connector puts it there; the privacy function takes it). */
export const PRIVACY_REQUEST = 'Privacy Request';

/**
 * A data-subject request: export or erase one person (by a customer id, with the address the
 * storefront gave when it has one), or erase what one storefront holds (the shop uninstalled us).
 */
export const PrivacyRequest = z.discriminatedUnion('action', [
  z.object({
    action: z.enum(['export', 'erase']),
    subject: z.string().trim().min(1).max(254),
    /** The address the storefront names, when it does: found even if the profile's address changed since. */
    email: z.string().trim().toLowerCase().max(254).pipe(z.email()).optional(),
    /** Who asked (kept on the erasure receipt), e.g. `shopify customers/redact`. */
    by: z.string().trim().min(1).max(200),
    requestedAt: z.iso.datetime({ offset: true }),
  }),
  z.object({
    action: z.literal('erase-storefront'),
    /** The storefront (`shopify`), as `storefrontOf` names it. */
    source: z.string().trim().min(1).max(64),
    by: z.string().trim().min(1).max(200),
    requestedAt: z.iso.datetime({ offset: true }),
  }),
]);
export type PrivacyRequest = z.infer<typeof PrivacyRequest>;
