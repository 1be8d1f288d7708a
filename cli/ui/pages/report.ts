import { html } from 'hono/html';
import { z } from 'zod';
import { reportPeriod } from '#cli/report-command.ts';
import { buildReport } from '#cli/report/build-report.ts';
import type { CrmReport } from '#cli/report/crm-report.ts';
import { renderReportHtml } from '#cli/report/render-html.ts';
import type { WorkbenchContext, WorkbenchPage } from '../context.ts';
import { page } from '../layout.ts';

/**
 * The report document's own policy: the report page of `lifecycle-mailer report --html`
 * exactly as the command writes it (its charts are SVG with inline styles), with no script
 * at all, shown only inside the workbench's own report page.
 */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/** The period form: days YYYY-MM-DD (an empty field: the report's default). */
export const ReportPeriod = z
  .object({
    from: z.union([z.literal(''), z.iso.date({ error: (i) => `from: '${String(i.input)}' is not a date YYYY-MM-DD` })]).default(''),
    to: z.union([z.literal(''), z.iso.date({ error: (i) => `to: '${String(i.input)}' is not a date YYYY-MM-DD` })]).default(''),
  })
  .refine((p) => !p.from || !p.to || p.from <= p.to, { error: (i) => `from ${String((i.input as { from: string }).from)} is after to ${String((i.input as { to: string }).to)}` });
export type ReportPeriod = z.infer<typeof ReportPeriod>;

const periodQuery = (p: ReportPeriod) => new URLSearchParams(Object.entries(p).filter(([, v]) => v)).toString();

async function reportFor(ctx: WorkbenchContext, p: ReportPeriod): Promise<CrmReport | string> {
  const config = ctx.project.current.check.config;
  if (!config) return 'mailer.config.yaml has problems: fix them first (see the overview)';
  const now = ctx.now();
  const snapshot = await ctx.data.reportSnapshot(config, now);
  try {
    return buildReport(snapshot, { generatedAt: now, ...reportPeriod(p.from || undefined, p.to || undefined) });
  } catch (error) {
    // A period that ends before it starts (a first day after the last recorded event): said on the page.
    if (error instanceof RangeError) return error.message;
    throw error;
  }
}

// Sizes the report's frame to its document, so the page scrolls as one (same origin: the frame has no script of its own).
const FIT_FRAME_SCRIPT = `
(() => {
  const frame = document.querySelector('iframe[data-report]');
  if (!frame) return;
  const fit = () => { const doc = frame.contentDocument; if (doc && doc.documentElement) frame.style.height = doc.documentElement.scrollHeight + 24 + 'px'; };
  frame.addEventListener('load', fit);
  if (frame.contentDocument && frame.contentDocument.readyState === 'complete') fit();
  window.addEventListener('resize', fit);
})();`;

const REPORT_STYLE = `iframe[data-report] { width:100%; max-width:1000px; height:80vh; border:1px solid var(--line); }`;

/** The report of `lifecycle-mailer report` for a chosen period: the command's own HTML, every section it produces, in a same-origin frame. */
export const reportPage: WorkbenchPage = {
  nav: { path: '/report', label: 'Report' },
  register(app, ctx) {
    app.get('/report/document', async (c) => {
      c.header('Content-Security-Policy', REPORT_CSP);
      c.header('X-Frame-Options', 'SAMEORIGIN');
      const parsed = ReportPeriod.safeParse(c.req.query());
      if (!parsed.success) return c.text(parsed.error.issues.map((i) => i.message).join('\n'), 400);
      const report = await reportFor(ctx, parsed.data);
      if (typeof report === 'string') return c.text(report, 409);
      return c.body(renderReportHtml(report), 200, { 'Content-Type': 'text/html; charset=utf-8' });
    });

    app.get('/report', async (c) => {
      const parsed = ReportPeriod.safeParse(c.req.query());
      const asked = parsed.success ? parsed.data : { from: '', to: '' };
      // The period the report settles on (its defaults: the first send to the last event), shown in the form; its `to` is exclusive.
      const report = parsed.success ? await reportFor(ctx, asked) : undefined;
      const shown = typeof report === 'object' ? { from: report.period.from.slice(0, 10), to: new Date(Date.parse(report.period.to) - 1).toISOString().slice(0, 10) } : asked;
      const body = html`
<form class="pickers" method="get" action="/report" aria-label="Report period">
  <label>From (first day) <input type="date" name="from" value="${shown.from}"></label>
  <label>To (last day) <input type="date" name="to" value="${shown.to}"></label>
  <button type="submit">Show the report</button>
</form>
${!parsed.success ? html`<p class="error-box" role="alert">${parsed.error.issues.map((i) => i.message).join('; ')}</p>` : ''}
${typeof report === 'string' ? html`<p class="error-box" role="alert">${report}</p>` : ''}
${typeof report === 'object'
  ? html`<p>The report <code>lifecycle-mailer report --from ${shown.from} --to ${shown.to} --html report.html</code> writes, from ${ctx.data.where}: ${report.summary.emailsSent} emails sent in the period.</p>
<iframe data-report title="CRM report ${shown.from} to ${shown.to}" sandbox="allow-same-origin" src="/report/document?${periodQuery(asked)}"></iframe>`
  : ''}`;
      return c.html(page(c, { title: 'Report', nav: ctx.nav, active: '/report', body, where: ctx.data.where, style: REPORT_STYLE, script: FIT_FRAME_SCRIPT }));
    });
  },
};
