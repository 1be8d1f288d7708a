import { z } from 'zod';
import { AttributionWindows, DEFAULT_ATTRIBUTION_WINDOWS } from './attribution.ts';
import { DEFAULT_GUARDRAIL, GuardrailConfig } from './deliverability-guardrail.ts';
import { DEFAULT_HOLDOUT_SALT, HoldoutPercent } from './holdout.ts';
import { StageThresholds } from './lifecycle-stage.ts';
import { QuietHours } from './quiet-hours.ts';
import { isTimeZone } from './shop-events.ts';

/** Per-customer caps across campaigns. A campaign listed in `exempt` is neither capped nor counted. */
export const FrequencyRules = z
  .object({
    /** No two capped emails to one customer closer than this (hours). */
    minHoursBetweenMarketing: z.number().min(0).max(24 * 90).default(48),
    /** At most this many capped emails per customer in any rolling window of `windowDays`. */
    maxPerWindow: z.number().int().positive().max(100).default(3),
    windowDays: z.number().int().positive().max(90).default(7),
    /** Campaign ids exempt from the caps (transactional-style mail such as an order follow-up or an opt-in confirmation). */
    exempt: z.array(z.string()).default([]),
  })
  .strict();
export type FrequencyRules = z.infer<typeof FrequencyRules>;

/** `mailer.config.yaml`: the shop's identity and the pipeline's rules. */
export const MailerConfig = z
  .object({
    shop: z
      .object({
        name: z.string().min(1).max(100),
        url: z.url({ protocol: /^https?$/ }),
        postalAddress: z.string().min(5).max(300),
        supportEmail: z.email(),
        currency: z.string().regex(/^[A-Z]{3}$/).default('USD'),
      })
      .strict(),
    sending: z
      .object({
        configurationSet: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('lifecycle-marketing'),
        /** SES account max send rate (messages per second). */
        maxSendRate: z.number().positive().max(10_000).default(14),
        /** Where the List-Unsubscribe URL points (the unsubscribe function's URL). */
        unsubscribeBaseUrl: z.url({ protocol: /^https$/, error: 'an https:// URL (mail clients ignore others for one-click unsubscribe)' }),
        /** Optional mailbox for mailto: unsubscribes (List-Unsubscribe carries both when set). */
        unsubscribeMailto: z.email().optional(),
        /** Days an unsubscribe link stays valid. */
        unsubscribeLinkDays: z.number().int().positive().max(3650).default(60),
      })
      .strict(),
    frequency: FrequencyRules.default(FrequencyRules.parse({})),
    /** Customers' local night: a send due inside it waits until it ends. Absent: no quiet hours. */
    quietHours: QuietHours.optional(),
    consent: z
      .object({
        /** New sign-ups must confirm by a link mailed to them before any marketing email (campaigns/confirm-subscription.yaml). */
        doubleOptIn: z.boolean().default(false),
        /** Days a confirmation link stays valid. */
        confirmLinkDays: z.number().int().positive().max(90).default(7),
      })
      .strict()
      .default({ doubleOptIn: false, confirmLinkDays: 7 }),
    stages: StageThresholds.default(StageThresholds.parse({})),
    segmentation: z
      .object({
        cron: z.string().default('0 5 * * *'),
        timeZone: z.string().refine(isTimeZone, 'an IANA time zone').default('UTC'),
      })
      .strict()
      .default({ cron: '0 5 * * *', timeZone: 'UTC' }),
    /** Pause a campaign, then all marketing, when bounce or complaint rates near SES's review thresholds. */
    guardrail: GuardrailConfig.default(DEFAULT_GUARDRAIL),
    /** Percent of customers held out of all marketing (a global control group); transactional mail is exempt. */
    controlGroup: HoldoutPercent.default(0),
    /** Keys the holdout draw (not a secret). Changing it re-draws every holdout and the control group. */
    holdoutSalt: z.string().min(1).max(200).default(DEFAULT_HOLDOUT_SALT),
    /** Last-touch attribution windows, in days after a click or a human open. */
    attribution: AttributionWindows.default(DEFAULT_ATTRIBUTION_WINDOWS),
  })
  .strict();
export type MailerConfig = z.infer<typeof MailerConfig>;
