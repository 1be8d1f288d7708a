import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigFileError, loadCampaigns } from '#authoring/campaign-files.ts';
import { projectPaths } from '#authoring/catalog-files.ts';
import { loadJourneys } from '#authoring/journey-files.ts';
import { templateNames } from '#authoring/template-files.ts';
import type { Campaign } from '#domain/campaign.ts';
import { Journey, journeyNodes } from '#domain/journey.ts';
import { journeyMermaid, mermaidId } from '#domain/journey-mermaid.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const paths = projectPaths(repoRoot);
let campaigns: Campaign[];
let shipped: Journey[];

beforeAll(() => {
  campaigns = loadCampaigns(paths.campaigns, templateNames(paths.templates));
  shipped = loadJourneys(paths.journeys, campaigns);
});

/** Writes journey files to a fresh folder and returns the problems loading it reports. */
function problemsOf(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-'));
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  try {
    loadJourneys(dir, campaigns);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigFileError);
    return (error as ConfigFileError).problems.map((p) => `${p.file.slice(dir.length + 1)}: ${p.message}`);
  }
  return [];
}

const head = (id: string) => `id: ${id}\nname: Test\nentry:\n  event: Customer Registered\n`;

describe('shipped journeys', () => {
  it('load and validate: the five journeys, every send naming a campaign', () => {
    expect(shipped.map((j) => j.id)).toEqual(['abandoned-cart', 'post-purchase', 'vip', 'welcome-series', 'win-back']);
    const ids = new Set(campaigns.map((c) => c.id));
    for (const j of shipped) for (const n of journeyNodes(j).values()) if ('send' in n.step) expect(ids.has(n.step.send), `${j.id} ${n.path}`).toBe(true);
  });

  it('hold out 25% (the demo needs groups big enough to measure; the schema default is 10)', () => {
    for (const j of shipped) expect(j.holdout, j.id).toBe(25);
    expect(Journey.shape.holdout.parse(undefined)).toBe(10);
  });

  it('draw as Mermaid with every step as a node and every send campaign named', () => {
    for (const j of shipped) {
      const chart = journeyMermaid(j);
      expect(chart.startsWith('flowchart TD\n')).toBe(true);
      for (const n of journeyNodes(j).values()) {
        expect(chart, `${j.id} ${n.path}`).toMatch(new RegExp(`^  ${mermaidId(n.path)}[\\[{(/]`, 'm'));
        if ('send' in n.step) expect(chart).toContain(`send ${n.step.send}"`);
      }
      expect(chart).toContain('entry -->');
    }
    const cart = journeyMermaid(shipped.find((j) => j.id === 'abandoned-cart')!);
    expect(cart).toContain('steps2 -- timeout --> steps2_else0');
    expect(cart).toContain('steps2_else0 -- yes --> steps2_else0_then0');
    expect(cart).toContain('exit at any step: Order Placed, unsubscribed');
  });
});

describe('journey file errors', () => {
  it('reports every problem of every file at once, each naming file, field and bad value, with did-you-mean', () => {
    const problems = problemsOf({
      'a.yaml': `${head('a')}steps:\n  - sned: welcome\n  - wait: { days: 400 }\n`,
      'b.yaml': `${head('b')}steps:\n  - send: welcome\n  - wait: { dayz: 3 }\n`,
      'b2.yaml': `${head('b2')}steps:\n  - send: welcom\n`,
      'c.yaml': `id: c\nname: Test\nentry:\n  event: Order Placd\nsteps:\n  - send: welcome\n`,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "a.yaml: steps[0]: unknown step kind 'sned' (expected one of: send, wait, waitFor, branch, split); did you mean 'send'?",
        'a.yaml: steps[1].wait: at most 365 days (was 400)',
        "b2.yaml: steps[0].send: no campaign 'welcom' in campaigns/; did you mean 'welcome'?",
        "b.yaml: steps[1].wait.dayz: unknown field 'dayz'; did you mean 'days'?",
        "c.yaml: entry.event: 'Order Placd' is not one of: Customer Registered, Order Placed, Order Refunded, Cart Abandoned, Customer Updated; did you mean 'Order Placed'?",
      ]),
    );
  });

  it('refuses a wait of zero, a waitFor longer than 90 days, an unknown condition field and a file whose id differs from its name', () => {
    const problems = problemsOf({
      'd.yaml': `${head('not-d')}steps:\n  - wait: { hours: 0 }\n  - waitFor: { event: Order Placed, within: { days: 120 } }\n  - branch:\n      if: [{ field: ordercount, op: eq, value: 0 }]\n      then: [{ send: welcome }]\n`,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'd.yaml: steps[0].wait: a duration of at least 1 minute: { days | hours | minutes }',
        'd.yaml: steps[1].waitFor.within: at most 90 days (was 120)',
        expect.stringMatching(/^d\.yaml: steps\[2\]\.branch\.if\[0\]\.field: 'ordercount' is not one of: .*did you mean 'orderCount'\?$/),
      ]),
    );
    // The id check needs a schema-valid file.
    expect(problemsOf({ 'e.yaml': `${head('not-e')}steps:\n  - send: welcome\n` })).toEqual(["e.yaml: id: 'not-e' should match the file name 'e'"]);
  });

  it('finds unreachable steps: a waitFor branch behind an exit on the same event, and a waitFor email with no send before it', () => {
    const problems = problemsOf({
      'f.yaml': `${head('f')}exitWhen:\n  - event: Order Placed\nsteps:\n  - waitFor:\n      email: clicked\n      within: { days: 3 }\n  - send: welcome\n  - waitFor:\n      event: Order Placed\n      within: { days: 1 }\n      then:\n        - send: welcome-best-sellers\n`,
    });
    expect(problems).toEqual([
      'f.yaml: steps[0].waitFor.email: no send before this step on every path, so there is no email to be clicked',
      "f.yaml: steps[2].then: unreachable: 'Order Placed' is in exitWhen, so the entry exits before this branch could run",
    ]);
  });

  it('bounds the whole journey, not only each wait', () => {
    const waits = Array.from({ length: 3 }, () => '  - wait: { days: 300 }\n  - send: welcome\n').join('');
    expect(problemsOf({ 'g.yaml': `${head('g')}steps:\n${waits}` })).toEqual(['g.yaml: steps: the waits along one path add up to 900 days (at most 730): split it into two journeys']);
  });

  it('names an unknown entry kind and a misspelt top-level field', () => {
    const problems = problemsOf({ 'h.yaml': `id: h\nname: Test\nentry:\n  stge: declining\nexitWen: []\nsteps:\n  - send: welcome\n` });
    expect(problems).toEqual(
      expect.arrayContaining([
        "h.yaml: entry: unknown entry 'stge' (expected one of: event, stage, segment, date); did you mean 'stage'?",
        "h.yaml: exitWen: unknown field 'exitWen'; did you mean 'exitWhen'?",
      ]),
    );
  });
});
