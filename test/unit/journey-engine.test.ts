import { beforeAll, describe, expect, it } from 'vitest';
import { loadJourneyProject } from '#cli/journeys-commands.ts';
import { projectPaths } from '#authoring/catalog-files.ts';
import { type CustomerProfile, newProfile } from '#domain/customer-profile.ts';
import { Journey } from '#domain/journey.ts';
import {
  advanceJourney,
  type JourneyAction,
  type JourneyContext,
  JourneyEntry,
  type JourneyInput,
  type JourneyOutcome,
  nextDateEntry,
  nextLocalTime,
} from '#domain/journey-engine.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
let shipped: Map<string, Journey>;
let config: Pick<MailerConfig, 'quietHours' | 'stages'>;

beforeAll(() => {
  const project = loadJourneyProject(projectPaths(repoRoot));
  shipped = new Map(project.journeys.map((j) => [j.id, j]));
  config = project.config;
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 10:00 in New York (daytime), 00:00 in Tokyo. */
const T0 = '2026-03-03T15:00:00.000Z';
const plus = (ms: number, from = T0) => new Date(Date.parse(from) + ms).toISOString();

function customer(overrides: Partial<CustomerProfile> = {}): CustomerProfile {
  const p = newProfile('c1', '2026-01-01T00:00:00.000Z');
  return { ...p, email: 'c1@example.com', timeZone: 'America/New_York', consent: { ...p.consent, marketing: true }, ...overrides };
}

const journey = (id: string) => shipped.get(id)!;
const ctx = (j: Journey, profile = customer()): JourneyContext => ({ journey: j, profile, config });

function advanced(outcome: JourneyOutcome): { entry: JourneyEntry; actions: JourneyAction[] } {
  expect(outcome.outcome, JSON.stringify(outcome)).toBe('advanced');
  if (outcome.outcome !== 'advanced') throw new Error('unreachable');
  // The state must survive a round trip through storage.
  expect(JourneyEntry.parse(JSON.parse(JSON.stringify(outcome.entry)))).toEqual(outcome.entry);
  return outcome;
}
const sends = (actions: JourneyAction[]) => actions.flatMap((a) => (a.type === 'send' ? [a.campaignId] : []));
const wakes = (actions: JourneyAction[]) => actions.flatMap((a) => (a.type === 'wake' ? [a.at] : []));

/** Feeds inputs one by one, as the journey function would with the stored entry. */
function drive(c: JourneyContext, inputs: JourneyInput[], start?: JourneyEntry) {
  let entry = start;
  const log: { input: JourneyInput; outcome: JourneyOutcome }[] = [];
  for (const input of inputs) {
    const outcome = advanceJourney(c, entry, input);
    if (outcome.outcome === 'advanced') entry = outcome.entry;
    log.push({ input, outcome });
  }
  return { entry, log, sent: log.flatMap((l) => sends(l.outcome.actions)) };
}

const registered = (at = T0): JourneyInput => ({ kind: 'shop-event', at, event: 'Customer Registered', key: 'registered' });

describe('journey engine: entering', () => {
  it('starts an entry on its event and runs until the first wait', () => {
    const { entry, actions } = advanced(advanceJourney(ctx(journey('welcome-series')), undefined, registered()));
    expect(sends(actions)).toEqual(['welcome']);
    expect(wakes(actions)).toEqual([plus(3 * DAY)]);
    expect(entry).toMatchObject({ status: 'active', entryNumber: 1, entryId: 'welcome-series-1', version: 0, cursor: { step: 'steps[1]', holding: 'wait' } });
    const send = actions.find((a) => a.type === 'send')!;
    expect(send).toMatchObject({ step: 'steps[0]', notBefore: T0, period: 'welcome-series-1-steps0', sendId: 'welcome_welcome-series-1-steps0_c1' });
  });

  it('refuses a second entry while one is active: an entry event delivered twice starts nothing', () => {
    const c = ctx(journey('welcome-series'));
    const { entry } = advanced(advanceJourney(c, undefined, registered()));
    const again = advanceJourney(c, entry, registered(plus(5_000)));
    expect(again).toMatchObject({ outcome: 'refused', reason: 'already-active', actions: [] });
    expect(advanceJourney(c, entry, { kind: 'entered', at: plus(HOUR) })).toMatchObject({ outcome: 'refused', reason: 'already-active' });
  });

  it('re-entry never: a finished entry is not started again, nor is a redelivered entry event', () => {
    const vip = journey('vip');
    const never = Journey.parse({ ...vip, id: 'vip-once', reentry: 'never' });
    const { entry } = advanced(advanceJourney(ctx(never), undefined, { kind: 'stage-changed', at: T0, stage: 'stable' }));
    expect(entry.status).toBe('completed');
    expect(advanceJourney(ctx(never), entry, { kind: 'stage-changed', at: plus(400 * DAY), stage: 'stable' })).toMatchObject({ outcome: 'refused', reason: 'reentry-never' });
    const cart = journey('abandoned-cart');
    const ended = { ...entry, journeyId: cart.id, entryKey: 'cart:k1' };
    expect(advanceJourney(ctx(cart), ended, { kind: 'shop-event', at: plus(30 * DAY), event: 'Cart Abandoned', key: 'cart:k1' })).toMatchObject({ outcome: 'refused', reason: 'duplicate' });
  });

  it('re-entry afterDays: refused before N days from the last entry, a fresh entry (next number, next version) after', () => {
    const vip = journey('vip');
    expect(vip.reentry).toEqual({ afterDays: 180 });
    const stable: JourneyInput = { kind: 'stage-changed', at: T0, stage: 'stable' };
    const { entry: first } = advanced(advanceJourney(ctx(vip), undefined, stable));
    expect(advanceJourney(ctx(vip), first, { ...stable, at: plus(179 * DAY) })).toMatchObject({ outcome: 'refused', reason: 'reentry-too-soon' });
    const { entry: second, actions } = advanced(advanceJourney(ctx(vip), first, { ...stable, at: plus(181 * DAY) }));
    expect(second).toMatchObject({ entryNumber: 2, entryId: 'vip-2', version: first.version + 1, status: 'completed' });
    expect(actions.find((a) => a.type === 'send')).toMatchObject({ campaignId: 'vip-thanks', sendId: 'vip-thanks_vip-2-steps0_c1' });
  });

  it('refuses customers without consent to the topic, and those whose entry conditions do not hold', () => {
    const p = customer();
    const noConsent = customer({ consent: { ...p.consent, marketing: false } });
    expect(advanceJourney(ctx(journey('welcome-series'), noConsent), undefined, registered())).toMatchObject({ outcome: 'refused', reason: 'no-consent' });
    // post-purchase is for a first order only
    const repeat = customer({ orderCount: 2, orderDays: 2 });
    expect(advanceJourney(ctx(journey('post-purchase'), repeat), undefined, { kind: 'shop-event', at: T0, event: 'Order Placed', key: 'order:o2' })).toMatchObject({
      outcome: 'refused',
      reason: 'conditions',
    });
  });

  it('ignores events that neither start nor concern the journey', () => {
    expect(advanceJourney(ctx(journey('welcome-series')), undefined, { kind: 'shop-event', at: T0, event: 'Order Refunded' })).toMatchObject({ outcome: 'ignored' });
  });
});

describe('journey engine: waits and exits', () => {
  it('an order during a wait ends the entry before its next send; the wake that fires later sends nothing', () => {
    const c = ctx(journey('welcome-series'));
    const { entry, log, sent } = drive(c, [
      registered(),
      { kind: 'shop-event', at: plus(DAY), event: 'Order Placed', key: 'order:o1' },
      { kind: 'woken', at: plus(3 * DAY), step: 'steps[1]' },
    ]);
    expect(sent).toEqual(['welcome']);
    expect(entry).toMatchObject({ status: 'exited', exitReason: 'goal: Order Placed', endedAt: plus(DAY) });
    expect(entry?.cursor).toBeUndefined();
    expect(log[1]!.outcome.actions.map((a) => a.type)).toEqual(['cancelWake', 'timeline']);
    expect(log[2]!.outcome).toMatchObject({ outcome: 'ignored' });
  });

  it('a wake earlier than the entry waits for, or for another step, is ignored (the stored entry is the truth)', () => {
    const c = ctx(journey('welcome-series'));
    const { entry } = advanced(advanceJourney(c, undefined, registered()));
    expect(advanceJourney(c, entry, { kind: 'woken', at: plus(DAY) })).toMatchObject({ outcome: 'ignored' });
    expect(advanceJourney(c, entry, { kind: 'woken', at: plus(3 * DAY), step: 'steps[3]' })).toMatchObject({ outcome: 'ignored' });
    const { actions } = advanced(advanceJourney(c, entry, { kind: 'woken', at: plus(3 * DAY), step: 'steps[1]' }));
    expect(sends(actions)).toEqual(['first-order-nudge']);
  });

  it('welcome series with no order: three sends at 0, +3 and +7 days, then complete', () => {
    const c = ctx(journey('welcome-series'));
    const { entry, log, sent } = drive(c, [registered(), { kind: 'woken', at: plus(3 * DAY) }, { kind: 'woken', at: plus(7 * DAY) }]);
    expect(sent).toEqual(['welcome', 'first-order-nudge', 'welcome-best-sellers']);
    expect(log.map((l) => l.outcome.actions.find((a) => a.type === 'send')).map((a) => a && a.type === 'send' && a.step)).toEqual(['steps[0]', 'steps[2].then[0]', 'steps[4].then[0]']);
    expect(entry?.status).toBe('completed');
    expect(entry?.history.map((h) => h.kind)).toEqual(['entered', 'send', 'wait', 'send', 'wait', 'send', 'complete']);
  });

  it('branch: a customer who ordered (with the exit taken away) skips the first-order incentive', () => {
    const noExit = Journey.parse({ ...journey('welcome-series'), id: 'welcome-no-exit', exitWhen: [] });
    const { entry } = advanced(advanceJourney(ctx(noExit), undefined, registered()));
    const ordered = customer({ orderCount: 1, orderDays: 1, firstOrderAt: plus(DAY), lastOrderAt: plus(DAY) });
    const { actions } = advanced(advanceJourney(ctx(noExit, ordered), entry, { kind: 'woken', at: plus(3 * DAY) }));
    expect(sends(actions)).toEqual([]);
    expect(wakes(actions)).toEqual([plus(7 * DAY)]);
  });

  it('exits on unsubscribe, even mid-wait', () => {
    const c = ctx(journey('welcome-series'));
    const { entry, sent } = drive(c, [registered(), { kind: 'unsubscribed', at: plus(HOUR) }, { kind: 'woken', at: plus(3 * DAY) }]);
    expect(sent).toEqual(['welcome']);
    expect(entry).toMatchObject({ status: 'exited', exitReason: 'unsubscribed' });
  });

  it('exits on a stage named in exitWhen, not on another stage', () => {
    const j = Journey.parse({ ...journey('win-back'), id: 'win-back-stage', exitWhen: [{ stage: ['growing', 'stable'] }] });
    const c = ctx(j);
    const start: JourneyInput = { kind: 'stage-changed', at: T0, stage: 'declining' };
    const { entry: declining } = advanced(advanceJourney(c, undefined, start));
    expect(advanceJourney(c, declining, { kind: 'stage-changed', at: plus(DAY), stage: 'lapsed' })).toMatchObject({ outcome: 'ignored' });
    const { entry } = advanced(advanceJourney(c, declining, { kind: 'stage-changed', at: plus(2 * DAY), stage: 'growing' }));
    expect(entry).toMatchObject({ status: 'exited', exitReason: 'stage: growing' });
  });

  it('a send due in the customer night waits for the morning, and an order meanwhile stops it', () => {
    const tokyo = customer({ timeZone: 'Asia/Tokyo' }); // T0 is midnight in Tokyo
    const c = ctx(journey('welcome-series'), tokyo);
    const { entry, actions } = advanced(advanceJourney(c, undefined, registered()));
    expect(sends(actions)).toEqual([]);
    expect(entry.cursor).toEqual({ step: 'steps[0]', holding: 'quiet-hours', wakeAt: '2026-03-03T23:00:00.000Z' }); // 08:00 in Tokyo
    const morning = advanced(advanceJourney(c, entry, { kind: 'woken', at: '2026-03-03T23:00:00.000Z' }));
    expect(morning.actions.find((a) => a.type === 'send')).toMatchObject({ campaignId: 'welcome', notBefore: '2026-03-03T23:00:00.000Z' });
    const stopped = drive(c, [{ kind: 'shop-event', at: plus(HOUR), event: 'Order Placed' }, { kind: 'woken', at: '2026-03-03T23:00:00.000Z' }], entry);
    expect(stopped.sent).toEqual([]);
    expect(stopped.entry?.status).toBe('exited');
  });
});

describe('journey engine: waitFor', () => {
  /** abandoned-cart with the order goal moved from exitWhen into the waitFor's `then`. */
  const withThen = () =>
    Journey.parse({
      ...journey('abandoned-cart'),
      id: 'cart-then',
      exitWhen: [],
      steps: [{ send: 'abandoned-cart' }, { waitFor: { event: 'Order Placed', within: { hours: 23 }, then: [{ send: 'post-purchase-thanks' }], else: [{ send: 'cart-reminder' }] } }],
    });
  const cart: JourneyInput = { kind: 'shop-event', at: T0, event: 'Cart Abandoned', key: 'cart:k1', context: { cartId: 'k1', value: 40 } };
  const withCart = () => customer({ lastCart: { cartId: 'k1', value: 40, abandonedAt: T0, items: [] } });

  it('then: the awaited event within the time takes the then branch and cancels the timeout', () => {
    const { log, sent, entry } = drive(ctx(withThen(), withCart()), [cart, { kind: 'shop-event', at: plus(3 * HOUR), event: 'Order Placed' }, { kind: 'woken', at: plus(23 * HOUR) }]);
    expect(sent).toEqual(['abandoned-cart', 'post-purchase-thanks']);
    expect(log[1]!.outcome.actions[0]).toEqual({ type: 'cancelWake' });
    expect(entry?.status).toBe('completed');
    expect(log[2]!.outcome.outcome).toBe('ignored');
  });

  it('else: no event within the time takes the timeout branch; a late event changes nothing', () => {
    const { sent, entry } = drive(ctx(withThen(), withCart()), [cart, { kind: 'woken', at: plus(23 * HOUR) }, { kind: 'shop-event', at: plus(30 * HOUR), event: 'Order Placed' }]);
    expect(sent).toEqual(['abandoned-cart', 'cart-reminder']);
    expect(entry?.status).toBe('completed');
  });

  it('shipped abandoned-cart: the incentive goes only to carts above the amount in its branch', () => {
    const inputs: JourneyInput[] = [cart, { kind: 'woken', at: plus(HOUR) }, { kind: 'woken', at: plus(24 * HOUR) }];
    const small = customer({ lastCart: { cartId: 'k1', value: 40, abandonedAt: T0, items: [] } });
    const big = customer({ lastCart: { cartId: 'k1', value: 120, abandonedAt: T0, items: [] } });
    expect(drive(ctx(journey('abandoned-cart'), small), inputs).sent).toEqual(['abandoned-cart', 'cart-reminder']);
    expect(drive(ctx(journey('abandoned-cart'), big), inputs).sent).toEqual(['abandoned-cart', 'cart-incentive']);
  });

  it('email clicked: a click on the last send skips the reminder; an open alone does not; a click on another send does not count', () => {
    const c = ctx(journey('win-back'));
    const start: JourneyInput = { kind: 'stage-changed', at: T0, stage: 'declining' };
    const first = advanced(advanceJourney(c, undefined, start));
    const lastSendId = first.entry.lastSend!.sendId;
    const clicked = drive(c, [{ kind: 'email', at: plus(DAY), email: 'clicked', sendId: lastSendId }, { kind: 'woken', at: plus(7 * DAY) }], first.entry);
    expect(clicked.sent).toEqual([]);
    expect(clicked.entry?.cursor).toMatchObject({ step: 'steps[2]', holding: 'wait', wakeAt: plus(15 * DAY) });
    const opened = drive(c, [{ kind: 'email', at: plus(DAY), email: 'opened', sendId: lastSendId }, { kind: 'woken', at: plus(7 * DAY) }], first.entry);
    expect(opened.sent).toEqual(['win-back-reminder']);
    const elsewhere = drive(c, [{ kind: 'email', at: plus(DAY), email: 'clicked', sendId: 'other_send_c1' }, { kind: 'woken', at: plus(7 * DAY) }], first.entry);
    expect(elsewhere.sent).toEqual(['win-back-reminder']);
  });
});

describe('journey engine: split', () => {
  const split = Journey.parse({
    id: 'split-test',
    name: 'Split',
    entry: { event: 'Customer Registered' },
    steps: [{ split: { paths: [{ weight: 1, steps: [{ send: 'welcome' }] }, { weight: 1, steps: [{ send: 'welcome-best-sellers' }] }] } }],
  });

  it('assigns each entry a path that does not change when it is computed again, and spreads entries by weight', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const c = ctx(split, customer({ customerId: `c${i}` }));
      const once = sends(advanceJourney(c, undefined, registered()).actions);
      const again = sends(advanceJourney(c, undefined, registered(plus(HOUR))).actions);
      expect(again).toEqual(once);
      counts.set(once[0]!, (counts.get(once[0]!) ?? 0) + 1);
    }
    expect(counts.get('welcome')).toBeGreaterThan(160);
    expect(counts.get('welcome-best-sellers')).toBeGreaterThan(160);
  });

  it('a weight of 3 to 1 gives about three quarters to the first path', () => {
    const weighted = Journey.parse({ ...split, steps: [{ split: { paths: [{ weight: 3, steps: [{ send: 'welcome' }] }, { weight: 1, steps: [{ send: 'welcome-best-sellers' }] }] } }] });
    let first = 0;
    for (let i = 0; i < 400; i++) if (sends(advanceJourney(ctx(weighted, customer({ customerId: `w${i}` })), undefined, registered()).actions)[0] === 'welcome') first++;
    expect(first / 400).toBeGreaterThan(0.65);
    expect(first / 400).toBeLessThan(0.85);
  });
});

