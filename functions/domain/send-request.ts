import { z } from 'zod';
import type { Campaign } from './campaign.ts';
import { stableFraction } from './stable-hash.ts';

/** One queued email: a campaign for a customer in a period. The body of a send-queue message. */
export const SendRequest = z.object({
  sendId: z.string().regex(/^[A-Za-z0-9_-]+$/),
  customerId: z.string().min(1),
  campaignId: z.string().min(1),
  period: z.string().min(1),
  variant: z.string().min(1),
  trigger: z.enum(['schedule', 'event', 'journey']),
  /** A journey step's send: the entry it belongs to (checked again at send time) and the step's path. */
  journey: z.object({ journeyId: z.string().min(1), entryId: z.string().min(1), step: z.string().min(1) }).optional(),
  queuedAt: z.iso.datetime({ offset: true }),
  /** Earliest moment the send may go out (event delays, quiet hours). */
  notBefore: z.iso.datetime({ offset: true }).optional(),
  /** The customer's time zone when queued, so the send-time quiet-hours check needs no read. */
  timeZone: z.string().optional(),
});
export type SendRequest = z.infer<typeof SendRequest>;

const DAY_MS = 86_400_000;

/**
 * The period a send belongs to: 'once' for once-only campaigns, otherwise the cooldown
 * window the moment falls in (windows of `days` counted from 1970-01-01). The ledger
 * allows one send per customer, campaign and period.
 */
export function sendPeriod(campaign: Campaign, now: string): string {
  if (campaign.cooldown === 'once') return 'once';
  const days = campaign.cooldown.days;
  const index = Math.floor(Date.parse(now) / DAY_MS / days);
  const start = new Date(index * days * DAY_MS).toISOString().slice(0, 10);
  return `${start}-P${days}D`;
}

/** The ledger key, also the X-Send-Id header and the `send` message tag (tag-safe characters only). */
export const sendIdOf = (campaignId: string, period: string, customerId: string) => `${campaignId}_${period}_${customerId}`;

/** Deterministic weighted variant assignment: a customer always lands in the same variant of a campaign. */
export function chooseVariant(campaign: Campaign, customerId: string): string {
  if (campaign.variants.length === 0) return 'default';
  const total = campaign.variants.reduce((s, v) => s + v.weight, 0);
  const hash = stableFraction(`${campaign.id}:${customerId}`);
  let point = hash * total;
  for (const v of campaign.variants) {
    point -= v.weight;
    if (point < 0) return v.id;
  }
  return campaign.variants[campaign.variants.length - 1]!.id;
}

export function buildSendRequest(campaign: Campaign, customerId: string, now: string, trigger: SendRequest['trigger'], notBefore?: string, timeZone?: string): SendRequest {
  const period = sendPeriod(campaign, now);
  return {
    sendId: sendIdOf(campaign.id, period, customerId),
    customerId,
    campaignId: campaign.id,
    period,
    variant: chooseVariant(campaign, customerId),
    trigger,
    queuedAt: now,
    ...(notBefore ? { notBefore } : {}),
    ...(timeZone ? { timeZone } : {}),
  };
}
