/**
 * The CRM report as data: what `lifecycle-mailer report --json` prints, and the one object
 * the HTML report's charts and tables are drawn from. Rates are fractions rounded to 4
 * decimals, money to 2, so the HTML shows exactly these numbers.
 */
import { z } from 'zod';
import { AttributionWindows } from '#domain/attribution.ts';
import { LifecycleStage } from '#domain/customer-profile.ts';

const Rate = z.number().min(0).max(1);
const Count = z.number().int().nonnegative();
const Estimate = z.object({ estimate: z.number(), lower: z.number(), upper: z.number() });

export const SendRow = z.object({
  /** `campaign:<id>`, or `journey:<id>` / `step:<journey>/<step>` for journeys. */
  key: z.string(),
  label: z.string(),
  level: z.enum(['campaign', 'journey', 'step']),
  sent: Count,
  delivered: Count,
  opens: Count,
  /** Null where opens were not recorded split into people's and machines'. */
  humanOpens: Count.nullable(),
  machineOpens: Count.nullable(),
  clicks: Count,
  unsubscribes: Count.nullable(),
  bounces: Count,
  complaints: Count,
  /** Null where no attribution was recorded. */
  attributedOrders: Count.nullable(),
  attributedRevenue: z.number().nullable(),
});
export type SendRow = z.infer<typeof SendRow>;

export const UpliftReportRow = z.object({
  key: z.string(),
  label: z.string(),
  level: z.enum(['campaign', 'journey', 'step', 'variant']),
  treatedCustomers: Count,
  heldOutCustomers: Count,
  treatedConversionRate: Rate,
  heldOutConversionRate: Rate,
  conversionDifference: Estimate,
  treatedRevenuePerCustomer: z.number(),
  heldOutRevenuePerCustomer: z.number(),
  revenueDifference: Estimate.nullable(),
  incrementalOrders: Estimate,
  incrementalRevenue: Estimate.nullable(),
  pValue: z.number(),
  /** Holm-adjusted over every row in the table. */
  adjustedPValue: z.number(),
  significant: z.boolean(),
  revenueAdjustedPValue: z.number().nullable(),
  revenueSignificant: z.boolean(),
});
export type UpliftReportRow = z.infer<typeof UpliftReportRow>;

/**
 * What last touch credits a journey or campaign with, against the revenue its holdout shows
 * it caused. `overstates` only when last touch is above the whole 95% interval: a smaller gap
 * may be chance, and the report says so rather than pick a side.
 */
export const LastTouchRow = z.object({
  key: z.string(),
  label: z.string(),
  level: z.enum(['campaign', 'journey']),
  lastTouchRevenue: z.number(),
  incrementalRevenue: Estimate,
  verdict: z.enum(['overstates', 'within-interval', 'understates']),
});
export type LastTouchRow = z.infer<typeof LastTouchRow>;

export const AbTestRow = z.object({
  campaignId: z.string(),
  arms: z.array(z.object({ variant: z.string(), customers: Count, conversions: Count, conversionRate: Rate })),
  verdict: z.enum(['winner', 'too-few', 'no-winner']),
  winner: z.string().nullable(),
  why: z.string(),
});
export type AbTestRow = z.infer<typeof AbTestRow>;

export const CrmReport = z.object({
  generatedAt: z.iso.datetime({ offset: true }),
  source: z.string(),
  currency: z.string(),
  period: z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) }),
  summary: z.object({
    customers: Count,
    emailsSent: Count,
    attributedOrders: Count.nullable(),
    attributedRevenue: z.number().nullable(),
    retentionRate: Rate.nullable(),
    churnRate: Rate.nullable(),
    upgradeRate: Rate.nullable(),
  }),
  sends: z.array(SendRow),
  attribution: z.object({
    available: z.boolean(),
    windows: AttributionWindows,
    note: z.string(),
    orders: Count.nullable(),
    revenue: z.number().nullable(),
    byClick: Count.nullable(),
    byHumanOpen: Count.nullable(),
  }),
  uplift: z.object({
    available: z.boolean(),
    note: z.string(),
    method: z.string(),
    conversionDays: z.number(),
    rows: z.array(UpliftReportRow),
    /** Journeys and campaigns with both a last-touch figure and a holdout estimate of revenue. */
    lastTouch: z.array(LastTouchRow),
    abTests: z.array(AbTestRow),
  }),
  lifecycle: z.object({
    /** Rows: the stage at the start (`new`: joined during the period); columns: the stage at the end. */
    origins: z.array(z.union([LifecycleStage, z.literal('new')])),
    stages: z.array(LifecycleStage),
    matrix: z.array(z.array(Count)),
    /** Customers who existed at the start. */
    base: Count,
    /** Of the base, those in a buying stage at the start (not prospect, not lapsed). */
    activeAtStart: Count,
    retained: Count,
    churned: Count,
    upgraded: Count,
    retentionRate: Rate.nullable(),
    churnRate: Rate.nullable(),
    upgradeRate: Rate.nullable(),
  }),
  cohorts: z.object({
    /** Month offsets 0, 1, 2, … after the first purchase. */
    offsets: z.array(z.number().int().nonnegative()),
    rows: z.array(z.object({ cohort: z.string(), customers: Count, shares: z.array(Rate.nullable()) })),
  }),
  value: z.object({
    spend: z.object({ lorenz: z.array(z.object({ customerShare: Rate, valueShare: Rate })), top20Share: Rate.nullable() }),
    clv: z.object({ lorenz: z.array(z.object({ customerShare: Rate, valueShare: Rate })), top20Share: Rate.nullable() }).nullable(),
    byStage: z.array(z.object({ stage: LifecycleStage, customers: Count, averageSpend: z.number(), customersWithClv: Count, averagePredictedClv: z.number().nullable(), totalPredictedClv: z.number() })),
  }),
  deliverability: z.object({
    bounceThreshold: Rate,
    complaintThreshold: Rate,
    days: z.array(z.object({ day: z.iso.date(), sends: Count, hardBounces: Count, complaints: Count, bounceRate: Rate.nullable(), complaintRate: Rate.nullable() })),
  }),
});
export type CrmReport = z.infer<typeof CrmReport>;
