import { z } from 'zod';
import { holds } from './campaign-choice.ts';
import { customerFacts } from './customer-facts.ts';
import { type CustomerProfile, isSubscribed, LifecycleStage } from './customer-profile.ts';
import {
  durationOf,
  type ExitRule,
  firstOf,
  type Journey,
  JourneyEvent,
  type JourneyNode,
  journeyNodes,
  MAX_WAIT_DAYS,
  type WaitSpec,
  WEEKDAYS,
} from './journey.ts';
import { interPurchaseDays, stageInputsOf } from './lifecycle-stage.ts';
import type { MailerConfig } from './mailer-config.ts';
import { quietHoursEnd, releaseTime } from './quiet-hours.ts';
import { sendIdOf } from './send-request.ts';
import { stableFraction } from './stable-hash.ts';

/**
 * The journey engine: a pure function over one entry's serialisable state and one input
 * (entered, woken, a shop event, an open or click, a stage change, an unsubscribe). It
 * returns the next state and what the caller must do (send, schedule a wake, cancel one,
 * record the timeline). It never does I/O and never reads a clock: `at` is the input's time.
 * The stored entry is the truth: a wake that no longer matches it is ignored.
 */

const IsoInstant = z.iso.datetime({ offset: true });
const MINUTE_MS = 60_000;
const DAY_MS = 1_440 * MINUTE_MS;

export const TIMELINE_KINDS = ['entered', 'wait', 'send', 'skip', 'exit', 'complete'] as const;
export const TimelineItem = z.object({
  at: IsoInstant,
  kind: z.enum(TIMELINE_KINDS),
  step: z.string().optional(),
  campaign: z.string().optional(),
  reason: z.string().optional(),
});
export type TimelineItem = z.infer<typeof TimelineItem>;

/** What the entering event said that the emails may show (the cart's or the order's items). */
export const EntryContext = z.object({
  cartId: z.string().optional(),
  orderId: z.string().optional(),
  value: z.number().optional(),
  items: z.array(z.object({ sku: z.string(), name: z.string(), quantity: z.number(), price: z.number() })).max(100).optional(),
});
export type EntryContext = z.infer<typeof EntryContext>;

/** Where an active entry is held, and until when (the one-time schedule that wakes it). */
export const EntryCursor = z.object({
  step: z.string(),
  holding: z.enum(['wait', 'waitFor', 'quiet-hours']),
  wakeAt: IsoInstant,
});
export type EntryCursor = z.infer<typeof EntryCursor>;

/** One customer's entry into one journey, as stored (a `journey-entries` item keyed by customer and journey). */
export const JourneyEntry = z.object({
  journeyId: z.string(),
  customerId: z.string(),
  /** 1 for the first entry, counting up on re-entry; part of every ledger key. */
  entryNumber: z.number().int().positive(),
  entryId: z.string(),
  /** Incremented on every change: writes are conditional on the version read. */
  version: z.number().int().nonnegative(),
  status: z.enum(['active', 'exited', 'completed']),
  enteredAt: IsoInstant,
  /** Idempotency key of the event that started the entry: a redelivery starts nothing. */
  entryKey: z.string().optional(),
  context: EntryContext.default({}),
  cursor: EntryCursor.optional(),
  lastSend: z.object({ step: z.string(), campaignId: z.string(), sendId: z.string(), at: IsoInstant }).optional(),
  history: z.array(TimelineItem),
  exitReason: z.string().optional(),
  endedAt: IsoInstant.optional(),
  updatedAt: IsoInstant,
});
export type JourneyEntry = z.infer<typeof JourneyEntry>;

const Entering = { key: z.string().min(1).max(200).optional(), context: EntryContext.optional() };
export const JourneyInput = z.discriminatedUnion('kind', [
  /** The scheduler let the customer in (a segment or date entry), or a caller that already matched the entry rule. */
  z.object({ kind: z.literal('entered'), at: IsoInstant, ...Entering }),
  /** A one-time schedule fired; `step` is the step it was set for, when known. */
  z.object({ kind: z.literal('woken'), at: IsoInstant, step: z.string().optional() }),
  z.object({ kind: z.literal('shop-event'), at: IsoInstant, event: JourneyEvent, ...Entering }),
  /** An open or click of a journey email; `sendId` names the send it was for, when known. */
  z.object({ kind: z.literal('email'), at: IsoInstant, email: z.enum(['opened', 'clicked']), sendId: z.string().optional() }),
  z.object({ kind: z.literal('stage-changed'), at: IsoInstant, stage: LifecycleStage }),
  z.object({ kind: z.literal('unsubscribed'), at: IsoInstant, topic: z.string().optional() }),
]);
export type JourneyInput = z.infer<typeof JourneyInput>;

