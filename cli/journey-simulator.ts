/**
 * `journeys simulate`: one customer through one journey on a simulated clock, with the real
 * engine (functions/domain/journey-engine.ts) and no servers. Scripted inputs are applied in
 * time order; the wakes the engine asks for fire in between, as the Scheduler would.
 */
import { z } from 'zod';
import { applyShopEvent } from '#domain/apply-shop-event.ts';
import { type CustomerProfile, LifecycleStage, newProfile } from '#domain/customer-profile.ts';
import { recordInteraction } from '#domain/engagement.ts';
import { InvalidInputError } from '#domain/invalid-input-error.ts';
import { formatPath } from '#authoring/journey-files.ts';
import { type Journey, JOURNEY_EVENTS, type JourneyEvent } from '#domain/journey.ts';
import { advanceJourney, type EntryContext, type JourneyEntry, type JourneyInput, type TimelineItem } from '#domain/journey-engine.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import { CustomerId, isTimeZone, SHOP_EVENT_SOURCE, SHOP_EVENT_TYPES, ShopEvent } from '#domain/shop-events.ts';
import { SimulatedClock } from '#lib/local/simulated-clock.ts';

const IsoInstant = z.iso.datetime({ offset: true });

/** The optional first line: who the customer is. Anything left out gets a subscribed default. */
const SimCustomer = z
  .object({
    customerId: CustomerId.default('sim-customer'),
    email: z.email().default('sim-customer@example.com'),
    firstName: z.string().max(100).optional(),
    locale: z.string().default('en'),
    timeZone: z.string().refine(isTimeZone, 'an IANA time zone like Asia/Tokyo').default('UTC'),
    stage: LifecycleStage.default('prospect'),
    consent: z
      .object({ marketing: z.boolean().default(true), topics: z.array(z.string()).default([]), unsubscribedTopics: z.array(z.string()).default([]) })
      .strict()
      .default({ marketing: true, topics: [], unsubscribedTopics: [] }),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  })
  .strict();

const SimLine = z.union([
  z.object({ customer: SimCustomer }).strict(),
  z.object({ at: IsoInstant, type: z.enum(JOURNEY_EVENTS), detail: z.record(z.string(), z.unknown()).default({}) }).strict(),
  z.object({ at: IsoInstant, email: z.enum(['opened', 'clicked']) }).strict(),
  z.object({ at: IsoInstant, stage: LifecycleStage }).strict(),
  z.object({ at: IsoInstant, unsubscribe: z.union([z.literal(true), z.string().min(1)]) }).strict(),
  /** The scheduler let the customer in (segment and date entries). */
  z.object({ at: IsoInstant, enter: z.literal(true) }).strict(),
]);
type SimLine = z.infer<typeof SimLine>;
type Scripted = Exclude<SimLine, { customer: unknown }> & { line: number };

/**
 * Script lines that cannot be used: each with its line number, field and what was wrong. An
 * InvalidInputError, so the command exits 2; one problem per printed line.
 */
export class SimulationInputError extends InvalidInputError {
  /** A bad script line is bad input to the command: a usage error. */
  readonly exitCode = 2;
  constructor(source: string, problems: string[]) {
    super(source, problems);
    this.message = problems.map((p) => `${source}: ${p}`).join('\n');
  }
}

/** The time field each shop event's detail carries, filled from the line's `at` when left out. */
const TIME_FIELD: Record<(typeof SHOP_EVENT_TYPES)[number], string> = {
  'Customer Registered': 'registeredAt',
  'Order Placed': 'placedAt',
  'Order Refunded': 'refundedAt',
  'Cart Abandoned': 'abandonedAt',
  'Customer Updated': 'updatedAt',
};

