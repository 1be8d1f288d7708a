/**
 * What the CRM report is computed from: a snapshot of the tables, whichever place they were
 * read from (the local data dir of `npm start`, or a deployed stack). `read-tables.ts` fills
 * it: held-out entries from the ledger's 'held-out' status, orders from the profiles' recent
 * orders, attributed orders as ingest recorded them on the ledger. They stay optional for
 * snapshots from elsewhere: absent means "not recorded", and the report says so rather than
 * showing zeros.
 */
import { z } from 'zod';
import { AttributionWindows, Touch } from '#domain/attribution.ts';
import { CustomerProfile, LifecycleStage } from '#domain/customer-profile.ts';
import { DayCounters, GuardrailConfig } from '#domain/deliverability-guardrail.ts';

const IsoInstant = z.iso.datetime({ offset: true });
const Day = z.iso.date();

export const SnapshotCustomer = CustomerProfile.pick({
  customerId: true,
  stage: true,
  registeredAt: true,
  firstOrderAt: true,
  lastOrderAt: true,
  totalSpend: true,
  value: true,
  createdAt: true,
});
export type SnapshotCustomer = z.infer<typeof SnapshotCustomer>;

export const SnapshotStageChange = z.object({ customerId: z.string(), from: LifecycleStage, to: LifecycleStage, changedAt: IsoInstant });
export type SnapshotStageChange = z.infer<typeof SnapshotStageChange>;

/** Where a send (or a held-out moment) belongs: a campaign, or a journey's step. */
const Placement = z.object({
  campaignId: z.string(),
  journeyId: z.string().optional(),
  stepId: z.string().optional(),
  variant: z.string().default('default'),
});

export const SnapshotSend = Placement.extend({
  sendId: z.string(),
  customerId: z.string(),
  status: z.enum(['claimed', 'sent', 'skipped', 'unknown']),
  claimedAt: IsoInstant,
  sentAt: IsoInstant.optional(),
  delivered: z.boolean().default(false),
  bounced: z.boolean().default(false),
  complained: z.boolean().default(false),
  /** Every open SES reported, people's and machines' together. */
  opens: z.number().int().nonnegative().default(0),
  clicks: z.number().int().nonnegative().default(0),
  /** The split of opens, where it was recorded per send. */
  humanOpens: z.number().int().nonnegative().optional(),
  machineOpens: z.number().int().nonnegative().optional(),
  /** Whether this send's unsubscribe link (or list-unsubscribe) was used, where recorded. */
  unsubscribed: z.boolean().optional(),
});
export type SnapshotSend = z.infer<typeof SnapshotSend>;

/** A customer held out of a send at the moment it would have gone (phase 2). */
export const SnapshotHeldOut = Placement.extend({ customerId: z.string(), at: IsoInstant });
export type SnapshotHeldOut = z.infer<typeof SnapshotHeldOut>;

export const SnapshotOrder = z.object({ customerId: z.string(), at: IsoInstant, value: z.number() });
export type SnapshotOrder = z.infer<typeof SnapshotOrder>;

/** An order credited to a send by last-touch attribution (recorded at ingest in phase 2). */
export const SnapshotAttributedOrder = z.object({
  customerId: z.string(),
  sendId: z.string(),
  at: IsoInstant,
  value: z.number(),
  touch: z.enum(['click', 'human-open']),
  hoursToOrder: z.number().nonnegative(),
});
export type SnapshotAttributedOrder = z.infer<typeof SnapshotAttributedOrder>;

export const SnapshotTouch = Touch.extend({ customerId: z.string() });

export const DeliverabilityDay = DayCounters.extend({ day: Day });
export type DeliverabilityDay = z.infer<typeof DeliverabilityDay>;

export const ReportSnapshot = z.object({
  /** Where the tables were read from, for the report's header. */
  source: z.string(),
  readAt: IsoInstant,
  currency: z.string().default('USD'),
  customers: z.array(SnapshotCustomer),
  stageChanges: z.array(SnapshotStageChange),
  sends: z.array(SnapshotSend),
  deliverability: z.array(DeliverabilityDay),
  guardrail: GuardrailConfig.pick({ bounceRate: true, complaintRate: true }),
  heldOut: z.array(SnapshotHeldOut).optional(),
  orders: z.array(SnapshotOrder).optional(),
  touches: z.array(SnapshotTouch).optional(),
  attributedOrders: z.array(SnapshotAttributedOrder).optional(),
  attributionWindows: AttributionWindows.optional(),
});
export type ReportSnapshot = z.input<typeof ReportSnapshot>;
export type ParsedSnapshot = z.infer<typeof ReportSnapshot>;