export type JourneyAction =
  /** Queue this campaign through the normal send path, with its own ledger key, not before `notBefore`. */
  | { type: 'send'; campaignId: string; step: string; entryId: string; period: string; sendId: string; notBefore: string; context: EntryContext }
  /** Create the one-time schedule that wakes the entry (replacing any earlier one). */
  | { type: 'wake'; at: string; step: string }
  /** Delete the entry's pending schedule (a late firing is ignored anyway). */
  | { type: 'cancelWake' }
  | { type: 'timeline'; item: TimelineItem };

export const REFUSALS = ['disabled', 'already-active', 'duplicate', 'reentry-never', 'reentry-too-soon', 'suppressed', 'no-consent', 'conditions'] as const;
export type Refusal = (typeof REFUSALS)[number];

export type JourneyOutcome =
  | { outcome: 'advanced'; entry: JourneyEntry; actions: JourneyAction[] }
  /** An entry was asked for and not started; nothing to write. */
  | { outcome: 'refused'; reason: Refusal; detail?: string; actions: [] }
  /** The input does not concern this journey or entry (a stale wake, an unrelated event). */
  | { outcome: 'ignored'; reason: string; actions: [] };

export interface JourneyContext {
  journey: Journey;
  /** The customer as they are now (after the input's event was applied). */
  profile: CustomerProfile;
  config: Pick<MailerConfig, 'quietHours' | 'stages'>;
}

/** The step path as a ledger-safe token: `steps[2].then[0]` → `steps2-then0`. */
export const stepToken = (path: string) => path.replace(/\[(\d+)\]/g, '$1').replace(/\./g, '-');
/** The ledger period of a journey send: one per journey, entry and step. */
export const journeyPeriod = (entryId: string, step: string) => `${entryId}-${stepToken(step)}`;

const plusMs = (at: string, ms: number) => new Date(Date.parse(at) + ms).toISOString();

const nodeCache = new WeakMap<Journey, Map<string, JourneyNode>>();
function nodesOf(journey: Journey): Map<string, JourneyNode> {
  let nodes = nodeCache.get(journey);
  if (!nodes) {
    nodes = journeyNodes(journey);
    nodeCache.set(journey, nodes);
  }
  return nodes;
}

const ignored = (reason: string): JourneyOutcome => ({ outcome: 'ignored', reason, actions: [] });
const refused = (reason: Refusal, detail?: string): JourneyOutcome => ({ outcome: 'refused', reason, ...(detail ? { detail } : {}), actions: [] });

/** Whether an input is what this journey's entry rule waits for. */
export function isEntryInput(journey: Journey, input: JourneyInput): boolean {
  const rule = journey.entry;
  if (input.kind === 'entered') return true;
  if (input.kind === 'shop-event') return 'event' in rule && rule.event === input.event;
  if (input.kind === 'stage-changed') return 'stage' in rule && rule.stage === input.stage;
  return false;
}

/** The exitWhen rule an input meets, as an exit reason. */
function exitReason(rules: readonly ExitRule[], input: JourneyInput, topic: string): string | undefined {
  for (const rule of rules) {
    if ('event' in rule && input.kind === 'shop-event' && input.event === rule.event) return `goal: ${rule.event}`;
    if ('stage' in rule && input.kind === 'stage-changed' && (Array.isArray(rule.stage) ? rule.stage.includes(input.stage) : rule.stage === input.stage))
      return `stage: ${input.stage}`;
    if ('unsubscribed' in rule && input.kind === 'unsubscribed' && (input.topic === undefined || input.topic === topic)) return 'unsubscribed';
  }
  return undefined;
}

