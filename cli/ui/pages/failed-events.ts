import { html } from 'hono/html';
import type { WorkbenchPage } from '../context.ts';
import { page } from '../layout.ts';

/** What the pipeline set aside, with its reasons (the failed-events table), newest first. */
export const failedEventsPage: WorkbenchPage = {
  nav: { path: '/failed-events', label: 'Failed events' },
  register(app, ctx) {
    app.get('/failed-events', async (c) => {
      const events = await ctx.data.failedEvents();
      const byStage = new Map<string, number>();
      for (const e of events) byStage.set(e.stage, (byStage.get(e.stage) ?? 0) + 1);
      const body = html`
<p>${events.length ? `${events.length} set aside: ${[...byStage].map(([s, n]) => `${s} ${n}`).join(', ')}.` : 'Nothing was set aside.'}</p>
${events.length ? html`<table><thead><tr><th scope="col">When</th><th scope="col">Where</th><th scope="col">Reason</th><th scope="col">Input</th></tr></thead><tbody>
${events.slice(0, 500).map((e) => html`<tr><td>${e.failedAt}</td><td>${e.stage}</td><td>${e.reason}</td><td><details><summary>${e.failureId}</summary><pre class="text">${e.payload.slice(0, 4000)}</pre></details></td></tr>`)}
</tbody></table>` : ''}`;
      return c.html(page(c, { title: 'Failed events', nav: ctx.nav, active: '/failed-events', body, where: ctx.data.where }));
    });
  },
};
