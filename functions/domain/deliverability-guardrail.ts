import { z } from 'zod';
import type { Campaign } from './campaign.ts';

/**
 * The deliverability guardrail: bounce and complaint rates per sending day, judged against
 * thresholds set below the rates at which SES puts an account under review (5% bounces,
 * 0.1% complaints), so that the pipeline stops itself before SES stops the account.
 * Pure: counters, config and the time come in; verdicts and records go out.
 */
export const GuardrailConfig = z
  .object({
    /** Off: nothing is counted, nothing is paused, and stored pauses are not enforced. */
    enabled: z.boolean().default(true),
    /** A scope's sends on a day below which its rates are not judged (one bounce in ten sends is noise). */
    minSends: z.number().int().min(1).max(1_000_000).default(200),
    /** Bounces (or complaints) a day needs before its rate is judged: a single event is an anecdote, not a rate. */
    minEvents: z.number().int().min(1).max(1_000).default(2),
    /** Hard-bounce rate that pauses (SES reviews at 0.05). */
    bounceRate: z.number().gt(0).lt(1).default(0.04),
    /** Complaint rate that pauses (SES reviews at 0.001). */
    complaintRate: z.number().gt(0).lt(1).default(0.0008),
  })
  .strict();
export type GuardrailConfig = z.infer<typeof GuardrailConfig>;
export const DEFAULT_GUARDRAIL: GuardrailConfig = GuardrailConfig.parse({});

/** What one sending day counted for one scope (a campaign, or every send that day). */
export const DayCounters = z.object({
  sends: z.number().int().min(0).default(0),
  /** Permanent bounces: what SES's bounce rate counts, and what the guardrail judges. */
  hardBounces: z.number().int().min(0).default(0),
  /** Transient and undetermined bounces: kept for the record, not judged. */
  softBounces: z.number().int().min(0).default(0),
  /** Refused by the account-level suppression list: SES does not count these in its bounce rate. */
  suppressedBounces: z.number().int().min(0).default(0),
  complaints: z.number().int().min(0).default(0),
});
export type DayCounters = z.infer<typeof DayCounters>;
export const NO_COUNTS: DayCounters = DayCounters.parse({});

/** What an SES bounce or complaint adds to the counters. */
export type DeliverabilityOutcome = 'hardBounce' | 'softBounce' | 'suppressedBounce' | 'complaint';
export const COUNTER_OF: Record<DeliverabilityOutcome, Exclude<keyof DayCounters, 'sends'>> = {
  hardBounce: 'hardBounces',
  softBounce: 'softBounces',
  suppressedBounce: 'suppressedBounces',
  complaint: 'complaints',
};

/** SES classifies; this follows what SES's own bounce rate counts. */
export function bounceOutcome(bounceType: 'Permanent' | 'Transient' | 'Undetermined', bounceSubType: string): DeliverabilityOutcome {
  if (bounceSubType === 'OnAccountSuppressionList') return 'suppressedBounce';
  return bounceType === 'Permanent' ? 'hardBounce' : 'softBounce';
}

/** Only these can push a rate over its threshold; the others need no judgement. */
export const isJudged = (outcome: DeliverabilityOutcome) => outcome === 'hardBounce' || outcome === 'complaint';

/**
 * The sending day of a message (UTC), from SES's `mail.timestamp`. A bounce or complaint
 * counts against the day its email was sent, not the day the event arrived: that is the
 * day whose sends it says something about.
 */
export function sendingDay(instant: string): string {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw new RangeError(`not an instant: ${instant}`);
  return new Date(ms).toISOString().slice(0, 10);
}

/** The log line a new pause writes; the stack's pause alarm counts these lines, so both use this constant. */
export const PAUSE_LOG_MESSAGE = 'deliverability guardrail paused sending';