/** A shop event as EventBridge would deliver it, with easy defaults so a script stays short. */
function shopEventOf(line: Extract<Scripted, { type: JourneyEvent }>, customer: z.infer<typeof SimCustomer>): ShopEvent | string[] {
  const d = line.detail;
  const items = Array.isArray(d['items']) ? (d['items'] as { price?: unknown; quantity?: unknown }[]) : [];
  const itemsValue = items.reduce((s, i) => s + (typeof i.price === 'number' ? i.price : 0) * (typeof i.quantity === 'number' ? i.quantity : 1), 0);
  const defaults: Record<string, unknown> = {
    customerId: customer.customerId,
    [TIME_FIELD[line.type]]: line.at,
    ...(line.type === 'Customer Registered'
      ? { email: customer.email, marketingConsent: customer.consent.marketing, timeZone: customer.timeZone, locale: customer.locale, ...(customer.firstName ? { firstName: customer.firstName } : {}) }
      : {}),
    ...(line.type === 'Order Placed' ? { orderId: `sim-order-${line.line}`, total: itemsValue } : {}),
    ...(line.type === 'Order Refunded' ? { orderId: `sim-order-${line.line}`, amount: 0 } : {}),
    ...(line.type === 'Cart Abandoned' ? { cartId: `sim-cart-${line.line}`, value: itemsValue } : {}),
  };
  const result = ShopEvent.safeParse({ id: `sim-${line.line}`, source: SHOP_EVENT_SOURCE, time: line.at, 'detail-type': line.type, detail: { ...defaults, ...d } });
  if (result.success) return result.data;
  return result.error.issues.map((i) => `line ${line.line}: ${formatPath(i.path)}: ${i.message}`);
}

/** Parses the script: every bad line is reported, with its number and field. */
export function parseSimulationScript(text: string, source: string): { customer: z.infer<typeof SimCustomer>; lines: Scripted[] } {
  const problems: string[] = [];
  let customer = SimCustomer.parse({});
  const lines: Scripted[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1;
    if (!raw.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      problems.push(`line ${n}: not JSON (${(error as Error).message})`);
      return;
    }
    const result = SimLine.safeParse(json);
    if (!result.success) {
      problems.push(...lineProblems(n, json, result.error));
      return;
    }
    if ('customer' in result.data) {
      if (lines.length || n !== firstContentLine(text)) problems.push(`line ${n}: customer: only the first line may describe the customer`);
      customer = result.data.customer;
      return;
    }
    lines.push({ ...result.data, line: n });
  });
  for (const l of lines) {
    if ('type' in l) {
      const event = shopEventOf(l, customer);
      if (Array.isArray(event)) problems.push(...event);
    }
  }
  if (problems.length) throw new SimulationInputError(source, problems);
  // Stable: lines at the same moment keep their order.
  lines.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return { customer, lines };
}

const firstContentLine = (text: string) => text.split(/\r?\n/).findIndex((l) => l.trim()) + 1;

/** For a line that matches no form: what is wrong with it, in the form it was meant as (by its keys). */
function lineProblems(n: number, json: unknown, error: z.ZodError): string[] {
  const keys = json && typeof json === 'object' && !Array.isArray(json) ? Object.keys(json) : [];
  const forms = ['customer', 'type', 'email', 'stage', 'unsubscribe', 'enter'];
  if (!forms.some((f) => keys.includes(f))) return [`line ${n}: expected {"customer": …}, {"at", "type", "detail"}, {"at", "email": "opened" | "clicked"}, {"at", "stage"}, {"at", "unsubscribe": true} or {"at", "enter": true}`];
  // Of the forms a union tried, the one that knows every key of the line speaks for it.
  const issues = error.issues.flatMap((i) => {
    if (i.code !== 'invalid_union') return [i];
    const fits = i.errors.filter((branch) => !branch.some((b) => b.code === 'unrecognized_keys' && b.path.length === 0));
    return [...(fits.length ? fits : i.errors)].sort((a, b) => a.length - b.length)[0] ?? [];
  });
  return issues.map((i) => {
    const value = i.path.reduce<unknown>((v, seg) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined), json);
    return `line ${n}: ${formatPath(i.path)}: ${i.message}${value !== undefined && typeof value !== 'object' ? ` (was ${JSON.stringify(value)})` : ''}`;
  });
}

export interface SimulationResult {
  journey: string;
  timeline: TimelineItem[];
  entry?: JourneyEntry;
  timeZone: string;
}

/** The most wakes one run may take: a journey is a finite tree, so this only stops a runaway script. */
const MAX_STEPS = 10_000;

