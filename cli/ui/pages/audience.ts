import { html } from 'hono/html';
import { explainEligibility, explainSendTime, type RuleVerdict } from '#domain/campaign-choice.ts';
import { customerFacts } from '#domain/customer-facts.ts';
import { LIFECYCLE_STAGES } from '#domain/customer-profile.ts';
import type { PauseRecord, PauseScope } from '#domain/deliverability-guardrail.ts';
import type { WorkbenchPage } from '../context.ts';
import { AUTO_RELOAD_SCRIPT, page } from '../layout.ts';
import { describeAudience } from './overview.ts';

const verdictRows = (verdicts: readonly RuleVerdict[]) =>
  verdicts.map((v) => html`<tr><th scope="row">${v.rule}</th><td class="${v.passed ? 'ok' : 'bad'}">${v.passed ? 'passes' : v.failure ? 'blocks' : 'holds'}</td><td>${v.explanation}</td><td>${v.failure ? html`<code>${v.failure.reason}${v.failure.detail ? `: ${v.failure.detail}` : ''}</code>` : ''}</td></tr>`);

/**
 * Who would get a campaign now, by stage, and for one customer every rule's verdict: the
 * pipeline's own eligibility code (explainEligibility, which checkEligibility is built on) and
 * the send function's send-time checks.
 */
export const audiencePage: WorkbenchPage = {
  nav: { path: '/audience', label: 'Who gets it' },
  register(app, ctx) {
    app.get('/audience', async (c) => {
      const snap = ctx.project.current;
      const campaigns = snap.catalog?.campaigns ?? snap.files.flatMap((f) => (f.campaign ? [f.campaign] : []));
      const config = snap.catalog?.config;
      const campaign = campaigns.find((x) => x.id === c.req.query('campaign')) ?? campaigns[0];
      const customerId = c.req.query('customer')?.trim();
      const at = await ctx.asOf();
      const customers = await ctx.data.allCustomers();
      const pauses = new Map<PauseScope, PauseRecord>((await ctx.data.pauses()).map((p) => [p.scope, p]));
      let body;
      if (!campaign || !config) {
        body = html`<p class="error-box" role="alert">The project has problems (see the <a href="/">overview</a>): nothing to judge until they are fixed.</p>`;
      } else {
        const judged = customers.map((p) => ({ p, verdicts: explainEligibility(campaign, p, customerFacts(p, at), at, config.frequency) }));
        const eligible = judged.filter((j) => j.verdicts.every((v) => v.passed));
        const reasons = new Map<string, number>();
        for (const j of judged) {
          const first = j.verdicts.find((v) => !v.passed)?.failure?.reason;
          if (first) reasons.set(first, (reasons.get(first) ?? 0) + 1);
        }
        const one = customerId ? customers.find((p) => p.customerId === customerId) : undefined;
        const oneVerdicts = one ? explainEligibility(campaign, one, customerFacts(one, at), at, config.frequency) : [];
        body = html`
<form class="pickers" method="get" action="/audience" aria-label="Campaign and customer">
  <label>Campaign <select name="campaign">${campaigns.map((x) => html`<option value="${x.id}"${x.id === campaign.id ? ' selected' : ''}>${x.name} (${x.id})</option>`)}</select></label>
  <label>Explain one customer (id) <input name="customer" value="${customerId ?? ''}" list="audience-ids" autocomplete="off"></label>
  <datalist id="audience-ids">${customers.slice(0, 500).map((p) => html`<option value="${p.customerId}"></option>`)}</datalist>
  <button type="submit">Show</button>
</form>
<p>Judged as of <strong>${at}</strong> (${ctx.data.local ? 'the end of the last local run' : 'now'}). Audience: ${describeAudience(campaign)}.</p>
${customerId ? (one ? html`
<section aria-labelledby="why"><h2 id="why">Why ${one.firstName ?? ''} ${one.lastName ?? ''} (<a href="/customers/${encodeURIComponent(one.customerId)}">${one.customerId}</a>) ${oneVerdicts.every((v) => v.passed) ? 'would get it' : 'would not get it'}</h2>
<table data-testid="verdicts"><thead><tr><th scope="col">Rule</th><th scope="col">Verdict</th><th scope="col">Why</th><th scope="col">Recorded as</th></tr></thead>
<tbody>${verdictRows(oneVerdicts)}</tbody></table>
<h3>Checked again at send time</h3>
<table><thead><tr><th scope="col">Rule</th><th scope="col">Verdict</th><th scope="col">Why</th><th scope="col">Recorded as</th></tr></thead>
<tbody>${verdictRows(explainSendTime(campaign, one, at, config, pauses))}</tbody></table></section>` : html`<p class="error-box" role="alert">No customer '${customerId}' in the tables.</p>`) : ''}
<h2>Eligible now: ${eligible.length} of ${customers.length}</h2>
<table><thead><tr><th scope="col">Stage</th><th scope="col">Customers</th><th scope="col">Eligible</th></tr></thead><tbody>
${LIFECYCLE_STAGES.map((stage) => html`<tr><th scope="row">${stage}${campaign.audience.stages.includes(stage) ? '' : html` <span class="muted">(not in the audience)</span>`}</th><td>${customers.filter((p) => p.stage === stage).length}</td><td>${eligible.filter((j) => j.p.stage === stage).length}</td></tr>`)}
</tbody></table>
<h2>Why not, for the others (the first rule that stops each)</h2>
<ul>${[...reasons].sort((a, b) => b[1] - a[1]).map(([reason, n]) => html`<li><code>${reason}</code>: ${n}</li>`)}</ul>
<h2>The eligible customers</h2>
${eligible.length ? html`<ul>${eligible.slice(0, 200).map((j) => html`<li><a href="/audience?campaign=${encodeURIComponent(campaign.id)}&amp;customer=${encodeURIComponent(j.p.customerId)}">${j.p.customerId}</a> ${j.p.firstName ?? ''} ${j.p.lastName ?? ''} (${j.p.stage})</li>`)}</ul>${eligible.length > 200 ? html`<p class="muted">and ${eligible.length - 200} more</p>` : ''}` : html`<p>No one, right now.</p>`}`;
      }
      return c.html(page(c, { title: 'Who would get it, and why not', nav: ctx.nav, active: '/audience', body, where: ctx.data.where, script: AUTO_RELOAD_SCRIPT(snap.version) }));
    });
  },
};

