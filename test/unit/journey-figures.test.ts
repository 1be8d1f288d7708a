import { beforeAll, describe, expect, it } from 'vitest';
import { projectPaths } from '#authoring/catalog-files.ts';
import { parseSimulationScript, simulateJourney } from '#cli/journey-simulator.ts';
import { loadJourneyProject } from '#cli/journeys-commands.ts';
import { simulateForm } from '#cli/ui/pages/journeys.ts';
import type { Journey } from '#domain/journey.ts';
import { journeyPeriod, type JourneyEntry } from '#domain/journey-engine.ts';
import { journeyStepOfSend, storedJourneyFigures } from '#domain/journey-figures.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
let project: ReturnType<typeof loadJourneyProject>;
let cart: Journey;
beforeAll(() => {
  project = loadJourneyProject(projectPaths(repoRoot));
  cart = project.journeys.find((j) => j.id === 'abandoned-cart')!;
});

const T = '2026-03-03T15:00:00.000Z';
const at = (hours: number) => new Date(Date.parse(T) + hours * 3_600_000).toISOString();
const CART = { items: [{ sku: 'TEA-003', name: 'Matcha', quantity: 1, price: 32 }] };

/** One customer's stored entry, as the engine leaves it after these events. */
function entryAfter(customerId: string, lines: object[]): JourneyEntry {
  const script = [JSON.stringify({ customer: { customerId } }), ...lines.map((l) => JSON.stringify(l))].join('\n');
  const entry = simulateJourney(cart, project.config, parseSimulationScript(script, 'test')).entry;
  if (!entry) throw new Error(`${customerId} did not enter`);
  return entry;
}

describe('journey figures from the stored entries and the ledger', () => {
  it('counts entries by outcome, exits by reason, waiting entries by step, and the ledger sends per step', () => {
    const ordered = entryAfter('c1', [{ at: T, type: 'Cart Abandoned', detail: CART }, { at: at(3), type: 'Order Placed', detail: { total: 32 } }]);
    const unsubscribed = entryAfter('c2', [{ at: T, type: 'Cart Abandoned', detail: CART }, { at: at(2), unsubscribe: true }]);
    // Stored mid-way: waiting for the order at steps[2] (the simulator runs every wait to its end).
    const settled = entryAfter('c3', [{ at: T, type: 'Cart Abandoned', detail: CART }]);
    const upToWait = settled.history.findIndex((h) => h.kind === 'wait' && h.step === 'steps[2]') + 1;
    const { endedAt: _e, exitReason: _r, ...open } = settled;
    const waiting: JourneyEntry = { ...open, status: 'active', history: settled.history.slice(0, upToWait), cursor: { step: 'steps[2]', holding: 'waitFor', wakeAt: at(24) } };
    const reminded = entryAfter('c4', [{ at: T, type: 'Cart Abandoned', detail: CART }]);
    expect([ordered.status, unsubscribed.status, waiting.status, reminded.status]).toEqual(['exited', 'exited', 'active', 'completed']);
    const send = (customerId: string, entry: JourneyEntry, step: string, status: string, skipReason?: string) => ({ customerId, campaignId: 'x', period: journeyPeriod(entry.entryId, step), status, ...(skipReason ? { skipReason } : {}) });
    const sends = [
      send('c1', ordered, 'steps[1]', 'sent'),
      send('c2', unsubscribed, 'steps[1]', 'skipped', 'no-consent'),
      send('c3', waiting, 'steps[1]', 'unknown'),
      send('c4', reminded, 'steps[1]', 'sent'),
      send('c4', reminded, 'steps[2].else[0].else[0]', 'claimed'),
      // Held out of the journey: counted apart from sent and skipped.
      send('c5', reminded, 'steps[1]', 'held-out'),
      // Another journey's, and a campaign's: not this journey's.
      { customerId: 'c1', campaignId: 'vip-thanks', period: 'vip-1-steps0', status: 'sent' },
      { customerId: 'c1', campaignId: 'abandoned-cart', period: '2026-03-03', status: 'sent' },
    ];
    const n = storedJourneyFigures(cart, [ordered, unsubscribed, waiting, reminded, { ...reminded, journeyId: 'welcome-series' }], sends);
    expect(n.figures.entered).toBe(4);
    expect(n.figures.completed).toBe(1);
    expect(Object.fromEntries(n.figures.exited)).toEqual({ 'goal: Order Placed': 1, unsubscribed: 1 });
    expect(n.active).toBe(1);
    expect(Object.fromEntries(n.waitingAt)).toEqual({ 'steps[2]': 1 });
    expect(n.figures.steps.get('steps[1]')).toEqual({ campaignId: 'x', sent: 3, heldOut: 1, skipped: new Map([['no-consent', 1]]) });
    // The claimed (in flight) reminder is counted neither as sent nor as skipped.
    expect(n.figures.steps.get('steps[2].else[0].else[0]')).toBeUndefined();
    expect(n.earlierEntries).toBe(0);
  });

  it('reads a step from a ledger period only for the journey it names (not one whose id it starts with)', () => {
    const vip = { id: 'vip', steps: [{ send: 'vip-thanks' }] } as Pick<Journey, 'id' | 'steps'>;
    expect(journeyStepOfSend(vip, { period: 'vip-3-steps0' })).toBe('steps[0]');
    expect(journeyStepOfSend(vip, { period: 'vip-thanks-1-steps0' })).toBeUndefined();
    expect(journeyStepOfSend(vip, { period: 'vip-3-steps9' })).toBeUndefined();
  });
});

describe('the workbench simulator form', () => {
  it('gives an abandoned cart and an order 3 hours later a send and an exit', () => {
    const events = [JSON.stringify({ at: T, type: 'Cart Abandoned', detail: CART }), JSON.stringify({ at: at(3), type: 'Order Placed', detail: { total: 32 } })].join('\n');
    const out = simulateForm(cart, project.config, { events, customer: '{"customer": {"timeZone": "Europe/Berlin"}}' });
    if (!out.ok) throw new Error(out.problems.join('\n'));
    expect(out.result.timeZone).toBe('Europe/Berlin');
    expect(out.result.timeline.map((t) => t.kind)).toEqual(['entered', 'wait', 'send', 'wait', 'exit']);
  });

  it('names the field and the line of each bad line, in the events and in the customer line', () => {
    const out = simulateForm(cart, project.config, { events: `${JSON.stringify({ at: T, type: 'Cart Abandoned', detail: CART })}\n{"at": "yesterday", "type": "Order Placed"}`, customer: '{"customer": {"timeZone": "Mars/Base"}}' });
    expect(out).toEqual({ ok: false, problems: [expect.stringMatching(/^customer: line 1: customer\.timeZone: .*Mars\/Base/), expect.stringMatching(/^events: line 2: at: .*"yesterday"/)] });
    expect(simulateForm(cart, project.config, { events: '\n', customer: '' })).toEqual({ ok: false, problems: ['events: no events: write at least one line'] });
  });
});