/** Advances one entry by one input. `current` is the stored entry for this customer and journey, if any. */
export function advanceJourney(ctx: JourneyContext, current: JourneyEntry | undefined, given: JourneyInput): JourneyOutcome {
  // One spelling of instants (UTC, ms), so times compare as strings.
  const input: JourneyInput = { ...given, at: new Date(given.at).toISOString() };
  const active = current?.status === 'active' ? current : undefined;
  if (!active) return isEntryInput(ctx.journey, input) ? enter(ctx, current, input) : ignored('no active entry');

  const reason = exitReason(ctx.journey.exitWhen, input, ctx.journey.audience.topic);
  if (reason) {
    const run = new Run(ctx, active, input.at);
    run.exit(reason);
    return run.outcome();
  }
  const cursor = active.cursor;
  const node = cursor ? nodesOf(ctx.journey).get(cursor.step) : undefined;

  if (input.kind === 'woken') {
    if (!cursor) return ignored('not waiting');
    if (input.step !== undefined && input.step !== cursor.step) return ignored(`woken for ${input.step}, waiting at ${cursor.step}`);
    if (input.at < cursor.wakeAt) return ignored(`woken early: waiting until ${cursor.wakeAt}`);
    const run = new Run(ctx, active, input.at);
    if (!node) run.exit(`journey changed: no step ${cursor.step}`);
    else if (cursor.holding === 'quiet-hours') run.from(cursor.step, true);
    else if (cursor.holding === 'waitFor' && 'waitFor' in node.step) run.from(firstOf(`${cursor.step}.else`, node.step.waitFor.else, node.next));
    else if (cursor.holding === 'wait' && 'wait' in node.step) run.from(node.next);
    else run.exit(`journey changed: ${cursor.step} is no longer a ${cursor.holding}`);
    return run.outcome();
  }

  if (cursor?.holding === 'waitFor' && node && 'waitFor' in node.step && input.at <= cursor.wakeAt) {
    const awaited = node.step.waitFor;
    const eventMet = input.kind === 'shop-event' && awaited.event === input.event;
    const last = active.lastSend;
    // A click is also an open; the open or click must be of the journey's last send.
    const emailMet =
      input.kind === 'email' &&
      awaited.email !== undefined &&
      last !== undefined &&
      (input.sendId === undefined || input.sendId === last.sendId) &&
      (awaited.email === 'opened' || input.email === 'clicked');
    if (eventMet || emailMet) {
      const run = new Run(ctx, active, input.at);
      run.actions.push({ type: 'cancelWake' });
      run.from(firstOf(`${cursor.step}.then`, awaited.then, node.next));
      return run.outcome();
    }
  }
  if (isEntryInput(ctx.journey, input)) return refused('already-active', `entry ${active.entryId} since ${active.enteredAt}`);
  return ignored('nothing in this journey waits for it');
}

function enter(ctx: JourneyContext, previous: JourneyEntry | undefined, input: JourneyInput): JourneyOutcome {
  const { journey, profile } = ctx;
  const key = input.kind === 'entered' || input.kind === 'shop-event' ? input.key : undefined;
  if (!journey.enabled) return refused('disabled');
  if (previous && key !== undefined && previous.entryKey === key) return refused('duplicate', `entry ${previous.entryId} came from ${key}`);
  if (previous && journey.reentry === 'never') return refused('reentry-never', `entered ${previous.enteredAt}`);
  if (previous && journey.reentry !== 'never') {
    const allowedAt = plusMs(previous.enteredAt, journey.reentry.afterDays * DAY_MS);
    if (input.at < allowedAt) return refused('reentry-too-soon', `not before ${allowedAt}`);
  }
  if (profile.suppression) return refused('suppressed', profile.suppression.reason);
  if (!isSubscribed(profile.consent, journey.audience.topic)) return refused('no-consent', `topic ${journey.audience.topic}`);
  const rule = journey.entry;
  const conditions = [...('event' in rule ? rule.conditions : 'segment' in rule ? rule.segment.conditions : []), ...journey.audience.conditions];
  const facts = customerFacts(profile, input.at);
  const unmet = conditions.find((c) => !holds(c, facts));
  if (unmet) return refused('conditions', `${unmet.field} ${unmet.op} ${JSON.stringify(unmet.value)} (is ${JSON.stringify(facts[unmet.field])})`);

  const entryNumber = (previous?.entryNumber ?? 0) + 1;
  const context = input.kind === 'entered' || input.kind === 'shop-event' ? (input.context ?? {}) : {};
  const entry: JourneyEntry = {
    journeyId: journey.id,
    customerId: profile.customerId,
    entryNumber,
    entryId: `${journey.id}-${entryNumber}`,
    // A re-entry overwrites the same item: its version keeps counting so the conditional write holds.
    version: previous ? previous.version : 0,
    status: 'active',
    enteredAt: input.at,
    ...(key !== undefined ? { entryKey: key } : {}),
    context,
    history: [],
    updatedAt: input.at,
  };
  const run = new Run(ctx, entry, input.at, previous === undefined);
  run.record({ kind: 'entered', reason: input.kind === 'shop-event' ? input.event : input.kind === 'stage-changed' ? `stage: ${input.stage}` : 'scheduled' });
  run.from(firstOf('steps', journey.steps, null));
  return run.outcome();
}

