/**
 * The marketer's workbench in headless Chromium, against tables made by a small run of the
 * demo shop (150 customers) in a temp data dir, and a temp copy of the project.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axe from 'axe-core';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { checkEligibility } from '#domain/campaign-choice.ts';
import { customerFacts } from '#domain/customer-facts.ts';
import { runJob } from '#cli/run/run-job.ts';
import { startWorkbench, type Workbench } from '#cli/ui/server.ts';
import { launchChromium } from '../support/chromium.ts';
import { copyProject } from '../support/project-copy.ts';

let workbench: Workbench;
let browser: Browser;
let projectRoot: string;
let dataDir: string;

beforeAll(async () => {
  projectRoot = copyProject({ journeys: true });
  dataDir = mkdtempSync(join(tmpdir(), 'lm-workbench-'));
  await runJob({ catalog: await buildCatalog(projectPaths(projectRoot)), dataDir, customers: 150, seed: 'workbench', quiet: true });
  const started = Date.now();
  workbench = await startWorkbench({ paths: projectPaths(projectRoot), location: { dataDir }, port: 0 });
  expect(Date.now() - started).toBeLessThan(3_000);
  browser = await launchChromium();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await workbench?.close();
});

/** A page that records every console error (a CSP violation is one) and every page error. */
async function open(path: string): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${workbench.url}${path}`);
  return { page, context, errors };
}

const frame = async (page: Page, device: 'desktop' | 'mobile'): Promise<Frame> => {
  const handle = await page.locator(`iframe[data-device="${device}"]`).elementHandle();
  const f = await handle!.contentFrame();
  await f!.waitForLoadState();
  return f!;
};

/** axe-core in the page (evaluated over the DevTools protocol, so the page's CSP stays as it is); serious and critical violations. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  // Strings, not functions: the tests are compiled without the DOM types.
  const result = await page.evaluate<axe.AxeResults>('axe.run(document, { iframes: false })');
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('the workbench in Chromium', () => {
  it('opens every page with no console error and no serious or critical axe violation, and is served on 127.0.0.1 only', async () => {
    expect(new URL(workbench.url).hostname).toBe('127.0.0.1');
    const someone = (await workbench.ctx.data.allCustomers())[0]!.customerId;
    const paths = [
      ...workbench.ctx.nav.map((n) => n.path),
      '/preview?campaign=abandoned-cart&persona=hostile-name',
      `/audience?campaign=win-back&customer=${someone}`,
      `/customers?q=${someone}`,
      `/customers/${someone}`,
      '/journeys/abandoned-cart',
      // The report's own document, opened by itself (on its page it is in a frame axe does not enter).
      '/report/document',
    ];
    expect(paths).toEqual(expect.arrayContaining(['/', '/preview', '/audience', '/journeys', '/customers', '/report', '/failed-events']));
    // The check itself can fail: an input without a label is caught.
    const control = await open('/');
    await control.page.evaluate(`document.querySelector('main').insertAdjacentHTML('beforeend', '<input type="text">')`);
    expect(await axeViolations(control.page)).toEqual([expect.stringMatching(/^label: /)]);
    await control.context.close();
    // Three pages at a time: each waits on the workbench and on axe in its own renderer.
    const limit = pLimit(3);
    await Promise.all(
      paths.map((path) =>
        limit(async () => {
          const { page, context, errors } = await open(path);
          try {
            await expect(page.locator('h1').count(), path).resolves.toBe(1);
            expect(await axeViolations(page), path).toEqual([]);
            expect(errors, path).toEqual([]);
          } finally {
            await context.close();
          }
        }),
      ),
    );
  }, 120_000);

  it('draws every journey with the last run\'s counts from the tables: entries on the entry, sends on the steps that send', async () => {
    const [entries, sends] = await Promise.all([workbench.ctx.data.journeyEntries(), workbench.ctx.data.allSends()]);
    const byJourney = new Map<string, typeof entries>();
    for (const e of entries) byJourney.set(e.journeyId, [...(byJourney.get(e.journeyId) ?? []), e]);
    const [busiest, itsEntries] = [...byJourney].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
    expect(itsEntries?.length).toBeGreaterThan(0);
    const journeySends = sends.filter((x) => new RegExp(`^${busiest}-\\d+-steps`).test(x.period) && (x.status === 'sent' || x.status === 'unknown'));
    const { page, context, errors } = await open('/journeys');
    try {
      const flow = page.locator(`[data-journey="${busiest}"]`);
      await expect(flow.locator('[data-step="entry"] > .node [data-count="entered"]').textContent()).resolves.toBe(String(itsEntries!.length));
      const sent = (await flow.locator('[data-count="sent"]').allTextContents()).map(Number);
      expect(sent.reduce((a, b) => a + b, 0)).toBe(journeySends.length);
      // Held-out sends (the journey's holdout) are counted on their steps, apart from the sent ones.
      const heldOut = (await flow.locator('[data-count="held-out"]').allTextContents()).map(Number);
      expect(heldOut.reduce((a, b) => a + b, 0)).toBe(sends.filter((x) => new RegExp(`^${busiest}-\\d+-steps`).test(x.period) && x.status === 'held-out').length);
      // Every journey file is drawn, and listed on the overview with its last run.
      expect(await page.locator('[data-journey]').count()).toBe(workbench.ctx.project.current.check.journeys.length);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
    const overview = await open('/');
    try {
      const row = overview.page.locator('[data-testid="overview-journeys"] tr', { has: overview.page.locator(`code`, { hasText: new RegExp(`^${busiest}$`) }) });
      await expect(row.locator('td').last().textContent()).resolves.toMatch(new RegExp(`^${itsEntries!.length} entr(y|ies): \\d+ active, \\d+ completed, \\d+ exited`));
    } finally {
      await overview.context.close();
    }
  });

  it('simulates a customer from the form, with the keyboard: an abandoned cart and an order 3 hours later give a send and an exit', async () => {
    const { page, context, errors } = await open('/journeys/abandoned-cart');
    try {
      const t = '2026-03-03T15:00:00Z';
      const lines = [{ at: t, type: 'Cart Abandoned', detail: { items: [{ sku: 'TEA-003', name: 'Matcha', quantity: 1, price: 32 }] } }, { at: '2026-03-03T18:00:00Z', type: 'Order Placed', detail: { total: 32 } }];
      await page.getByLabel('Events (JSON lines)').fill(lines.map((l) => JSON.stringify(l)).join('\n'));
      // From the events field, Tab reaches the button and Enter runs it.
      await page.getByLabel('Events (JSON lines)').focus();
      await page.keyboard.press('Tab');
      await expect(page.evaluate<string>('document.activeElement?.textContent ?? ""')).resolves.toBe('Run the simulation');
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="timeline"]').waitFor();
      const kinds = await page.locator('[data-testid="timeline"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')));
      expect(kinds).toEqual(['entered', 'wait', 'send', 'wait', 'exit']);
      await expect(page.locator('[data-testid="timeline"] tr[data-kind="send"] td').nth(3).textContent()).resolves.toBe('abandoned-cart');
      await expect(page.locator('[data-testid="timeline"] tr[data-kind="exit"] td').last().textContent()).resolves.toBe('goal: Order Placed');
      expect(await axeViolations(page)).toEqual([]);
      // A bad line: the validation error with its line number and field, the form kept as typed.
      await page.getByLabel('Events (JSON lines)').fill(`${JSON.stringify(lines[0])}\n{"at": "yesterday", "type": "Order Placed"}`);
      await page.getByRole('button', { name: 'Run the simulation' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/events: line 2: at: .*"yesterday"/);
      await expect(page.getByLabel('Events (JSON lines)').inputValue()).resolves.toContain('yesterday');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows the report with its charts for a chosen period, from keyboard-reachable date fields', async () => {
    const { page, context, errors } = await open('/report');
    try {
      const focused: string[] = [];
      for (let i = 0; i < 24; i++) {
        await page.keyboard.press('Tab');
        focused.push(await page.evaluate<string>("`${document.activeElement?.tagName.toLowerCase()}:${document.activeElement?.getAttribute('name') ?? document.activeElement?.textContent?.trim()}`"));
      }
      expect(focused).toEqual(expect.arrayContaining(['input:from', 'input:to', 'button:Show the report']));
      const from = await page.locator('input[name="from"]').inputValue();
      expect(from).toMatch(/^\d{4}-\d\d-\d\d$/);
      const report = await (await page.locator('iframe[data-report]').elementHandle())!.contentFrame();
      await report!.waitForLoadState();
      expect(await report!.locator('figure[data-chart] svg').count()).toBeGreaterThanOrEqual(6);
      // A shorter period: the form's GET, and the report says it.
      await page.locator('input[name="to"]').fill(from);
      await page.locator('input[name="to"]').press('Enter');
      await page.waitForURL(new RegExp(`to=${from}`));
      const shorter = await (await page.locator('iframe[data-report]').elementHandle())!.contentFrame();
      await shorter!.waitForLoadState();
      await expect(shorter!.locator('.meta').textContent()).resolves.toContain(`Period ${from} to `);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
    const bad = await fetch(`${workbench.url}/report/document?from=2026-02-30`);
    expect(bad.status).toBe(400);
    await expect(bad.text()).resolves.toBe("from: '2026-02-30' is not a date YYYY-MM-DD");
  });

  it('lists a customer\'s journey entries on their page', async () => {
    const entries = await workbench.ctx.data.journeyEntries();
    const who = entries[0]!.customerId;
    const theirs = entries.filter((e) => e.customerId === who);
    const { page, context } = await open(`/customers/${encodeURIComponent(who)}`);
    try {
      const rows = page.locator('[data-testid="journey-entries"] tbody tr');
      await expect(rows.count()).resolves.toBe(theirs.length);
      await expect(rows.first().locator('td').first().textContent()).resolves.toBe([...theirs].sort((a, b) => a.enteredAt.localeCompare(b.enteredAt))[0]!.status);
    } finally {
      await context.close();
    }
  });

  it('lists on the overview the languages the local customers read that a campaign lacks', async () => {
    const { page, context } = await open('/');
    try {
      const warnings = await page.locator('ul.warnings li').allTextContents();
      expect(warnings).toContainEqual(expect.stringMatching(/^campaigns\/win-back\.yaml: locales: no copy for customers in .*de-DE.*ja-JP.* \(customers in local tables in .*\): they get the English email$/));
      expect(warnings.filter((w) => w.startsWith('campaigns/welcome.yaml: locales:')).join('')).not.toMatch(/de-DE|ja-JP/);
    } finally {
      await context.close();
    }
  });

  it('works with the keyboard: the pickers and the Show button are reachable by Tab, and Enter submits', async () => {
    const { page, context } = await open('/preview');
    try {
      const focused: string[] = [];
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press('Tab');
        focused.push(await page.evaluate<string>("`${document.activeElement?.tagName.toLowerCase()}:${document.activeElement?.getAttribute('name') ?? document.activeElement?.textContent?.trim()}`"));
      }
      expect(focused).toEqual(expect.arrayContaining(['select:campaign', 'select:persona', 'input:customer', 'select:locale', 'button:Show']));
      await page.locator('select[name="persona"]').focus();
      await page.locator('select[name="persona"]').selectOption('non-latin-name');
      await page.locator('button', { hasText: 'Show' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/persona=non-latin-name/);
    } finally {
      await context.close();
    }
  });

  it('previews the hostile persona escaped (in the email and the inbox line) and the Japanese name intact', async () => {
    const { page, context } = await open('/preview?campaign=win-back&persona=hostile-name');
    try {
      await expect(page.locator('.inbox .subject').textContent()).resolves.toBe(`We miss you, <script>alert(1)</script> Bcc: x@evil.example "O'Brien" & Co`);
      const desktop = await frame(page, 'desktop');
      await expect(desktop.locator('body').textContent()).resolves.toContain('<script>alert(1)</script>');
      await expect(desktop.locator('script').count()).resolves.toBe(0);
      await expect(page.locator('script').count()).resolves.toBe(1); // the page's own (nonce) script only
      await expect(page.locator('[data-testid="text-part"]').textContent()).resolves.toContain('<script>alert(1)</script>');
    } finally {
      await context.close();
    }
  });

  it('gives the Japanese persona the Japanese welcome, and the mobile rendering has no horizontal scroll', async () => {
    const { page, context } = await open('/preview?campaign=welcome&persona=non-latin-name');
    try {
      await expect(page.locator('.inbox .subject').textContent()).resolves.toMatch(/^ご登録ありがとうございます/);
      await expect(page.locator('.inbox .preheader').textContent()).resolves.toBe('クーポンコード WELCOME10 をぜひご利用ください。');
      const mobile = await frame(page, 'mobile');
      await expect(mobile.locator('body').textContent()).resolves.toContain('山田 花子様');
      await expect(mobile.locator('html').getAttribute('lang')).resolves.toBe('ja-JP');
      const widths = await mobile.evaluate<{ scroll: number; client: number }>('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
      expect(widths.client).toBeGreaterThan(300);
      expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    } finally {
      await context.close();
    }
  });

  it('sends exactly one marked test email to the local SES inbox and the outbox, and writes nothing to the ledger', async () => {
    const ledgerBefore = await workbench.ctx.data.allSends();
    const outboxBefore = new Set(readdirSync(join(dataDir, 'outbox')));
    const { page, context, errors } = await open('/preview?campaign=abandoned-cart&persona=growing');
    try {
      await page.getByLabel('Send this email to').fill('marketer@example.com');
      await page.getByRole('button', { name: 'Send test email' }).click();
      await page.getByRole('status').waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
    const store = (await (await fetch(`${workbench.ctx.testSender.sesEndpoint}/store`)).json()) as { emails: { destination: { to: string[] }; subject: string }[] };
    expect(store.emails).toHaveLength(1);
    expect(store.emails[0]!.subject).toBe('[TEST] You left something in your cart, Zoë');
    const fresh = readdirSync(join(dataDir, 'outbox')).filter((f) => !outboxBefore.has(f));
    expect(fresh).toHaveLength(1);
    const eml = readFileSync(join(dataDir, 'outbox', fresh[0]!), 'utf8');
    expect(eml).toMatch(/^X-Lifecycle-Test: true$/im);
    expect(eml).toMatch(/^To: marketer@example\.com$/im);
    expect(eml).not.toMatch(/^X-Send-Id:/im);
    expect(await workbench.ctx.data.allSends()).toEqual(ledgerBefore);
  });

  it('refuses a test send without the form token, and a sixth within a minute', async () => {
    const plain = await fetch(`${workbench.url}/test-send`, { method: 'POST', body: new URLSearchParams({ to: 'x@example.com', campaign: 'welcome' }) });
    expect(plain.status).toBe(403);
    const form = () => new URLSearchParams({ to: 'x@example.com', campaign: 'welcome', persona: 'prospect', csrf: workbench.ctx.csrfToken });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${workbench.url}/test-send`, { method: 'POST', body: form(), redirect: 'manual' })).status);
    // One went in the test before: four more are allowed, then 429.
    expect(statuses).toEqual([303, 303, 303, 303, 429]);
  });

  it('explains a customer blocked by a cooldown, rule by rule', async () => {
    const catalog = workbench.ctx.project.current.catalog!;
    const at = await workbench.ctx.asOf();
    const customers = await workbench.ctx.data.allCustomers();
    const blocked = catalog.campaigns.flatMap((campaign) =>
      customers.filter((p) => { const v = checkEligibility(campaign, p, customerFacts(p, at), at, catalog.config.frequency); return !v.eligible && v.reason === 'cooldown'; }).map((p) => ({ campaign, p })),
    )[0];
    expect(blocked).toBeDefined();
    const { page, context } = await open(`/audience?campaign=${blocked!.campaign.id}&customer=${blocked!.p.customerId}`);
    try {
      const row = page.locator('[data-testid="verdicts"] tr', { has: page.locator('th', { hasText: /^cooldown$/ }) });
      await expect(row.locator('td').nth(0).textContent()).resolves.toBe('blocks');
      await expect(row.locator('td').nth(1).textContent()).resolves.toMatch(/^last sent .*, \d+ of \d+ cooldown days ago$/);
      await expect(row.locator('td').nth(2).textContent()).resolves.toBe('cooldown');
      await expect(page.locator('h2#why').textContent()).resolves.toContain('would not get it');
    } finally {
      await context.close();
    }
  });

  it('shows a template edited on disk without a manual reload, and a validation error in place of a broken one', async () => {
    const { page, context } = await open('/preview?campaign=welcome&persona=prospect&variant=a');
    const file = join(projectRoot, 'templates/welcome.mjml');
    const original = readFileSync(file, 'utf8');
    try {
      await expect((await frame(page, 'desktop')).locator('body').textContent()).resolves.toContain('Start shopping');
      writeFileSync(file, original.replace('Start shopping', 'Browse the new teas'));
      await page.waitForURL(/./, { waitUntil: 'load' });
      await expect.poll(async () => (await frame(page, 'desktop')).locator('body').textContent(), { timeout: 10_000 }).toContain('Browse the new teas');
      writeFileSync(file, original.replace('Start shopping</mj-button>', 'Start shopping</mj-buton>'));
      await expect.poll(() => page.locator('[role="alert"]').first().textContent().catch(() => ''), { timeout: 10_000 }).toContain('templates/welcome.mjml');
      await expect(page.locator('iframe').count()).resolves.toBe(0);
    } finally {
      writeFileSync(file, original);
      await context.close();
    }
  });
});
