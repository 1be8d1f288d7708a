import { z } from 'zod';
import { CampaignCondition } from './campaign.ts';
import { LifecycleStage } from './customer-profile.ts';
import { SHOP_EVENT_TYPES, isTimeZone, type ShopEventType } from './shop-events.ts';

/**
 * A journey file (`journeys/*.yaml`): who enters, a small tree of steps (send, wait,
 * waitFor, branch, split), when an entry ends early (exitWhen) and whether a customer may
 * come back (reentry). Steps are named by their path in the file, like `steps[2].then[0]`:
 * those paths are the stable step ids an entry's state and the send ledger refer to.
 */

/** Shop events a journey may name: every shop event type. */
export const JOURNEY_EVENTS = SHOP_EVENT_TYPES as readonly [ShopEventType, ...ShopEventType[]];
export const JourneyEvent = z.enum(JOURNEY_EVENTS);
export type JourneyEvent = z.infer<typeof JourneyEvent>;

const WallClock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day like 09:00');
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const Cron = z.string().regex(/^\S+ \S+ \S+ \S+ \S+$/, 'a five-field cron expression like "0 9 * * MON"');
const TimeZone = z.string().refine(isTimeZone, 'an IANA time zone like Europe/Berlin');

const MINUTE_MS = 60_000;
const DAY_MS = 1_440 * MINUTE_MS;
/** The longest single wait a journey may hold an entry for. */
export const MAX_WAIT_DAYS = 365;
/** The longest a waitFor may wait for its event. */
export const MAX_WAIT_FOR_DAYS = 90;

const durationMs = (d: { days?: number | undefined; hours?: number | undefined; minutes?: number | undefined }) =>
  ((d.days ?? 0) * 1_440 + (d.hours ?? 0) * 60 + (d.minutes ?? 0)) * MINUTE_MS;

const duration = (maxDays: number) =>
  z
    .object({
      days: z.number().int().min(0).optional(),
      hours: z.number().int().min(0).optional(),
      minutes: z.number().int().min(0).optional(),
    })
    .strict()
    .superRefine((d, ctx) => {
      const ms = durationMs(d);
      if (ms <= 0) ctx.addIssue({ code: 'custom', message: 'a duration of at least 1 minute: { days | hours | minutes }' });
      if (ms > maxDays * DAY_MS) ctx.addIssue({ code: 'custom', message: `at most ${maxDays} days (was ${+(ms / DAY_MS).toFixed(2)})` });
    });
export const Duration = duration(MAX_WAIT_DAYS);
export type Duration = z.infer<typeof Duration>;
export const durationOf = durationMs;

/** `wait`: a fixed time, the next given time of day in the customer's zone, or their own purchase rhythm. */
export const WaitSpec = z.union([
  Duration,
  z.object({ until: WallClock, weekdays: z.array(z.enum(WEEKDAYS)).min(1).optional() }).strict(),
  /** Until the customer's own typical gap between orders has passed this many times since their last order. */
  z.object({ purchaseIntervals: z.number().positive().max(6) }).strict(),
]);
export type WaitSpec = z.infer<typeof WaitSpec>;

export const StepKind = z.enum(['send', 'wait', 'waitFor', 'branch', 'split']);
export type StepKind = z.infer<typeof StepKind>;
export const STEP_KINDS = StepKind.options;

const CampaignId = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a campaign id (kebab-case, a file in campaigns/)');

export const SendStep = z.object({ send: CampaignId }).strict();
export const WaitStep = z.object({ wait: WaitSpec }).strict();

/** What a waitFor waits for: a shop event, or an open or click of the journey's last send. */
export const Awaited = z.union([z.object({ event: JourneyEvent }).strict(), z.object({ email: z.enum(['opened', 'clicked']) }).strict()]);

type StepList = z.ZodDefault<z.ZodArray<typeof Step>>;
// Recursive schemas: the getters let zod infer the step tree's type once, from the schema.
export const WaitForStep = z
  .object({
    waitFor: z
      .object({
        event: JourneyEvent.optional(),
        email: z.enum(['opened', 'clicked']).optional(),
        within: duration(MAX_WAIT_FOR_DAYS),
        get then(): StepList {
          return z.array(Step).default([]);
        },
        get else(): StepList {
          return z.array(Step).default([]);
        },
      })
      .strict()
      .superRefine((w, ctx) => {
        if ((w.event === undefined) === (w.email === undefined)) ctx.addIssue({ code: 'custom', message: 'waits for exactly one of event: <shop event> or email: opened | clicked' });
      }),
  })
  .strict();

export const BranchStep = z
  .object({
    branch: z
      .object({
        if: z.array(CampaignCondition).min(1, 'at least one condition (all must hold)'),
        get then(): StepList {
          return z.array(Step).default([]);
        },
        get else(): StepList {
          return z.array(Step).default([]);
        },
      })
      .strict(),
  })
  .strict();

export const SplitStep = z
  .object({
    split: z
      .object({
        get paths(): z.ZodArray<z.ZodObject<{ weight: z.ZodNumber; steps: z.ZodArray<typeof Step> }, z.core.$strict>> {
          return z
            .array(
              z
                .object({
                  weight: z.number().positive(),
                  get steps(): z.ZodArray<typeof Step> {
                    return z.array(Step);
                  },
                })
                .strict(),
            )
            .min(2, 'at least two paths');
        },
      })
      .strict(),
  })
  .strict();

