import { z } from 'zod';
import { LifecycleStage } from './customer-profile.ts';
import { CUSTOMER_FACT_NAMES, CUSTOMER_FACT_TYPES } from './customer-facts.ts';
import { SHOP_EVENT_TYPES, isTimeZone, type ShopEventType } from './shop-events.ts';

const Scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);

export const CampaignCondition = z
  .object({
    field: z.enum(CUSTOMER_FACT_NAMES, { error: () => `must be one of: ${CUSTOMER_FACT_NAMES.join(', ')}` }),
    op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'exists']),
    value: z.union([Scalar, z.array(Scalar)]).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const isList = Array.isArray(c.value);
    if ((c.op === 'in' || c.op === 'notIn') && !isList) ctx.addIssue({ code: 'custom', path: ['value'], message: `op '${c.op}' needs a list value` });
    if (c.op !== 'in' && c.op !== 'notIn' && c.op !== 'exists' && (isList || c.value === undefined))
      ctx.addIssue({ code: 'custom', path: ['value'], message: `op '${c.op}' needs a single value` });
    // A value of the wrong type never matches (pAlive lt "0.5" compares a number with text): refuse it.
    const type = CUSTOMER_FACT_TYPES[c.field];
    const values = Array.isArray(c.value) ? c.value : c.value === undefined ? [] : [c.value];
    values.forEach((v, i) => {
      const path = Array.isArray(c.value) ? ['value', i] : ['value'];
      const shown = typeof v === 'string' ? `'${v}'` : String(v);
      if (v === null) {
        if (!type.nullable) ctx.addIssue({ code: 'custom', path, message: `${c.field} is never empty; compare it with ${type.kind === 'number' ? 'a number' : type.kind}` });
        else if (c.op !== 'eq' && c.op !== 'ne' && c.op !== 'in' && c.op !== 'notIn') ctx.addIssue({ code: 'custom', path, message: `'${c.op}' cannot compare with null; use op exists` });
      } else if (typeof v !== (type.kind === 'number' ? 'number' : type.kind === 'text' ? 'string' : 'boolean'))
        ctx.addIssue({ code: 'custom', path, message: `${c.field} is ${type.kind === 'number' ? 'a number' : type.kind}, so the value must be ${type.kind === 'number' ? 'a number (no quotes)' : type.kind === 'text' ? 'text' : 'true or false'}, not ${shown}` });
      else if (type.values && !type.values.includes(String(v)))
        ctx.addIssue({ code: 'custom', path, message: `${shown} is not a ${c.field}; expected one of ${type.values.join(', ')}` });
      else if (type.kind !== 'number' && ['gt', 'gte', 'lt', 'lte'].includes(c.op))
        ctx.addIssue({ code: 'custom', path: ['op'], message: `'${c.op}' compares numbers; ${c.field} is ${type.kind}: use eq, ne, in or notIn` });
    });
  });
export type CampaignCondition = z.infer<typeof CampaignCondition>;

/** Five-field cron (minute hour day-of-month month day-of-week), evaluated in `timeZone`. */
const Cron = z
  .string()
  .regex(/^\S+ \S+ \S+ \S+ \S+$/, 'a five-field cron expression like "0 9 * * MON"');

export const CampaignTrigger = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('event'),
      event: z.enum(SHOP_EVENT_TYPES as [ShopEventType, ...ShopEventType[]]),
      /** Wait this long after the event before sending (e.g. give a cart an hour). */
      delayMinutes: z.number().int().min(0).max(43_200).default(0),
      /** Events older than this (late deliveries, history imports) do not trigger the campaign. */
      maxEventAgeHours: z.number().positive().max(24 * 30).default(24),
    })
    .strict(),
  z
    .object({
      type: z.literal('schedule'),
      cron: Cron,
      timeZone: z.string().refine(isTimeZone, 'an IANA time zone like Europe/Berlin').default('UTC'),
    })
    .strict(),
]);
export type CampaignTrigger = z.infer<typeof CampaignTrigger>;

export const Cooldown = z.union([z.literal('once'), z.object({ days: z.number().int().min(1).max(3650) }).strict()]);
export type Cooldown = z.infer<typeof Cooldown>;

const Handlebars = z.string().min(1).max(500);

export const CampaignVariant = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ or -'),
    weight: z.number().positive().default(1),
    subject: Handlebars.optional(),
    preheader: Handlebars.optional(),
    template: z.string().optional(),
  })
  .strict();
export type CampaignVariant = z.infer<typeof CampaignVariant>;

/** A language tag a campaign or template can be written in: `de`, `ja`, `pt-BR`, `zh-Hant`. */
export const LocaleKey = z.string().regex(/^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?$/, 'a language tag like de, ja or pt-BR');

