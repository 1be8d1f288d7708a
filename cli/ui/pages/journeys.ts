import type { Context } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import type { Journey } from '#domain/journey.ts';
import { type StoredJourneyFigures, storedJourneyFigures } from '#domain/journey-figures.ts';
import { localTime, parseSimulationScript, SimulationInputError, type SimulationResult, simulateJourney } from '#cli/journey-simulator.ts';
import type { WorkbenchContext, WorkbenchPage } from '../context.ts';
import { journeyFlow, journeyHeadline, FLOW_STYLE } from '../journey-flow.ts';
import { AUTO_RELOAD_SCRIPT, page, problemList, type WorkbenchEnv } from '../layout.ts';
import type { ProjectSnapshot } from '../project-state.ts';

const fileOf = (id: string) => `journeys/${id}.yaml`;

/** The journey files' problems (validateProject's own messages): those of one file, or of files that did not parse into a journey. */
const problemsOf = (snap: ProjectSnapshot, file: string) => snap.check.problems.filter((p) => p.file === file);

/** Each journey's counts from the tables: the stored entries and the ledger's step sends, counted as the run summary counts them. */
export async function journeyNumbers(ctx: WorkbenchContext, journeys: readonly Journey[]): Promise<Map<string, StoredJourneyFigures>> {
  const [entries, sends] = await Promise.all([ctx.data.journeyEntries(), ctx.data.allSends()]);
  return new Map(journeys.map((j) => [j.id, storedJourneyFigures(j, entries, sends)]));
}

const T0 = '2026-03-02T10:00:00Z';
const plusHours = (h: number) => new Date(Date.parse(T0) + h * 3_600_000).toISOString().replace('.000Z', 'Z');

/** A first script for the form: the journey's entry, and for an event entry an order three hours later (does it exit?). */
export function exampleScript(journey: Journey): string {
  const e = journey.entry;
  const lines: unknown[] = [];
  if ('event' in e) {
    const detail =
      e.event === 'Cart Abandoned' ? { items: [{ sku: 'TEA-003', name: 'Matcha', quantity: 1, price: 32 }] } : e.event === 'Order Placed' ? { total: 48 } : {};
    lines.push({ at: T0, type: e.event, detail });
    if (e.event !== 'Order Placed') lines.push({ at: plusHours(3), type: 'Order Placed', detail: { total: 32 } });
  } else if ('stage' in e) lines.push({ at: T0, stage: e.stage });
  else lines.push({ at: T0, enter: true });
  return lines.map((l) => JSON.stringify(l)).join('\n');
}

const SimulationForm = z.object({ events: z.string().max(100_000), customer: z.string().max(10_000).default('') });

type Simulated = { ok: true; result: SimulationResult } | { ok: false; problems: string[] };

/** Runs the simulator of `journeys simulate` on the form's lines: the customer line (optional) and the events, each checked with its line number. */
export function simulateForm(journey: Journey, config: Parameters<typeof simulateJourney>[1], form: z.infer<typeof SimulationForm>): Simulated {
  const problems: string[] = [];
  const parse = (text: string, source: string) => {
    try {
      return parseSimulationScript(text, source);
    } catch (error) {
      if (error instanceof SimulationInputError) problems.push(...error.message.split('\n'));
      else throw error;
      return undefined;
    }
  };
  const customer = form.customer.trim() ? parse(form.customer, 'customer') : undefined;
  const events = parse(form.events, 'events');
  if (problems.length || !events) return { ok: false, problems };
  if (!events.lines.length) return { ok: false, problems: ['events: no events: write at least one line'] };
  return { ok: true, result: simulateJourney(journey, config, { customer: customer?.customer ?? events.customer, lines: events.lines }) };
}

function timelineTable(result: SimulationResult) {
  return html`<table data-testid="timeline"><caption>Timeline of ${result.journey} (customer time zone ${result.timeZone})</caption>
<thead><tr><th scope="col">When (UTC)</th><th scope="col">Their time</th><th scope="col">What</th><th scope="col">Step</th><th scope="col">Campaign</th><th scope="col">Why</th></tr></thead>
<tbody>${result.timeline.map((t) => html`<tr data-kind="${t.kind}"><td>${t.at}</td><td>${localTime(t.at, result.timeZone)}</td><th scope="row">${t.kind}</th><td>${t.step ? html`<code>${t.step}</code>` : ''}</td><td>${t.campaign ?? ''}</td><td>${t.reason ?? ''}</td></tr>`)}</tbody></table>`;
}

function journeySection(snap: ProjectSnapshot, journey: Journey, numbers: StoredJourneyFigures | undefined, headingLevel: 'h2' | 'none') {
  const file = fileOf(journey.id);
  const problems = problemsOf(snap, file);
  const heading = headingLevel === 'h2' ? html`<h2 id="journey-${journey.id}"><a href="/journeys/${journey.id}">${journey.name}</a> <code>${journey.id}</code></h2>` : '';
  return html`<section aria-label="${journey.name}" data-journey-section="${journey.id}">${heading}
<p>${problems.length ? html`<span class="bad">${problems.length} problem${problems.length === 1 ? '' : 's'}</span>` : html`<span class="ok">valid</span>`}${journey.enabled ? '' : html` <span class="warn">(disabled)</span>`}
 · topic ${journey.audience.topic} · re-entry ${journey.reentry === 'never' ? 'never' : `after ${journey.reentry.afterDays} days`} · holdout ${journey.holdout}%${numbers ? html` · last run: <strong>${journeyHeadline(numbers)}</strong>` : ''}</p>
${problemList(problems, 'problems')}
${journey.description ? html`<p class="muted">${journey.description}</p>` : ''}
${journeyFlow(journey, numbers)}
${numbers?.earlierEntries ? html`<p class="muted">${numbers.earlierEntries} earlier entries of customers who came back are not counted in the exits: a re-entry replaces the stored entry (their sends are counted).</p>` : ''}
</section>`;
}