export const Step = z.union([SendStep, WaitStep, WaitForStep, BranchStep, SplitStep]);
export type Step = z.infer<typeof Step>;
export type SendStep = z.infer<typeof SendStep>;
export type WaitStep = z.infer<typeof WaitStep>;
export type WaitForStep = z.infer<typeof WaitForStep>;
export type BranchStep = z.infer<typeof BranchStep>;
export type SplitStep = z.infer<typeof SplitStep>;

export const stepKind = (step: Step): StepKind =>
  'send' in step ? 'send' : 'wait' in step ? 'wait' : 'waitFor' in step ? 'waitFor' : 'branch' in step ? 'branch' : 'split';

/** How a customer comes into the journey. */
export const JourneyEntryRule = z.union([
  /** A shop event, when the customer (after the event) meets the conditions, e.g. a first order. */
  z.object({ event: JourneyEvent, conditions: z.array(CampaignCondition).default([]) }).strict(),
  /** Segmentation moved the customer into this lifecycle stage. */
  z.object({ stage: LifecycleStage }).strict(),
  /** Customers matching the conditions, checked on a cron (segmentation's run). */
  z.object({ segment: z.object({ cron: Cron, timeZone: TimeZone.default('UTC'), conditions: z.array(CampaignCondition).min(1) }).strict() }).strict(),
  /** Each year on a date attribute (e.g. a birthday), `offsetDays` before (−) or after (+), at `at` in the customer's zone. */
  z
    .object({
      date: z
        .object({
          field: z.string().regex(/^attributes\.[A-Za-z][A-Za-z0-9_]*$/, 'a date attribute like attributes.birthday'),
          offsetDays: z.number().int().min(-60).max(60).default(0),
          at: WallClock.default('09:00'),
        })
        .strict(),
    })
    .strict(),
]);
export type JourneyEntryRule = z.infer<typeof JourneyEntryRule>;
export const ENTRY_KINDS = ['event', 'stage', 'segment', 'date'] as const;

/** What ends an entry at once, wherever it is (a goal reached, or the customer gone). */
export const ExitRule = z.union([
  z.object({ event: JourneyEvent }).strict(),
  z.object({ stage: z.union([LifecycleStage, z.array(LifecycleStage).min(1)]) }).strict(),
  z.object({ unsubscribed: z.literal(true) }).strict(),
]);
export type ExitRule = z.infer<typeof ExitRule>;
export const EXIT_KINDS = ['event', 'stage', 'unsubscribed'] as const;

export const Reentry = z.union([z.literal('never'), z.object({ afterDays: z.number().int().min(1).max(3650) }).strict()]);
export type Reentry = z.infer<typeof Reentry>;

export const Journey = z
  .object({
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'kebab-case like welcome-series'),
    name: z.string().min(1).max(120),
    description: z.string().max(2000).optional(),
    enabled: z.boolean().default(true),
    entry: JourneyEntryRule,
    audience: z
      .object({
        conditions: z.array(CampaignCondition).default([]),
        /** The subscription topic the customer must have consented to, checked at entry and before each send. */
        topic: z.string().regex(/^[a-z0-9-]+$/).default('newsletter'),
      })
      .strict()
      .default({ conditions: [], topic: 'newsletter' }),
    exitWhen: z.array(ExitRule).default([]),
    reentry: Reentry.default('never'),
    /** Percent of customers held out unmailed (every step records 'held-out' in the ledger instead of sending), to measure the journey. */
    holdout: z.number().min(0).max(50).default(10),
    steps: z.array(Step).min(1, 'at least one step'),
  })
  .strict();
export type Journey = z.infer<typeof Journey>;

/** One step with its stable id (its path in the file) and where the entry goes after it. */
export interface JourneyNode {
  path: string;
  step: Step;
  /** The step after this one (and after its branches), or null at the end of the journey. */
  next: string | null;
}

/** `steps[2].then[0]`-style path of the i-th step of a list. */
const at = (list: string, i: number) => `${list}[${i}]`;

/** The lists of sub-steps a step holds, with their path prefixes. */
export function childLists(path: string, step: Step): { list: string; steps: Step[] }[] {
  if ('waitFor' in step) return [{ list: `${path}.then`, steps: step.waitFor.then }, { list: `${path}.else`, steps: step.waitFor.else }];
  if ('branch' in step) return [{ list: `${path}.then`, steps: step.branch.then }, { list: `${path}.else`, steps: step.branch.else }];
  if ('split' in step) return step.split.paths.map((p, k) => ({ list: `${path}.paths[${k}].steps`, steps: p.steps }));
  return [];
}

/** Every step of a journey by its path, with its continuation: the tree flattened for the engine and the tools. */
export function journeyNodes(journey: Pick<Journey, 'steps'>): Map<string, JourneyNode> {
  const nodes = new Map<string, JourneyNode>();
  const walk = (list: string, steps: Step[], after: string | null) => {
    steps.forEach((step, i) => {
      const path = at(list, i);
      const next = i + 1 < steps.length ? at(list, i + 1) : after;
      nodes.set(path, { path, step, next });
      for (const child of childLists(path, step)) walk(child.list, child.steps, next);
    });
  };
  walk('steps', journey.steps, null);
  return nodes;
}

/** The campaigns a journey's send steps name: these go out as its steps even when their own file says `enabled: false`. */
export function stepCampaignIds(journey: Pick<Journey, 'steps'>): string[] {
  return [...new Set([...journeyNodes(journey).values()].flatMap((n) => ('send' in n.step ? [n.step.send] : [])))];
}

/** The first step of a sub-list, or where the entry goes when the list is empty. */
export const firstOf = (list: string, steps: readonly Step[], otherwise: string | null) => (steps.length ? at(list, 0) : otherwise);
