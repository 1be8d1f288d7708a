import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectPaths } from '#authoring/catalog-files.ts';
import { parseSimulationScript, SimulationInputError, simulateJourney } from '#cli/journey-simulator.ts';
import { loadJourneyProject } from '#cli/journeys-commands.ts';
import type { TimelineItem } from '#domain/journey-engine.ts';

const run = promisify(execFile);
const repoRoot = new URL('../..', import.meta.url).pathname;
const bin = join(repoRoot, 'bin', 'lifecycle-mailer.js');
const dir = mkdtempSync(join(tmpdir(), 'journey-sim-'));
let project: ReturnType<typeof loadJourneyProject>;

beforeAll(() => {
  project = loadJourneyProject(projectPaths(repoRoot));
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T = '2026-03-03T15:00:00.000Z';
const hoursAfter = (at: string, from = T) => (Date.parse(at) - Date.parse(from)) / HOUR;
const script = (lines: object[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

function simulate(id: string, lines: object[]) {
  const journey = project.journeys.find((j) => j.id === id)!;
  return simulateJourney(journey, project.config, parseSimulationScript(script(lines), 'test.jsonl'));
}

/** The hour on the customer's own clock. */
const localHour = (at: string, timeZone: string) => Number(new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(new Date(at)));

describe('journeys simulate (the real command)', () => {
  it('abandoned-cart: a cart at t and an order at t+3h give one send near t+1h and an exit for the goal, with nothing after', async () => {
    const file = join(dir, 'cart.jsonl');
    writeFileSync(
      file,
      script([
        { customer: { timeZone: 'America/New_York' } },
        { at: T, type: 'Cart Abandoned', detail: { items: [{ sku: 'TEA-003', name: 'Matcha', quantity: 1, price: 32 }] } },
        { at: new Date(Date.parse(T) + 3 * HOUR).toISOString(), type: 'Order Placed', detail: { total: 32 } },
      ]),
    );
    const { stdout } = await run(process.execPath, [bin, 'journeys', 'simulate', 'abandoned-cart', '--events', file, '--json'], { cwd: repoRoot });
    const out = JSON.parse(stdout) as { journey: string; timeline: TimelineItem[] };
    expect(out.journey).toBe('abandoned-cart');
    const sends = out.timeline.filter((t) => t.kind === 'send');
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ campaign: 'abandoned-cart', step: 'steps[1]' });
    expect(hoursAfter(sends[0]!.at)).toBe(1);
    expect(out.timeline.at(-1)).toEqual({ at: '2026-03-03T18:00:00.000Z', kind: 'exit', reason: 'goal: Order Placed' });
    expect(out.timeline.map((t) => t.kind)).toEqual(['entered', 'wait', 'send', 'wait', 'exit']);
  });

  it('reports each bad input line with its number and field, and exits 2', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ customer: { timeZone: 'Mars/Olympus' } }),
        JSON.stringify({ at: 'yesterday', type: 'Cart Abandoned' }),
        '{not json',
        JSON.stringify({ at: T, email: 'forwarded' }),
        JSON.stringify({ at: T, type: 'Order Placed', detail: { total: -5 } }),
      ].join('\n'),
    );
    const failure = await run(process.execPath, [bin, 'journeys', 'simulate', 'abandoned-cart', '--events', file], { cwd: repoRoot }).then(
      () => expect.unreachable('a bad script must fail'),
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure.code).toBe(2);
    const lines = failure.stderr.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/line 1: customer\.timeZone: an IANA time zone/);
    expect(lines[1]).toMatch(/line 2: at: .*\(was "yesterday"\)/);
    expect(lines[2]).toMatch(/line 3: not JSON/);
    expect(lines[3]).toMatch(/line 4: email: .*opened.*clicked.*\(was "forwarded"\)/);
    expect(lines[4]).toMatch(/line 5: detail\.total: /);
  });
});

