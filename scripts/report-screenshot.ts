/**
 * The README's picture of the CRM report: the demo's `report.html` (written by `npm start` next
 * to the outbox) opened in headless Chromium, its "Did it work?" section saved as docs/report.png
 * and its "Last touch against the holdout" section as docs/report-last-touch.png.
 *
 *   npx tsx scripts/report-screenshot.ts [--report .local/report.html] [--out docs/report.png] [--last-touch-out docs/report-last-touch.png]
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../test/support/chromium.ts';

const repoRoot = resolve(new URL('..', import.meta.url).pathname);
const { values } = parseArgs({ options: { report: { type: 'string', default: join(repoRoot, '.local/report.html') }, out: { type: 'string', default: join(repoRoot, 'docs/report.png') }, 'last-touch-out': { type: 'string', default: join(repoRoot, 'docs/report-last-touch.png') } } });
const report = resolve(values.report!);
if (!existsSync(report)) {
  process.stderr.write(`no report at ${report}: run \`npm start\` first\n`);
  process.exit(2);
}
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(`file://${report}`);
  await page.locator('#uplift').screenshot({ path: resolve(values.out!) });
  await page.locator('#last-touch').screenshot({ path: resolve(values['last-touch-out']!) });
  process.stdout.write(`wrote ${values.out} and ${values['last-touch-out']}\n`);
} finally {
  await browser.close();
}
