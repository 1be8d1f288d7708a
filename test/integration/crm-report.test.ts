/**
 * The CRM report on a small demo run: `report --json --html` on the run's data dir, the
 * JSON's numbers read back out of the HTML tables, and the page opened in headless Chromium.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { CrmReport } from '#cli/report/crm-report.ts';
import { renderReportHeadline } from '#cli/report/headline.ts';
import { registerReportCommand } from '#cli/report-command.ts';
import { runJob } from '#cli/run/run-job.ts';
import { launchChromium } from '../support/chromium.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;

/** A table cell as shown, back to the number: "1,234" → 1234, "12.34%" → 0.1234, "+2.10 pt" → 0.021, "n/a" → null. */
function parseCell(text: string): number | null {
  const t = text.trim();
  if (t === 'n/a' || t === '') return null;
  const scale = t.endsWith('%') || t.endsWith(' pt') ? 100 : 1;
  const n = Number(t.replace(/,/g, '').replace(/%$/, '').replace(/ pt$/, ''));
  if (Number.isNaN(n)) throw new Error(`not a number: '${text}'`);
  return n / scale;
}

type Tables = Record<string, Record<string, Record<string, string>>>;

/** Every report table as table → row → column → text, read from the rendered page. */
const readTables = (page: Page): Promise<Tables> =>
  page.$$eval('table[data-table]', (tables) =>
    Object.fromEntries(
      tables.map((t) => [
        t.getAttribute('data-table')!,
        Object.fromEntries([...t.querySelectorAll('tbody tr[data-row]')].map((tr) => [tr.getAttribute('data-row')!, Object.fromEntries([...tr.querySelectorAll('[data-key]')].map((c) => [c.getAttribute('data-key')!, c.textContent ?? '']))])),
      ]),
    ),
  );