describe('simulating welcome-series', () => {
  for (const timeZone of ['Asia/Tokyo', 'America/New_York']) {
    it(`a registration and no order: three sends at about 0, +3 and +7 days, each in the daytime of a customer in ${timeZone}`, () => {
      // 15:00 UTC: midnight in Tokyo (quiet hours), 10:00 in New York.
      const started = performance.now();
      const result = simulate('welcome-series', [{ customer: { timeZone } }, { at: T, type: 'Customer Registered' }]);
      expect(performance.now() - started).toBeLessThan(1_000);
      const sends = result.timeline.filter((t) => t.kind === 'send');
      expect(sends.map((s) => s.campaign)).toEqual(['welcome', 'first-order-nudge', 'welcome-best-sellers']);
      const days = sends.map((s) => hoursAfter(s.at) / 24);
      expect(days[0]).toBeLessThan(0.5);
      expect(days[1]! - 3).toBeGreaterThanOrEqual(0);
      expect(days[1]! - 3).toBeLessThan(0.5);
      expect(days[2]! - 7).toBeGreaterThanOrEqual(0);
      expect(days[2]! - 7).toBeLessThan(0.5);
      for (const s of sends) {
        const hour = localHour(s.at, timeZone);
        expect(hour, `${s.campaign} at ${s.at}`).toBeGreaterThanOrEqual(8); // quietHours: 21:00 – 08:00
        expect(hour, `${s.campaign} at ${s.at}`).toBeLessThan(21);
      }
      expect(result.timeline.at(-1)?.kind).toBe('complete');
    });
  }

  it('an order on day 2 ends the series: only the welcome went', () => {
    const result = simulate('welcome-series', [
      { customer: { timeZone: 'America/New_York' } },
      { at: T, type: 'Customer Registered' },
      { at: new Date(Date.parse(T) + 2 * DAY).toISOString(), type: 'Order Placed', detail: { total: 20 } },
    ]);
    expect(result.timeline.filter((t) => t.kind === 'send').map((t) => t.campaign)).toEqual(['welcome']);
    expect(result.timeline.at(-1)).toMatchObject({ kind: 'exit', reason: 'goal: Order Placed' });
  });

  it('a registration delivered twice starts one entry', () => {
    const result = simulate('welcome-series', [
      { at: T, type: 'Customer Registered' },
      { at: new Date(Date.parse(T) + 60_000).toISOString(), type: 'Customer Registered' },
    ]);
    expect(result.timeline.filter((t) => t.kind === 'entered')).toHaveLength(1);
    expect(result.timeline.filter((t) => t.kind === 'send')).toHaveLength(3);
  });
});

describe('simulating win-back', () => {
  it('a click within the week skips the reminder; without engagement the sunset follows the last chance', () => {
    const declining = { at: T, stage: 'declining' };
    const clicked = simulate('win-back', [{ customer: { stage: 'growing', timeZone: 'Europe/Berlin' } }, declining, { at: new Date(Date.parse(T) + DAY).toISOString(), email: 'clicked' }]);
    expect(clicked.timeline.filter((t) => t.kind === 'send').map((t) => t.campaign)).toEqual(['win-back', 'last-chance']);
    const silent = simulate('win-back', [{ customer: { stage: 'growing', timeZone: 'Europe/Berlin' } }, declining]);
    expect(silent.timeline.filter((t) => t.kind === 'send').map((t) => t.campaign)).toEqual(['win-back', 'win-back-reminder', 'last-chance', 'sunset']);
  });
});

describe('parseSimulationScript', () => {
  it('refuses a customer line that is not the first', () => {
    expect(() => parseSimulationScript(script([{ at: T, type: 'Customer Registered' }, { customer: {} }]), 's.jsonl')).toThrow(SimulationInputError);
    expect(() => parseSimulationScript(script([{ at: T, type: 'Customer Registered' }, { customer: {} }]), 's.jsonl')).toThrow(/line 2: customer: only the first line/);
  });
});
