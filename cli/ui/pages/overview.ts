import { html } from 'hono/html';
import type { Campaign } from '#domain/campaign.ts';
import { journeyNodes } from '#domain/journey.ts';
import { describeEntry } from '#domain/journey-mermaid.ts';
import { journeyHeadline } from '../journey-flow.ts';
import { journeyNumbers } from './journeys.ts';
import type { WorkbenchPage } from '../context.ts';
import { AUTO_RELOAD_SCRIPT, page, problemList } from '../layout.ts';

export const describeTrigger = (c: Campaign) =>
  c.trigger.type === 'event'
    ? `on ${c.trigger.event}${c.trigger.delayMinutes ? `, after ${c.trigger.delayMinutes} min` : ''}`
    : `schedule ${c.trigger.cron} (${c.trigger.timeZone})`;

export const describeAudience = (c: Campaign) =>
  [`stages ${c.audience.stages.join(', ')}`, ...c.audience.conditions.map((x) => `${x.field} ${x.op}${x.value === undefined ? '' : ` ${JSON.stringify(x.value)}`}`), ...(c.audience.after ? [`${c.audience.after.days} days after ${c.audience.after.campaign}`] : []), `topic ${c.audience.topic}`].join('; ');

/** Every campaign and journey with its validation status (validateProject's own messages), trigger or entry, audience and the last run's numbers. */
export const overviewPage: WorkbenchPage = {
  nav: { path: '/', label: 'Overview' },
  register(app, ctx) {
    app.get('/', async (c) => {
      const snap = ctx.project.current;
      const [numbers, journeys] = await Promise.all([ctx.data.campaignNumbers(), journeyNumbers(ctx, snap.check.journeys)]);
      const general = snap.check.problems.filter((p) => !snap.files.some((f) => f.problems.includes(p)));
      const body = html`
<p>${snap.check.problems.length ? html`<strong class="bad">${snap.check.problems.length} problem${snap.check.problems.length === 1 ? '' : 's'}</strong>: nothing can be built or sent until they are fixed.` : html`<strong class="ok">The project is valid</strong>: ${snap.files.length} campaigns, ${snap.check.journeys.length} journeys, ${snap.catalog?.templates.length ?? 0} templates.`}
 <span class="muted">Checked ${snap.builtAt}; this page reloads when a file changes.</span></p>
${general.length ? html`<h2>Problems outside the campaign files</h2>${problemList(general, 'problems')}` : ''}
<h2>Campaigns</h2>
<p class="muted">Last run's numbers from ${numbers.source}.</p>
<table>
<thead><tr><th scope="col">Campaign</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col">Audience</th><th scope="col">Languages</th><th scope="col">Sent</th><th scope="col">Opens</th><th scope="col">Clicks</th></tr></thead>
<tbody>
${snap.files.map((f) => {
  const n = f.campaign ? numbers.byCampaign[f.campaign.id] : undefined;
  return html`<tr>
<th scope="row">${f.campaign ? html`<a href="/preview?campaign=${encodeURIComponent(f.campaign.id)}">${f.campaign.name}</a><br><code>${f.campaign.id}</code>` : html`<code>${f.file}</code>`}</th>
<td>${f.problems.length ? html`<span class="bad">${f.problems.length} problem${f.problems.length === 1 ? '' : 's'}</span>${problemList(f.problems, 'problems')}` : html`<span class="ok">valid</span>`}${f.campaign && !f.campaign.enabled ? html` <span class="warn">(disabled)</span>` : ''}${problemList(f.warnings, 'warnings')}</td>
<td>${f.campaign ? describeTrigger(f.campaign) : ''}</td>
<td>${f.campaign ? html`${describeAudience(f.campaign)} <a href="/audience?campaign=${encodeURIComponent(f.campaign.id)}">who gets it</a>` : ''}</td>
<td>${f.campaign ? ['en', ...Object.keys(f.campaign.locales)].join(', ') : ''}</td>
<td>${n?.sent ?? 0}</td><td>${n?.opens ?? 0}</td><td>${n?.clicks ?? 0}</td>
</tr>`;
})}
</tbody></table>
<h2>Journeys</h2>
${snap.check.journeys.length ? html`<table data-testid="overview-journeys">
<thead><tr><th scope="col">Journey</th><th scope="col">Status</th><th scope="col">Entry</th><th scope="col">Steps</th><th scope="col">Last run</th></tr></thead>
<tbody>
${snap.check.journeys.map((j) => {
  const file = `journeys/${j.id}.yaml`;
  const problems = snap.check.problems.filter((p) => p.file === file);
  const n = journeys.get(j.id);
  return html`<tr>
<th scope="row"><a href="/journeys/${encodeURIComponent(j.id)}">${j.name}</a><br><code>${j.id}</code></th>
<td>${problems.length ? html`<span class="bad">${problems.length} problem${problems.length === 1 ? '' : 's'}</span>${problemList(problems, 'problems')}` : html`<span class="ok">valid</span>`}${j.enabled ? '' : html` <span class="warn">(disabled)</span>`}</td>
<td>${describeEntry(j)}</td><td>${journeyNodes(j).size}</td><td>${n ? journeyHeadline(n) : ''}</td>
</tr>`;
})}
</tbody></table>` : html`<p class="muted">No journeys in <code>journeys/</code>.</p>`}
${snap.check.warnings.length ? html`<h2>Warnings</h2>${problemList(snap.check.warnings, 'warnings')}` : ''}`;
      return c.html(page(c, { title: 'Overview', nav: ctx.nav, active: '/', body, where: ctx.data.where, script: AUTO_RELOAD_SCRIPT(snap.version) }));
    });
  },
};
