import { html } from 'hono/html';
import { PERSONAS } from '#authoring/personas.ts';
import type { WorkbenchContext, WorkbenchPage } from '../context.ts';
import { AUTO_RELOAD_SCRIPT, page, problemList } from '../layout.ts';
import { EmailChoice, fromName, renderChoice } from '../render-email.ts';

/** The preview frames: the email alone, with no script, in an opaque origin (sandbox), images from https only. */
const FRAME_CSP = "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; font-src https: data:; sandbox";

export const DEVICES = { desktop: 600, mobile: 375 } as const;

const query = (choice: EmailChoice, extra: Record<string, string> = {}) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...choice, ...extra })) if (v) q.set(k, v);
  return q.toString();
};

const choiceOf = (params: Record<string, string>) => EmailChoice.parse(Object.fromEntries(Object.entries(params).filter(([k]) => k in EmailChoice.shape)));

/** The pickers, the inbox line, desktop and mobile renderings, the text part and the test-send form. */
export const previewPage: WorkbenchPage = {
  nav: { path: '/preview', label: 'Email preview' },
  register(app, ctx: WorkbenchContext) {
    app.get('/preview/frame', async (c) => {
      const parsed = EmailChoice.safeParse(c.req.query());
      c.header('Content-Security-Policy', FRAME_CSP);
      if (!parsed.success) return c.text('bad preview choice', 400);
      const rendered = await renderChoice(ctx.project.current, ctx.data, parsed.data, ctx.now());
      if (!rendered.ok) return c.html(html`<!doctype html><html lang="en"><title>No preview</title><body><p>${rendered.message}</p></body></html>`, rendered.status);
      return c.body(rendered.email.html, 200, { 'Content-Type': 'text/html; charset=utf-8' });
    });

    app.get('/preview', async (c) => {
      const snap = ctx.project.current;
      const params = c.req.query();
      const parsed = EmailChoice.safeParse(params);
      const choice = parsed.success ? choiceOf(params) : {};
      const campaigns = snap.catalog?.campaigns ?? snap.files.flatMap((f) => (f.campaign ? [f.campaign] : []));
      const selected = campaigns.find((x) => x.id === choice.campaign) ?? campaigns[0];
      const rendered = await renderChoice(snap, ctx.data, { ...choice, ...(selected ? { campaign: selected.id } : {}) }, ctx.now());
      const customers = (await ctx.data.allCustomers()).slice(0, 500);
      const locales = ['', 'en-US', ...Object.keys(selected?.locales ?? {})];
      const sent = params.sent;
      const shownChoice: EmailChoice = { ...choice, ...(selected ? { campaign: selected.id } : {}) };
      const body = html`
<form class="pickers" method="get" action="/preview" aria-label="What to preview">
  <label>Campaign <select name="campaign">${campaigns.map((x) => html`<option value="${x.id}"${x.id === selected?.id ? ' selected' : ''}>${x.name} (${x.id})</option>`)}</select></label>
  <label>Persona <select name="persona"><option value="">(by the campaign's first stage)</option>${PERSONAS.map((p) => html`<option value="${p.id}"${p.id === choice.persona ? ' selected' : ''}>${p.id}: ${p.description}</option>`)}</select></label>
  <label>or a real customer (id) <input name="customer" list="customer-ids" value="${choice.customer ?? ''}" autocomplete="off"></label>
  <datalist id="customer-ids">${customers.map((x) => html`<option value="${x.customerId}">${x.firstName ?? ''} ${x.lastName ?? ''} (${x.locale}, ${x.stage})</option>`)}</datalist>
  <label>Variant <select name="variant"><option value="">(as assigned)</option>${(selected?.variants ?? []).map((v) => html`<option value="${v.id}"${v.id === choice.variant ? ' selected' : ''}>${v.id}</option>`)}</select></label>
  <label>Locale <select name="locale">${locales.map((l) => html`<option value="${l}"${l === (choice.locale ?? '') ? ' selected' : ''}>${l || "(the recipient's own)"}</option>`)}</select></label>
  <button type="submit">Show</button>
</form>
${sent ? html`<p class="notice" role="status">Test email sent (message ${sent}).${ctx.testSender.inboxUrl ? html` See it in the <a href="${ctx.testSender.inboxUrl}">local SES inbox</a>.` : ''}</p>` : ''}
${!parsed.success ? html`<p class="error-box">Some choices were not understood and were ignored.</p>` : ''}
${snap.check.problems.length ? html`<div class="error-box" role="alert"><h2>The project has problems</h2><p>No email is shown until they are fixed (a preview must never be stale).</p>${problemList(snap.check.problems, 'problems')}</div>` : ''}
${rendered.ok ? html`
<p>${rendered.campaign.name}, variant <strong>${rendered.variant}</strong>, written in <strong>${rendered.locale}</strong>, for ${rendered.who} (${rendered.profile.locale}, ${rendered.profile.stage}).</p>
${rendered.notes.map((n) => html`<p class="notice">${n}</p>`)}
<h2>In the inbox</h2>
<div class="inbox" data-testid="inbox-line"><div class="from">${fromName(rendered.email.from)}</div><div class="subject">${rendered.email.subject}</div><div class="preheader">${previewText(rendered.email.html)}</div></div>
<h2>Desktop and mobile</h2>
<div class="frames">
${Object.entries(DEVICES).map(([device, width]) => html`<figure><figcaption>${device} (${width} px)</figcaption><iframe title="${device} rendering of the email" data-device="${device}" width="${width}" sandbox="" referrerpolicy="no-referrer" src="/preview/frame?${query(shownChoice)}"></iframe></figure>`)}
</div>
<h2>Plain-text part</h2>
<pre class="text" data-testid="text-part">${rendered.email.text}</pre>
<h2>Send a test</h2>
<form class="stack" method="post" action="/test-send">
  <input type="hidden" name="csrf" value="${ctx.csrfToken}">
  ${Object.entries(shownChoice).map(([k, v]) => (v ? html`<input type="hidden" name="${k}" value="${v}">` : ''))}
  <label>Send this email to <input type="email" name="to" required autocomplete="email" placeholder="you@example.com"></label>
  <p class="muted">Marked as a test ([TEST] in the subject, an X-Lifecycle-Test header); never recorded in the ledger, never counted in caps, the guardrail or reports. At most 5 a minute.</p>
  <button type="submit">Send test email</button>
</form>` : html`<p class="error-box" role="alert">${rendered.message}</p>`}`;
      return c.html(page(c, { title: 'Email preview', nav: ctx.nav, active: '/preview', body, where: ctx.data.where, script: AUTO_RELOAD_SCRIPT(snap.version) }));
    });
  },
};

/** The preheader as a mail client shows it next to the subject: the hidden preview text at the top of the body. */
function previewText(emailHtml: string): string {
  const m = /<div style="display:none;[^"]*"[^>]*>([\s\S]*?)<\/div>/.exec(emailHtml);
  return (m?.[1] ?? '').replace(/<[^>]+>/g, '').replace(/&nbsp;|&#8202;|&zwnj;|\u200c|\s+/g, ' ').replace(/&amp;/g, '&').replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').trim();
}
