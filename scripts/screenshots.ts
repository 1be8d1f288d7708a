/**
 * Screenshots of the workbench for the README: starts it on the demo's tables and saves the
 * overview, an email preview, a "why not" explanation, a customer page, a journey with its
 * counts and the report into docs/screenshots/.
 *
 *   npx tsx scripts/screenshots.ts [--data-dir .local]
 *
 * With a data dir that holds tables (from `npm start`) it uses those; otherwise it first runs the
 * demo shop (300 customers, a fixed seed) into a temp folder, so the pictures are reproducible.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { checkEligibility } from '#domain/campaign-choice.ts';
import { customerFacts } from '#domain/customer-facts.ts';
import { runJob } from '#cli/run/run-job.ts';
import { startWorkbench } from '#cli/ui/server.ts';
import { launchChromium } from '../test/support/chromium.ts';

const repoRoot = resolve(new URL('..', import.meta.url).pathname);
const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, out: { type: 'string', default: join(repoRoot, 'docs/screenshots') } } });
const paths = projectPaths(repoRoot);

let dataDir = values['data-dir'] ? resolve(values['data-dir']) : undefined;
if (!dataDir || !existsSync(join(dataDir, 'dynamodb'))) {
  dataDir = mkdtempSync(join(tmpdir(), 'lm-screenshots-'));
  process.stderr.write(`running the demo shop into ${dataDir}…\n`);
  await runJob({ catalog: await buildCatalog(paths), dataDir, customers: 300, seed: 'screenshots', quiet: true });
}

const workbench = await startWorkbench({ paths, location: { dataDir }, port: 0, watch: false });
const browser = await launchChromium();
try {
  const out = values.out!;
  mkdirSync(out, { recursive: true });
  const catalog = workbench.ctx.project.current.catalog!;
  const at = await workbench.ctx.asOf();
  const customers = await workbench.ctx.data.allCustomers();
  // A customer a cooldown holds back: the most telling "why not".
  const blocked = catalog.campaigns.flatMap((c) => customers.filter((p) => { const v = checkEligibility(c, p, customerFacts(p, at), at, catalog.config.frequency); return !v.eligible && v.reason === 'cooldown'; }).map((p) => ({ c, p })))[0];
  // A customer with opened mail and a Latin-script name (a machine without CJK fonts draws boxes).
  const latin = new Set(customers.filter((p) => /^[\p{Script=Latin}\s'.-]*$/u.test(`${p.firstName ?? ''}${p.lastName ?? ''}`)).map((p) => p.customerId));
  const sent = (await workbench.ctx.data.allSends()).find((s) => s.status === 'sent' && s.opens > 0 && latin.has(s.customerId));
  const shots: { file: string; path: string; fullPage: boolean }[] = [
    { file: 'overview.png', path: '/', fullPage: false },
    // German, not Japanese: a machine without CJK fonts would show boxes for the Japanese text.
    { file: 'preview.png', path: '/preview?campaign=abandoned-cart&persona=growing&locale=de-DE', fullPage: false },
    ...(blocked && latin.has(blocked.p.customerId) ? [{ file: 'why-not.png', path: `/audience?campaign=${blocked.c.id}&customer=${encodeURIComponent(blocked.p.customerId)}`, fullPage: false }] : []),
    ...(sent ? [{ file: 'customer.png', path: `/customers/${encodeURIComponent(sent.customerId)}`, fullPage: true }] : []),
    { file: 'journeys.png', path: '/journeys/abandoned-cart', fullPage: false },
    { file: 'report.png', path: '/report', fullPage: false },
  ];
  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  for (const shot of shots) {
    await page.goto(`${workbench.url}${shot.path}`, { waitUntil: 'networkidle' });
    await page.screenshot({ path: join(out, shot.file), fullPage: shot.fullPage });
    process.stdout.write(`wrote ${join(out, shot.file)}\n`);
  }
} finally {
  await browser.close();
  await workbench.close();
}