describe('lifecycle-mailer report on a demo run', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lm-report-'));
  const htmlFile = join(dataDir, 'report.html');
  let report: CrmReport;
  let browser: Browser;
  let page: Page;
  const consoleProblems: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    await runJob({ catalog: await buildCatalog(projectPaths(repoRoot)), dataDir, customers: 150, seed: 'report', quiet: true });
    let out = '';
    const program = new Command('lifecycle-mailer').exitOverride();
    registerReportCommand(program, () => projectPaths(repoRoot), (text) => (out += text));
    await program.parseAsync(['report', '--data-dir', dataDir, '--json', '--html', htmlFile], { from: 'user' });
    report = CrmReport.parse(JSON.parse(out));
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleProblems.push(m.text());
    });
    page.on('pageerror', (e) => consoleProblems.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${htmlFile}`);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports what the run did', () => {
    expect(report.summary.customers).toBe(150);
    expect(report.summary.emailsSent).toBeGreaterThan(20);
    // A journey's send counts on its journey row and its step row; campaigns and journeys together count each send once.
    expect(report.sends.filter((r) => r.level !== 'step').reduce((a, r) => a + r.sent, 0)).toBe(report.summary.emailsSent);
    expect(report.sends.some((r) => r.level === 'step')).toBe(true);
    expect(report.lifecycle.matrix.flat().reduce((a, b) => a + b, 0)).toBe(150);
    expect(report.deliverability.days.length).toBeGreaterThan(0);
    expect(report.cohorts.rows.length).toBeGreaterThan(3);
    // The demo's journeys hold out 25%: the report compares mailed and held-out customers per journey and step.
    expect(report.uplift.available).toBe(true);
    expect(report.uplift.rows.some((r) => r.level === 'journey' && r.heldOutCustomers > 0 && r.treatedCustomers > 0)).toBe(true);
    // Orders are credited to sends at ingest (last touch).
    expect(report.attribution.available).toBe(true);
    expect(renderReportHeadline(report)).toMatch(/150 customers, \d+ emails sent/);
  });

  it('opens offline in Chromium: at least six chart SVGs, a table under each, no console error, no request but the page', async () => {
    const charts = await page.$$eval('figure[data-chart]', (figs) => figs.map((f) => ({ id: f.getAttribute('data-chart'), svg: f.querySelectorAll('svg').length, paths: f.querySelectorAll('svg path, svg rect').length, tableAfter: f.parentElement?.querySelector('figure ~ .table-wrap table') !== null, caption: f.querySelector('figcaption')?.textContent?.length ?? 0 })));
    expect(charts.length).toBeGreaterThanOrEqual(6);
    for (const c of charts) {
      expect(c.svg, c.id!).toBe(1);
      expect(c.paths, c.id!).toBeGreaterThan(5);
      expect(c.tableAfter, c.id!).toBe(true);
      expect(c.caption, c.id!).toBeGreaterThan(80);
    }
    expect(charts.map((c) => c.id)).toContain('uplift');
    expect(charts.map((c) => c.id)).toContain('last-touch');
    expect(consoleProblems).toEqual([]);
    expect(requests).toEqual([`file://${htmlFile}`]);
    const html = readFileSync(htmlFile, 'utf8');
    expect(html).not.toMatch(/<script|\son[a-z]+\s*=|(src|href)\s*=\s*["']?https?:/i);
  });

  it('shows in its tables exactly the numbers of the JSON report', async () => {
    const t = await readTables(page);
    const same = (shown: string | undefined, value: number | null, where: string) => {
      expect(shown, where).toBeDefined();
      const parsed = parseCell(shown!);
      if (value === null) expect(parsed, where).toBeNull();
      else expect(parsed, where).toBeCloseTo(value, 9);
    };
    let compared = 0;
    const check = (shown: string | undefined, value: number | null, where: string) => {
      same(shown, value, where);
      compared++;
    };

    for (const [key, value] of Object.entries(report.summary)) check(t.summary?.[key]?.value, value, `summary ${key}`);
    for (const row of report.sends) {
      for (const k of ['sent', 'delivered', 'opens', 'humanOpens', 'machineOpens', 'clicks', 'unsubscribes', 'bounces', 'complaints', 'attributedOrders', 'attributedRevenue'] as const) check(t.sends?.[row.key]?.[k], row[k], `sends ${row.key} ${k}`);
    }
    const l = report.lifecycle;
    l.origins.forEach((origin, i) => l.stages.forEach((stage, j) => check(t.matrix?.[origin]?.[stage], l.matrix[i]![j]!, `matrix ${origin}→${stage}`)));
    for (const k of ['base', 'activeAtStart', 'retentionRate', 'churnRate', 'upgradeRate'] as const) check(t['lifecycle-rates']?.[k]?.value, l[k], `lifecycle ${k}`);
    for (const row of report.cohorts.rows) {
      check(t.cohorts?.[row.cohort]?.customers, row.customers, `cohort ${row.cohort} customers`);
      row.shares.forEach((share, k) => check(t.cohorts?.[row.cohort]?.[`m${k}`], share, `cohort ${row.cohort} +${k}`));
    }
    report.value.spend.lorenz.forEach((p, i) => {
      const row = t.lorenz?.[String(p.customerShare)];
      check(row?.customerShare, p.customerShare, `lorenz ${i}`);
      check(row?.spend, p.valueShare, `lorenz spend ${i}`);
      check(row?.clv, report.value.clv?.lorenz[i]?.valueShare ?? null, `lorenz clv ${i}`);
    });
    for (const s of report.value.byStage) {
      for (const k of ['customers', 'averageSpend', 'customersWithClv', 'averagePredictedClv', 'totalPredictedClv'] as const) check(t.clv?.[s.stage]?.[k], s[k], `clv ${s.stage} ${k}`);
    }
    // Uplift: single numbers, and "estimate [lower, upper]" cells as their three numbers.
    const interval = (shown: string | undefined, value: { estimate: number; lower: number; upper: number } | null, where: string) => {
      expect(shown, where).toBeDefined();
      if (value === null) return check(shown, null, where);
      const m = /^(\S+(?: pt)?) \[(\S+(?: pt)?), (\S+(?: pt)?)\]$/.exec(shown!.trim());
      expect(m, `${where}: '${shown}'`).not.toBeNull();
      check(m![1], value.estimate, `${where} estimate`);
      check(m![2], value.lower, `${where} lower`);
      check(m![3], value.upper, `${where} upper`);
    };
    for (const row of report.uplift.rows) {
      for (const k of ['treatedCustomers', 'heldOutCustomers', 'treatedConversionRate', 'heldOutConversionRate', 'adjustedPValue'] as const) check(t.uplift?.[row.key]?.[k], row[k], `uplift ${row.key} ${k}`);
      for (const k of ['conversionDifference', 'incrementalOrders', 'revenueDifference', 'incrementalRevenue'] as const) interval(t.uplift?.[row.key]?.[k], row[k], `uplift ${row.key} ${k}`);
      expect(t.uplift?.[row.key]?.significant, row.key).toBe(row.significant ? 'significant' : 'not significant');
    }
    expect(report.uplift.rows.length).toBeGreaterThan(0);
    for (const row of report.uplift.lastTouch) {
      check(t['last-touch']?.[row.key]?.lastTouchRevenue, row.lastTouchRevenue, `last touch ${row.key}`);
      interval(t['last-touch']?.[row.key]?.incrementalRevenue, row.incrementalRevenue, `last touch ${row.key} incremental`);
      expect(t['last-touch']?.[row.key]?.verdict, row.key).toMatch(new RegExp(`^${{ overstates: 'last touch overstates', 'within-interval': 'cannot tell', understates: 'last touch understates' }[row.verdict]}`));
    }
    expect(report.uplift.lastTouch.length).toBeGreaterThan(0);
    // Every link names its send, so unsubscribes are counted per campaign, journey and step (0 is a count, not "n/a").
    expect(report.sends.filter((r) => r.unsubscribes === null).map((r) => r.key)).toEqual([]);
    for (const d of report.deliverability.days) {
      for (const k of ['sends', 'hardBounces', 'complaints', 'bounceRate', 'complaintRate'] as const) check(t.deliverability?.[d.day]?.[k], d[k], `deliverability ${d.day} ${k}`);
    }
    expect(compared).toBeGreaterThan(300);
  });
});