/**
 * The campaign written in another language: what is not given falls back to the default
 * (English) copy. Content keys given here replace the default's key by key.
 */
export const CampaignLocale = z
  .object({
    subject: Handlebars.optional(),
    preheader: Handlebars.optional(),
    /** A variant's own subject and preheader in this language (an A/B test runs in every language); `campaigns validate` checks the ids. */
    variants: z.record(z.string(), z.object({ subject: Handlebars.optional(), preheader: Handlebars.optional() }).strict()).default({}),
    content: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type CampaignLocale = z.infer<typeof CampaignLocale>;

export const Campaign = z
  .object({
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'kebab-case like win-back'),
    name: z.string().min(1).max(120),
    description: z.string().max(2000).optional(),
    /** Marketing mail needs consent and counts against the frequency cap; transactional-style lifecycle mail is exempt only where set. */
    kind: z.enum(['marketing', 'transactional']).default('marketing'),
    enabled: z.boolean().default(true),
    trigger: CampaignTrigger,
    audience: z
      .object({
        stages: z.array(LifecycleStage).min(1),
        conditions: z.array(CampaignCondition).default([]),
        /** Only customers who received this campaign at least `days` ago (sequences: last chance → sunset). */
        after: z.object({ campaign: z.string(), days: z.number().int().min(0) }).strict().optional(),
        /** The subscription topic the customer must have consented to. */
        topic: z.string().regex(/^[a-z0-9-]+$/).default('newsletter'),
      })
      .strict(),
    priority: z.number().int().min(0).max(1000),
    cooldown: Cooldown,
    template: z.string().regex(/^[a-z0-9-]+$/, 'the name of a file in templates/ without .mjml'),
    subject: Handlebars,
    preheader: Handlebars.default(''),
    from: z.object({ address: z.email(), name: z.string().min(1).max(100) }).strict(),
    replyTo: z.email().optional(),
    variants: z.array(CampaignVariant).default([]),
    /** Percent of the campaign's customers held out unmailed (recorded as 'held-out' in the ledger) to measure it; 0–50. */
    holdout: z.number().min(0).max(50).default(0),
    /** Sunset: once this campaign is sent, stop mailing the customer (suppression 'sunset'). */
    suppressAfterSend: z.boolean().default(false),
    /** Extra data the template may use (offer codes, copy). */
    content: z.record(z.string(), z.unknown()).default({}),
    /** The same email in other languages, by language tag; the customer's locale picks the closest (ja-JP → ja → default). */
    locales: z.record(LocaleKey, CampaignLocale).default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    c.variants.forEach((v, i) => {
      if (ids.has(v.id)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'id'], message: `duplicate variant id '${v.id}'` });
      ids.add(v.id);
    });
  });
export type Campaign = z.infer<typeof Campaign>;

/** The language a campaign's own subject, preheader, content and template are written in. */
export const DEFAULT_LOCALE = 'en';

/**
 * The closest of `available` language tags to a customer's locale, dropping subtags from the
 * end (`ja-JP` → `ja`, `zh-Hant-TW` → `zh-Hant` → `zh`), case-insensitively; undefined when
 * none matches (or the locale is not a language tag): the default copy is used.
 */
export function closestLocale(customerLocale: string, available: readonly string[]): string | undefined {
  let tag: string;
  try {
    tag = Intl.getCanonicalLocales(customerLocale.replace(/_/g, '-'))[0] ?? '';
  } catch {
    return undefined;
  }
  const byLowerCase = new Map(available.map((a) => [a.toLowerCase(), a]));
  const parts = tag.split('-');
  for (let n = parts.length; n > 0; n--) {
    const found = byLowerCase.get(parts.slice(0, n).join('-').toLowerCase());
    if (found) return found;
  }
  return undefined;
}

/** A template's file for one language: `welcome` in `ja` is `templates/welcome.ja.mjml`, compiled as `welcome.ja`. */
export const localizedTemplateName = (template: string, locale: string) => `${template}.${locale}`;

/** The copy a campaign sends in one language: the default's fields, with the locale's own wherever it gives them. */
export function campaignCopy(campaign: Campaign, variantId: string, locale: string | undefined) {
  const variant = campaign.variants.find((v) => v.id === variantId);
  const copy = locale ? campaign.locales[locale] : undefined;
  const own = copy?.variants[variantId];
  return {
    subject: own?.subject ?? copy?.subject ?? variant?.subject ?? campaign.subject,
    preheader: own?.preheader ?? copy?.preheader ?? variant?.preheader ?? campaign.preheader,
    content: { ...campaign.content, ...(copy?.content ?? {}) },
    template: variant?.template ?? campaign.template,
  };
}