describe('nextLocalTime (wait until a time of day, in the customer zone)', () => {
  it('finds the next 09:00 in the customer own zone, across a DST change', () => {
    expect(nextLocalTime('2026-03-03T15:00:00.000Z', 'Asia/Tokyo', '09:00')).toBe('2026-03-04T00:00:00.000Z');
    expect(nextLocalTime('2026-03-03T15:00:00.000Z', 'America/New_York', '09:00')).toBe('2026-03-04T14:00:00.000Z');
    // New York springs forward on 2026-03-08: 09:00 is then 13:00 UTC.
    expect(nextLocalTime('2026-03-08T12:00:00.000Z', 'America/New_York', '09:00')).toBe('2026-03-08T13:00:00.000Z');
  });

  it('keeps to the given weekdays', () => {
    // 2026-03-03 is a Tuesday; the next Monday 09:00 in Berlin is 2026-03-09 08:00 UTC.
    expect(nextLocalTime('2026-03-03T15:00:00.000Z', 'Europe/Berlin', '09:00', ['mon'])).toBe('2026-03-09T08:00:00.000Z');
  });
});

describe('nextDateEntry (yearly date entries such as a birthday)', () => {
  const rule = { offsetDays: 0, at: '09:00' };
  it('lets the customer in on the anniversary at the given time on their own clock, this year or next', () => {
    expect(nextDateEntry(rule, '1990-05-20', '2026-03-03T15:00:00.000Z', 'Asia/Tokyo')).toBe('2026-05-20T00:00:00.000Z');
    expect(nextDateEntry(rule, '1990-01-10', '2026-03-03T15:00:00.000Z', 'America/New_York')).toBe('2027-01-10T14:00:00.000Z');
  });
  it('applies offsetDays (a week before) and refuses a value that is not a date', () => {
    expect(nextDateEntry({ offsetDays: -7, at: '10:00' }, '1985-03-05', '2026-01-01T00:00:00.000Z', 'Europe/Berlin')).toBe('2026-02-26T09:00:00.000Z');
    expect(nextDateEntry(rule, 'soon', '2026-01-01T00:00:00.000Z', 'UTC')).toBeUndefined();
  });
});