/** What a pause covers: one campaign, or every marketing campaign. */
export const ALL_MARKETING = 'all-marketing';
export const PauseScope = z.union([z.literal(ALL_MARKETING), z.string().regex(/^campaign#[a-z0-9]+(-[a-z0-9]+)*$/, "'campaign#<id>' or 'all-marketing'")]);
export type PauseScope = z.infer<typeof PauseScope>;
export const campaignScope = (campaignId: string): PauseScope => `campaign#${campaignId}`;
export const campaignOfScope = (scope: PauseScope): string | undefined => (scope.startsWith('campaign#') ? scope.slice('campaign#'.length) : undefined);
export const describeScope = (scope: PauseScope) => campaignOfScope(scope) ? `campaign ${campaignOfScope(scope)}` : 'all marketing';

/** The numbers a pause was decided on, and the thresholds they were judged against. */
export const PauseNumbers = DayCounters.extend({
  bounceRate: z.number(),
  complaintRate: z.number(),
  thresholds: z.object({ minSends: z.number(), minEvents: z.number().optional(), bounceRate: z.number(), complaintRate: z.number() }),
});
export type PauseNumbers = z.infer<typeof PauseNumbers>;

/** One pause, from the day it was decided until (perhaps) a person resumed it. */
export const PauseEntry = z.object({
  /** The sending day whose rates crossed. */
  day: z.iso.date(),
  reason: z.string(),
  /** The rates that paused (absent for an SES account-level refusal, which pauses on the error alone). */
  numbers: PauseNumbers.optional(),
  /** What paused: the day's rates, or SES refusing the whole account (suspended, paused, setup missing). */
  cause: z.enum(['rates', 'ses-account']).optional(),
  pausedAt: z.iso.datetime({ offset: true }),
  resumedAt: z.iso.datetime({ offset: true }).optional(),
  resumedBy: z.string().optional(),
  resumedReason: z.string().optional(),
  /** Rates of sending days up to and including this one no longer pause the scope again. */
  rearmsAfter: z.iso.date().optional(),
});
export type PauseEntry = z.infer<typeof PauseEntry>;

/** The stored record of a scope: its latest pause with its status, and every earlier one. */
export const PauseRecord = PauseEntry.extend({
  scope: PauseScope,
  status: z.enum(['active', 'resumed']),
  /** Earlier pauses of this scope, oldest first, each with who resumed it and why. */
  history: z.array(PauseEntry).default([]),
  /** Optimistic concurrency: every write expects the version it read. */
  version: z.number().int().min(1),
});
export type PauseRecord = z.infer<typeof PauseRecord>;

/** Older history is dropped beyond this, so a record stays far below DynamoDB's 400 KB item limit. */
export const MAX_PAUSE_HISTORY = 100;

export type Verdict = { pause: false; why: 'below-min-sends' | 'within-thresholds' } | { pause: true; reason: string; numbers: PauseNumbers };

const percent = (rate: number) => `${(rate * 100).toFixed(2)}%`;

/**
 * Whether one scope's counters for one sending day cross a threshold, and if so the reason
 * in words: `complaint rate 0.50% (1 of 200 sends on 2026-10-05) ≥ 0.08%`.
 */
export function judgeDay(scope: PauseScope, day: string, counters: DayCounters, config: GuardrailConfig): Verdict {
  if (counters.sends < config.minSends) return { pause: false, why: 'below-min-sends' };
  const bounceRate = counters.hardBounces / counters.sends;
  const complaintRate = counters.complaints / counters.sends;
  const crossed: string[] = [];
  const of = (n: number) => `(${n} of ${counters.sends} sends on ${day})`;
  if (bounceRate >= config.bounceRate && counters.hardBounces >= config.minEvents) crossed.push(`hard-bounce rate ${percent(bounceRate)} ${of(counters.hardBounces)} ≥ ${percent(config.bounceRate)}`);
  if (complaintRate >= config.complaintRate && counters.complaints >= config.minEvents) crossed.push(`complaint rate ${percent(complaintRate)} ${of(counters.complaints)} ≥ ${percent(config.complaintRate)}`);
  if (!crossed.length) return { pause: false, why: 'within-thresholds' };
  const numbers: PauseNumbers = {
    ...counters,
    bounceRate,
    complaintRate,
    thresholds: { minSends: config.minSends, minEvents: config.minEvents, bounceRate: config.bounceRate, complaintRate: config.complaintRate },
  };
  const whose = scope === ALL_MARKETING ? 'all campaigns: ' : '';
  return { pause: true, reason: whose + crossed.join('; '), numbers };
}

/**
 * Whether the rates of `day` may pause a scope that has this record. Not while it is
 * paused already; and not after a person resumed it, for the numbers of any sending day up
 * to the one they resumed on: they saw those and chose to send. The next day re-arms it.
 */
export function mayPause(existing: PauseRecord | undefined, day: string): boolean {
  if (!existing) return true;
  if (existing.status === 'active') return false;
  return existing.rearmsAfter === undefined || day > existing.rearmsAfter;
}

/** The record after a new pause: the previous pause, resumed, moves into the history. */
export function pausedRecord(existing: PauseRecord | undefined, scope: PauseScope, day: string, verdict: Extract<Verdict, { pause: true }>, now: string): PauseRecord {
  const history = existing ? [...existing.history, pastEntry(existing)].slice(-MAX_PAUSE_HISTORY) : [];
  return { scope, status: 'active', day, reason: verdict.reason, numbers: verdict.numbers, pausedAt: now, history, version: (existing?.version ?? 0) + 1 };
}

/**
 * The all-marketing record after SES refused a send for an account-level reason: every later
 * send would fail alike, so all marketing pauses on the error alone, rates or not, even on a
 * day a person resumed (the account still refuses). Undefined when it is paused already.
 */
export function sesAccountPause(existing: PauseRecord | undefined, refusal: { sesError: string; message: string }, now: string): PauseRecord | undefined {
  if (existing?.status === 'active') return undefined;
  const history = existing ? [...existing.history, pastEntry(existing)].slice(-MAX_PAUSE_HISTORY) : [];
  return {
    scope: ALL_MARKETING,
    status: 'active',
    day: sendingDay(now),
    reason: `SES refused the account, not the message (${refusal.message}); fix the account or its setup, then resume`,
    cause: 'ses-account',
    pausedAt: now,
    history,
    version: (existing?.version ?? 0) + 1,
  };
}

function pastEntry(record: PauseRecord): PauseEntry {
  const { scope: _scope, status: _status, history: _history, version: _version, ...entry } = record;
  return entry;
}

/** Resuming something that is not paused: the command says so rather than doing nothing. */
export class NotPausedError extends Error {
  override readonly name = 'NotPausedError';
  constructor(
    readonly scope: PauseScope,
    readonly record: PauseRecord | undefined,
  ) {
    super(
      record
        ? `${describeScope(scope)} is not paused (its last pause, on ${record.day}, was resumed at ${record.resumedAt ?? 'an unknown time'})`
        : `${describeScope(scope)} has never been paused`,
    );
  }
}

/**
 * The record after a person resumed it: the pause and its reason stay, with who resumed it,
 * when and why. The sending days up to today (or the paused day, if later) re-arm only after.
 */
export function resumedRecord(existing: PauseRecord | undefined, scope: PauseScope, resume: { by: string; reason: string; now: string }): PauseRecord {
  if (!existing || existing.status !== 'active') throw new NotPausedError(scope, existing);
  const today = sendingDay(resume.now);
  return {
    ...existing,
    status: 'resumed',
    resumedAt: resume.now,
    resumedBy: resume.by,
    resumedReason: resume.reason,
    rearmsAfter: today > existing.day ? today : existing.day,
    version: existing.version + 1,
  };
}

/**
 * Which active pause stops a campaign: its own, or the all-marketing one when it is a
 * marketing campaign (transactional-style lifecycle mail is not held by the escalation).
 */
export function blockingPause(campaign: Pick<Campaign, 'id' | 'kind'>, pauses: ReadonlyMap<PauseScope, PauseRecord>): PauseRecord | undefined {
  const own = pauses.get(campaignScope(campaign.id));
  if (own?.status === 'active') return own;
  const all = pauses.get(ALL_MARKETING);
  if (campaign.kind === 'marketing' && all?.status === 'active') return all;
  return undefined;
}

/**
 * The escalation: a campaign is paused on its own day's rates; all marketing is paused on
 * the whole day's rates (every campaign's sends). Returns the scopes to pause with why,
 * leaving out those that may not be paused now (already paused, or resumed for that day).
 */
export function decidePauses(
  input: { day: string; campaignId: string | undefined; campaign: DayCounters | undefined; all: DayCounters; existing: ReadonlyMap<PauseScope, PauseRecord> },
  config: GuardrailConfig,
): { scope: PauseScope; verdict: Extract<Verdict, { pause: true }> }[] {
  const candidates: [PauseScope, DayCounters][] = [
    ...(input.campaignId && input.campaign ? [[campaignScope(input.campaignId), input.campaign] as [PauseScope, DayCounters]] : []),
    [ALL_MARKETING, input.all],
  ];
  const out: { scope: PauseScope; verdict: Extract<Verdict, { pause: true }> }[] = [];
  for (const [scope, counters] of candidates) {
    if (!mayPause(input.existing.get(scope), input.day)) continue;
    const verdict = judgeDay(scope, input.day, counters, config);
    if (verdict.pause) out.push({ scope, verdict });
  }
  return out;
}
