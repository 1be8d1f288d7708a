import { html } from 'hono/html';
import { z } from 'zod';
import type { WorkbenchPage } from '../context.ts';
import { page } from '../layout.ts';
import { EmailChoice, renderChoice } from '../render-email.ts';
import { asTestEmail } from '../test-send.ts';

const TestSendForm = EmailChoice.extend({ to: z.email().max(254), csrf: z.string() });

/** POST /test-send: one marked test email to a typed address, as a persona or customer, rate-limited. */
export const testSendPage: WorkbenchPage = {
  register(app, ctx) {
    app.post('/test-send', async (c) => {
      const form = Object.fromEntries(Object.entries(await c.req.parseBody()).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
      const fail = (status: 400 | 404 | 409 | 429 | 502, message: string) =>
        c.html(page(c, { title: 'Test email not sent', nav: ctx.nav, active: '/preview', body: html`<p class="error-box" role="alert">${message}</p><p><a href="/preview">Back to the preview</a></p>`, where: ctx.data.where }), status);
      const parsed = TestSendForm.safeParse(form);
      if (!parsed.success) return fail(400, `The form is not complete: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const { to, csrf: _csrf, ...choice } = parsed.data;
      const allowed = ctx.testSender.check(Date.now());
      if (!allowed.allowed) {
        c.header('Retry-After', String(allowed.retryAfterSeconds));
        return fail(429, `At most 5 test emails a minute: try again in ${allowed.retryAfterSeconds} s.`);
      }
      const rendered = await renderChoice(ctx.project.current, ctx.data, choice, ctx.now());
      if (!rendered.ok) return fail(rendered.status, rendered.message);
      let messageId: string;
      try {
        messageId = await ctx.testSender.send(asTestEmail(rendered.email, to), Date.now());
      } catch (error) {
        return fail(502, `SES did not take the test email: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      }
      const back = new URLSearchParams(Object.entries({ ...choice, sent: messageId }).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
      return c.redirect(`/preview?${back.toString()}`, 303);
    });
  },
};