/** Steps through the journey from a step until it must wait or ends, collecting actions. */
class Run {
  readonly actions: JourneyAction[] = [];
  private readonly entry: JourneyEntry;
  constructor(
    private readonly ctx: JourneyContext,
    entry: JourneyEntry,
    private readonly at: string,
    isNew = false,
  ) {
    this.entry = { ...entry, history: [...entry.history], version: isNew ? 0 : entry.version + 1, updatedAt: at };
  }

  outcome(): JourneyOutcome {
    return { outcome: 'advanced', entry: this.entry, actions: this.actions };
  }

  record(item: Omit<TimelineItem, 'at'> & { at?: string }): void {
    const full: TimelineItem = { at: this.at, ...item };
    this.entry.history.push(full);
    this.actions.push({ type: 'timeline', item: full });
  }

  exit(reason: string): void {
    if (this.entry.cursor) this.actions.push({ type: 'cancelWake' });
    this.entry.cursor = undefined;
    this.entry.status = 'exited';
    this.entry.exitReason = reason;
    this.entry.endedAt = this.at;
    this.record({ kind: 'exit', reason });
  }

  private hold(step: string, holding: EntryCursor['holding'], wakeAt: string): void {
    this.entry.cursor = { step, holding, wakeAt };
    this.actions.push({ type: 'wake', at: wakeAt, step });
  }

  /** Runs from `path` (null: the end). `quietHoursOver`: the entry was woken at the end of the customer's night for this send. */
  from(start: string | null, quietHoursOver = false): void {
    const { journey, profile, config } = this.ctx;
    const nodes = nodesOf(journey);
    this.entry.cursor = undefined;
    let path = start;
    // A tree has no loops; the bound only guards against a malformed stored path.
    for (let guard = 0; guard <= nodes.size; guard++) {
      if (path === null) {
        this.entry.status = 'completed';
        this.entry.endedAt = this.at;
        this.record({ kind: 'complete' });
        return;
      }
      const node = nodes.get(path);
      if (!node) return this.exit(`journey changed: no step ${path}`);
      const step = node.step;
      if ('send' in step) {
        const campaign = step.send;
        const why = profile.suppression
          ? `suppressed: ${profile.suppression.reason}`
          : !isSubscribed(profile.consent, journey.audience.topic)
            ? `not subscribed to ${journey.audience.topic}`
            : undefined;
        if (why) {
          this.record({ kind: 'skip', step: path, campaign, reason: why });
        } else {
          const release = quietHoursOver ? undefined : releaseTime(campaign, profile.timeZone, this.at, config.quietHours);
          // The customer's night: hold the entry until it ends, so an exit meanwhile still stops this email.
          if (release) {
            this.record({ kind: 'wait', step: path, campaign, reason: `quiet hours until ${release}` });
            return this.hold(path, 'quiet-hours', release);
          }
          const period = journeyPeriod(this.entry.entryId, path);
          const sendId = sendIdOf(campaign, period, profile.customerId);
          this.actions.push({ type: 'send', campaignId: campaign, step: path, entryId: this.entry.entryId, period, sendId, notBefore: this.at, context: this.entry.context });
          this.entry.lastSend = { step: path, campaignId: campaign, sendId, at: this.at };
          this.record({ kind: 'send', step: path, campaign });
        }
        quietHoursOver = false;
        path = node.next;
      } else if ('wait' in step) {
        const wakeAt = waitUntil(step.wait, this.at, profile, config);
        if (wakeAt <= this.at) {
          path = node.next;
          continue;
        }
        this.record({ kind: 'wait', step: path, reason: `until ${wakeAt}` });
        return this.hold(path, 'wait', wakeAt);
      } else if ('waitFor' in step) {
        const w = step.waitFor;
        const wakeAt = plusMs(this.at, durationOf(w.within));
        this.record({ kind: 'wait', step: path, reason: `for ${w.event ?? `email ${w.email}`} until ${wakeAt}` });
        return this.hold(path, 'waitFor', wakeAt);
      } else if ('branch' in step) {
        const facts = customerFacts(profile, this.at);
        const taken = step.branch.if.every((c) => holds(c, facts)) ? 'then' : 'else';
        path = firstOf(`${path}.${taken}`, step.branch[taken], node.next);
      } else {
        const k = splitPath(step.split.paths, `${this.entry.customerId}:${this.entry.entryId}:${path}`);
        path = firstOf(`${path}.paths[${k}].steps`, step.split.paths[k]!.steps, node.next);
      }
    }
    this.exit('journey has a loop');
  }
}