export function simulateJourney(journey: Journey, config: Pick<MailerConfig, 'quietHours' | 'stages'>, script: ReturnType<typeof parseSimulationScript>): SimulationResult {
  const { customer, lines } = script;
  const start = lines[0]?.at ?? '2026-01-01T00:00:00.000Z';
  const clock = new SimulatedClock(start);
  const base = newProfile(customer.customerId, clock.now());
  let profile: CustomerProfile = {
    ...base,
    email: customer.email,
    locale: customer.locale,
    timeZone: customer.timeZone,
    stage: customer.stage,
    ...(customer.firstName ? { firstName: customer.firstName } : {}),
    consent: { ...base.consent, ...customer.consent },
    attributes: customer.attributes,
  };
  let entry: JourneyEntry | undefined;
  let wake: { at: string; step: string } | undefined;
  const timeline: TimelineItem[] = [];

  const step = (input: JourneyInput) => {
    const outcome = advanceJourney({ journey, profile, config }, entry, input);
    if (outcome.outcome === 'refused') {
      timeline.push({ at: clock.now(), kind: 'skip', reason: `not entered: ${outcome.reason}${outcome.detail ? ` (${outcome.detail})` : ''}` });
      return;
    }
    if (outcome.outcome === 'ignored') return;
    entry = outcome.entry;
    for (const action of outcome.actions) {
      if (action.type === 'timeline') timeline.push(action.item);
      else if (action.type === 'wake') wake = { at: action.at, step: action.step };
      else if (action.type === 'cancelWake') wake = undefined;
    }
  };
  const wakesUntil = (t: number) => {
    for (let i = 0; wake && Date.parse(wake.at) <= t; i++) {
      if (i > MAX_STEPS) throw new Error('the simulation did not settle');
      const due = wake;
      wake = undefined;
      clock.set(due.at);
      step({ kind: 'woken', at: due.at, step: due.step });
    }
  };

  for (const line of lines) {
    wakesUntil(Date.parse(line.at));
    clock.set(line.at);
    const at = clock.now();
    if ('type' in line) {
      const event = shopEventOf(line, customer);
      let context: EntryContext | undefined;
      let key: string | undefined;
      if (!Array.isArray(event)) {
        profile = applyShopEvent(profile, event, at).profile;
        if (event['detail-type'] === 'Cart Abandoned') context = { cartId: event.detail.cartId, value: event.detail.value, items: event.detail.items };
        if (event['detail-type'] === 'Order Placed') context = { orderId: event.detail.orderId, value: event.detail.total, items: event.detail.items };
        key = event.id;
      }
      step({ kind: 'shop-event', at, event: line.type, ...(key ? { key } : {}), ...(context ? { context } : {}) });
    } else if ('email' in line) {
      const interaction = line.email === 'clicked' ? ({ kind: 'click', at } as const) : ({ kind: 'open', at, userAgent: 'Simulated Mail', ipAddress: '192.0.2.1' } as const);
      profile = { ...profile, engagement: recordInteraction(profile.engagement, interaction) };
      step({ kind: 'email', at, email: line.email, ...(entry?.lastSend ? { sendId: entry.lastSend.sendId } : {}) });
    } else if ('stage' in line) {
      profile = { ...profile, stage: line.stage, stageSince: at };
      step({ kind: 'stage-changed', at, stage: line.stage });
    } else if ('unsubscribe' in line) {
      const topic = line.unsubscribe === true ? undefined : line.unsubscribe;
      profile = { ...profile, consent: topic ? { ...profile.consent, unsubscribedTopics: [...profile.consent.unsubscribedTopics, topic] } : { ...profile.consent, marketing: false } };
      step({ kind: 'unsubscribed', at, ...(topic ? { topic } : {}) });
    } else {
      step({ kind: 'entered', at, key: `sim-${line.line}` });
    }
  }
  wakesUntil(Infinity);
  return { journey: journey.id, timeline, ...(entry ? { entry } : {}), timeZone: profile.timeZone };
}

/** The customer's own clock reading, for the printed timeline. */
export function localTime(at: string, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return f.format(new Date(at));
}

export function formatTimeline(result: SimulationResult): string {
  const short = (iso: string) => iso.replace(/:00\.000Z$/, 'Z');
  const rows = result.timeline.map((t) =>
    [short(t.at), `(${localTime(t.at, result.timeZone)})`.padEnd(20), t.kind.padEnd(8), (t.step ?? '').padEnd(18), [t.campaign, t.reason?.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, short)].filter(Boolean).join(' ')]
      .join(' ')
      .trimEnd(),
  );
  return [`journey ${result.journey}, customer time zone ${result.timeZone}`, ...rows].join('\n') + '\n';
}
