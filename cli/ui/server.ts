import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { html } from 'hono/html';
import { streamSSE } from 'hono/streaming';
import type { ProjectPaths } from '#authoring/catalog-files.ts';
import type { WorkbenchContext } from './context.ts';
import { type DataLocation, openWorkbenchData, type WorkbenchData } from './data.ts';
import { page, type WorkbenchEnv } from './layout.ts';
import { PAGES } from './pages/index.ts';
import { ProjectState } from './project-state.ts';
import { TestSender } from './test-send.ts';

/** The workbench listens here only: its pages show customer data. */
export const WORKBENCH_HOST = '127.0.0.1';

const pageCsp = (nonce: string) =>
  [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, `img-src 'self' data:`, `frame-src 'self'`, `connect-src 'self'`, `form-action 'self'`, `base-uri 'none'`, `frame-ancestors 'none'`].join('; ');

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** The app: security headers and checks on every request, then each page module's routes. */
export function createWorkbenchApp(ctx: WorkbenchContext, port: () => number): Hono<WorkbenchEnv> {
  const app = new Hono<WorkbenchEnv>();
  app.use('*', async (c, next) => {
    // A page reached through another host name (DNS rebinding) must not read customer data.
    const host = c.req.header('host') ?? '';
    if (host !== `${WORKBENCH_HOST}:${port()}` && host !== `localhost:${port()}`) return c.text('unknown host', 421);
    c.set('nonce', randomBytes(16).toString('base64'));
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const origin = c.req.header('origin');
      if (origin && origin !== `http://${host}`) return c.text('cross-site request refused', 403);
      const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
      const token = typeof form.csrf === 'string' ? form.csrf : '';
      if (!sameToken(token, ctx.csrfToken)) return c.text('missing or wrong form token: reload the page and try again', 403);
    }
    await next();
    const headers = c.res.headers;
    if (!headers.has('Content-Security-Policy')) {
      headers.set('Content-Security-Policy', pageCsp(c.get('nonce')));
      headers.set('X-Frame-Options', 'DENY');
    }
    headers.set('X-Content-Type-Options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer a form POST carries `Origin: null`, and the origin check needs it.
    headers.set('Referrer-Policy', 'same-origin');
    headers.set('Cache-Control', 'no-store');
  });

  // Server-sent events: the project's version after every rebuild, so open pages reload themselves.
  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      let ended = false;
      const unsubscribe = ctx.project.onChange((snap) => void stream.writeSSE({ event: 'project', data: String(snap.version) }));
      stream.onAbort(() => {
        ended = true;
        unsubscribe();
      });
      await stream.writeSSE({ event: 'project', data: String(ctx.project.current.version) });
      while (!ended) {
        await stream.sleep(15_000);
        if (!ended) await stream.writeSSE({ event: 'ping', data: '' });
      }
    }),
  );

  for (const p of PAGES) p.register(app, ctx);

  app.notFound((c) => c.html(page(c, { title: 'Not found', nav: ctx.nav, active: '', body: html`<p>No page at <code>${c.req.path}</code>. <a href="/">Overview</a></p>`, where: ctx.data.where }), 404));
  app.onError((error, c) =>
    c.html(page(c, { title: 'Something went wrong', nav: ctx.nav, active: '', body: html`<p class="error-box" role="alert">${error.name}: ${error.message}</p>`, where: ctx.data.where }), 500),
  );
  return app;
}

export interface WorkbenchOptions {
  paths: ProjectPaths;
  location: DataLocation;
  /** 0: any free port. */
  port: number;
  /** Rebuild and reload on file changes (default true). */
  watch?: boolean;
}

export interface Workbench {
  url: string;
  ctx: WorkbenchContext;
  close(): Promise<void>;
}

/** The moment a local run's tables stand at: the newest profile update (the simulated clock's last tick). */
async function lastRunMoment(data: WorkbenchData): Promise<string> {
  const latest = (await data.allCustomers()).map((p) => p.updatedAt).sort().at(-1);
  return latest ?? new Date().toISOString();
}

/** Opens the tables, builds the project, and serves the workbench on 127.0.0.1. */
export async function startWorkbench(options: WorkbenchOptions): Promise<Workbench> {
  // The tables open (dynalite starts) while the project is checked: both are most of the start time.
  const [data, project] = await Promise.all([openWorkbenchData(options.location), ProjectState.load(options.paths)]);
  // Locally the customers' languages are a quick scan; a deployed table could be millions of items.
  const locales = data.local ? [...new Set((await data.allCustomers()).map((p) => p.locale))].sort() : [];
  if (locales.length) project.useCustomerLocales({ locales, source: `customers in ${data.where}` });
  if (options.watch ?? true) project.watch();
  const testSender = new TestSender(data.local && data.outboxDir ? { local: true, outboxDir: data.outboxDir } : { local: false, ...('region' in options.location && options.location.region ? { region: options.location.region } : {}) });
  let asOf: Promise<string> | undefined;
  const ctx: WorkbenchContext = {
    project,
    data,
    testSender,
    csrfToken: randomBytes(24).toString('base64url'),
    nav: PAGES.flatMap((p) => (p.nav ? [p.nav] : [])),
    asOf: () => (data.local ? (asOf ??= lastRunMoment(data)) : Promise.resolve(new Date().toISOString())),
    now: () => new Date().toISOString(),
  };
  let port = options.port;
  const app = createWorkbenchApp(ctx, () => port);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: WORKBENCH_HOST }, (info: AddressInfo) => {
      port = info.port;
      resolve(s);
    });
    s.once('error', reject);
  });
  return {
    url: `http://${WORKBENCH_HOST}:${port}`,
    ctx,
    close: async () => {
      project.close();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await testSender.close();
      await data.close();
    },
  };
}