/** Stable weighted choice: the same entry always takes the same path of a split. */
export function splitPath(paths: readonly { weight: number }[], key: string): number {
  const total = paths.reduce((s, p) => s + p.weight, 0);
  let point = stableFraction(key) * total;
  for (let k = 0; k < paths.length; k++) {
    point -= paths[k]!.weight;
    if (point < 0) return k;
  }
  return paths.length - 1;
}

const weekdayFormats = new Map<string, Intl.DateTimeFormat>();
function localWeekday(at: string, timeZone: string): (typeof WEEKDAYS)[number] {
  let f = weekdayFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short' });
    weekdayFormats.set(timeZone, f);
  }
  return f.format(new Date(at)).slice(0, 3).toLowerCase() as (typeof WEEKDAYS)[number];
}

const minutesLabel = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/**
 * The next moment the customer's clock reads `until` (on one of `weekdays`), from `at` on.
 * It reuses the quiet-hours arithmetic, which is DST-correct: a "night" from one minute after
 * `until` to `until` covers the whole day but that minute, so its end is the next `until`.
 */
export function nextLocalTime(at: string, timeZone: string, until: string, weekdays?: readonly string[]): string {
  const m = Number(until.slice(0, 2)) * 60 + Number(until.slice(3, 5));
  const quiet = { start: minutesLabel(m + 1), end: until };
  let t = quietHoursEnd(at, timeZone, quiet) ?? at;
  for (let i = 0; i < 8 && weekdays && !weekdays.includes(localWeekday(t, timeZone)); i++) {
    t = quietHoursEnd(plusMs(t, MINUTE_MS), timeZone, quiet) ?? t;
  }
  return t;
}

/** When a `wait` step ends for this customer. Never later than MAX_WAIT_DAYS from `at`. */
export function waitUntil(wait: WaitSpec, at: string, profile: CustomerProfile, config: Pick<MailerConfig, 'stages'>): string {
  if ('until' in wait) return nextLocalTime(at, profile.timeZone, wait.until, wait.weekdays);
  if ('purchaseIntervals' in wait) {
    const interval = interPurchaseDays(stageInputsOf(profile), config.stages);
    const due = plusMs(profile.lastOrderAt ?? at, wait.purchaseIntervals * interval * DAY_MS);
    const cap = plusMs(at, MAX_WAIT_DAYS * DAY_MS);
    return due < cap ? due : cap;
  }
  return plusMs(at, durationOf(wait));
}

const localDateFormats = new Map<string, Intl.DateTimeFormat>();
/** YYYY-MM-DD on the customer's own calendar. */
function localDate(at: string, timeZone: string): string {
  let f = localDateFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    localDateFormats.set(timeZone, f);
  }
  return f.format(new Date(at));
}

/**
 * When a yearly date entry (a birthday: `attributes.birthday`) next lets the customer in, from
 * `after` on: `offsetDays` from the date's anniversary, at `at` on their own clock. `value` is
 * the attribute (YYYY-MM-DD, or an ISO instant whose date part counts); undefined when it is
 * not a date. A 29 February falls on 1 March in other years.
 */
export function nextDateEntry(rule: { offsetDays: number; at: string }, value: string, after: string, timeZone: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!match) return undefined;
  const [month, day] = [Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const year = Number(localDate(after, timeZone).slice(0, 4));
  for (const y of [year - 1, year, year + 1]) {
    const target = new Date(Date.UTC(y, month - 1, day) + rule.offsetDays * DAY_MS).toISOString().slice(0, 10);
    // Start half a day early (zones run from UTC−12 to UTC+14) and step to the target local date.
    let t = nextLocalTime(new Date(Date.parse(`${target}T00:00:00.000Z`) - 14 * 3_600_000).toISOString(), timeZone, rule.at);
    for (let i = 0; i < 3 && localDate(t, timeZone) < target; i++) t = nextLocalTime(plusMs(t, MINUTE_MS), timeZone, rule.at);
    if (localDate(t, timeZone) === target && t >= new Date(after).toISOString()) return t;
  }
  return undefined;
}