const journeysOf = (snap: ProjectSnapshot) => snap.check.journeys;

/** Every journey as a flowchart with the last run's counts; one journey with the simulator. */
export const journeysPage: WorkbenchPage = {
  nav: { path: '/journeys', label: 'Journeys' },
  register(app, ctx) {
    app.get('/journeys', async (c) => {
      const snap = ctx.project.current;
      const journeys = journeysOf(snap);
      const numbers = await journeyNumbers(ctx, journeys);
      const unparsed = snap.check.problems.filter((p) => p.file.startsWith('journeys/') && !journeys.some((j) => fileOf(j.id) === p.file));
      const body = html`
<p>Each journey as it runs: the steps in order, the paths of each decision side by side, and on every step the last run's counts from the journey entries and the send ledger (${ctx.data.where}). <span class="muted">This page reloads when a file changes.</span></p>
${unparsed.length ? html`<div class="error-box" role="alert"><h2>Journey files that could not be read</h2>${problemList(unparsed, 'problems')}</div>` : ''}
${journeys.length ? html`<p>On this page: ${journeys.map((j, i) => html`${i ? ' · ' : ''}<a href="#journey-${j.id}">${j.name}</a>`)}</p>` : html`<p>No journeys in <code>journeys/</code>.</p>`}
${journeys.map((j) => journeySection(snap, j, numbers.get(j.id), 'h2'))}`;
      return c.html(page(c, { title: 'Journeys', nav: ctx.nav, active: '/journeys', body, where: ctx.data.where, style: FLOW_STYLE, script: AUTO_RELOAD_SCRIPT(snap.version) }));
    });

    const journeyPage = async (c: Context<WorkbenchEnv>, id: string, form: z.infer<typeof SimulationForm> | undefined, simulated: Simulated | undefined) => {
      const snap = ctx.project.current;
      const journey = journeysOf(snap).find((j) => j.id === id);
      if (!journey) return c.html(page(c, { title: 'No such journey', nav: ctx.nav, active: '/journeys', body: html`<p class="error-box" role="alert">No journey '${id}' in <code>journeys/</code>. <a href="/journeys">All journeys</a></p>`, where: ctx.data.where }), 404);
      const numbers = (await journeyNumbers(ctx, [journey])).get(journey.id);
      const body = html`
<p><a href="/journeys">All journeys</a></p>
${journeySection(snap, journey, numbers, 'none')}
<h2 id="simulate">Simulate one customer</h2>
<p>The journey engine on a simulated clock, as <code>lifecycle-mailer journeys simulate ${journey.id}</code> runs it: nothing is sent or written. One JSON object a line: <code>{"at": "&lt;ISO time&gt;", "type": "&lt;shop event&gt;", "detail": {…}}</code>, <code>{"at", "email": "opened" | "clicked"}</code>, <code>{"at", "stage": "declining"}</code>, <code>{"at", "unsubscribe": true}</code> or <code>{"at", "enter": true}</code>.</p>
<form class="stack" method="post" action="/journeys/${journey.id}/simulate" aria-labelledby="simulate">
  <input type="hidden" name="csrf" value="${ctx.csrfToken}">
  <label>Customer (optional, one line) <input type="text" name="customer" value="${form?.customer ?? ''}" placeholder='{"customer": {"timeZone": "Asia/Tokyo", "stage": "prospect"}}' autocomplete="off" spellcheck="false"></label>
  <label>Events (JSON lines) <textarea name="events" rows="8" cols="100" spellcheck="false" required>${form?.events ?? exampleScript(journey)}</textarea></label>
  <button type="submit">Run the simulation</button>
</form>
${simulated ? (simulated.ok ? html`<h2 id="timeline">Timeline</h2>${timelineTable(simulated.result)}` : html`<div class="error-box" role="alert"><h2>The events could not be used</h2><ul class="problems">${simulated.problems.map((p) => html`<li>${p}</li>`)}</ul></div>`) : ''}`;
      return c.html(page(c, { title: `Journey: ${journey.name}`, nav: ctx.nav, active: '/journeys', body, where: ctx.data.where, style: FLOW_STYLE, ...(simulated ? {} : { script: AUTO_RELOAD_SCRIPT(snap.version) }) }));
    };

    app.get('/journeys/:id', (c) => journeyPage(c, c.req.param('id'), undefined, undefined));

    // POST: the events can be long; the simulation changes nothing.
    app.post('/journeys/:id/simulate', async (c) => {
      const snap = ctx.project.current;
      const journey = journeysOf(snap).find((j) => j.id === c.req.param('id'));
      const parsed = SimulationForm.safeParse(await c.req.parseBody());
      if (!parsed.success) return c.text('bad simulation form: events (text) is required', 400);
      if (!journey || !snap.check.config) return journeyPage(c, c.req.param('id'), parsed.data, journey ? { ok: false, problems: ['mailer.config.yaml has problems: fix them first (see the overview)'] } : undefined);
      return journeyPage(c, journey.id, parsed.data, simulateForm(journey, snap.check.config, parsed.data));
    });
  },
};
