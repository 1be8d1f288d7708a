/**
 * Does the demo's report recover the truth on more than one draw? Runs the demo shop under
 * `--seed demo-shop`, `demo-shop-2`, … (not the same draw as a plain `npm start`, whose emulator
 * keeps its own default seed) —
 * several seeds (each a whole `npm start`, quiet, in its own data dir) and tabulates, per seed
 * and journey, the true conversion uplift against the report's 95% interval, whether a
 * no-effect journey came out significant, and last touch against the revenue truly caused.
 *
 *   npx tsx scripts/seed-coverage.ts [--seeds 5] [--customers 2000] [--out .local/seed-coverage.json]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { compareWithTruth, type TruthRow } from '#cli/run/demo-truth.ts';
import { runJob } from '#cli/run/run-job.ts';

const repoRoot = resolve(new URL('..', import.meta.url).pathname);
const { values } = parseArgs({ options: { seeds: { type: 'string', default: '5' }, customers: { type: 'string', default: '2000' }, out: { type: 'string', default: join(repoRoot, '.local/seed-coverage.json') } } });
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => (i === 0 ? 'demo-shop' : `demo-shop-${i + 1}`));
const catalog = await buildCatalog(projectPaths(repoRoot));
const runs: { seed: string; rows: TruthRow[] }[] = [];
for (const seed of seeds) {
  const dataDir = mkdtempSync(join(tmpdir(), 'lm-seed-'));
  const started = Date.now();
  try {
    const { report, trueEffects } = await runJob({ catalog, dataDir, seed, customers: Number(values.customers), quiet: true });
    if (!report || !trueEffects) throw new Error(`seed ${seed}: the demo wrote no report or true effects`);
    runs.push({ seed, rows: compareWithTruth(report, trueEffects) });
    process.stdout.write(`seed ${seed}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
const all = runs.flatMap((r) => r.rows.map((row) => ({ seed: r.seed, ...row })));
const judged = all.filter((r) => r.conversionCovered !== null);
const noEffect = judged.filter((r) => r.clickResponse === 0);
const pts = (x: number) => `${x > 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
const lines = ['| seed | journey | true | estimate [95% CI] | covers | significant | caused | last touch |', '|---|---|---|---|---|---|---|---|'];
for (const r of all) {
  const e = r.conversionEstimate;
  lines.push(`| ${r.seed} | ${r.journeyId} | ${pts(r.trueConversionUplift)} | ${e ? `${pts(e.estimate)} [${pts(e.lower)}, ${pts(e.upper)}]` : 'n/a'} | ${r.conversionCovered === null ? 'n/a' : r.conversionCovered ? 'yes' : 'no'} | ${r.significant === null ? 'n/a' : r.significant ? 'yes' : 'no'} | ${r.trueIncrementalRevenue.toFixed(2)} | ${r.lastTouchRevenue?.toFixed(2) ?? 'n/a'} |`);
}
const perSeed = runs.map((r) => ({ seed: r.seed, caused: r.rows.reduce((a, x) => a + x.trueIncrementalRevenue, 0), lastTouch: r.rows.reduce((a, x) => a + (x.lastTouchRevenue ?? 0), 0) }));
const totals = {
  intervals: judged.length,
  covering: judged.filter((r) => r.conversionCovered).length,
  noEffectRows: noEffect.length,
  noEffectSignificant: noEffect.filter((r) => r.significant).length,
  seedsWhereLastTouchExceedsCaused: perSeed.filter((s) => s.lastTouch > s.caused).length,
};
writeFileSync(resolve(values.out!), JSON.stringify({ customers: Number(values.customers), seeds, totals, perSeed, rows: all }, null, 2) + '\n');
process.stdout.write(`${lines.join('\n')}\n\n${totals.covering} of ${totals.intervals} intervals cover the truth; ${totals.noEffectSignificant} of ${totals.noEffectRows} no-effect rows significant; last touch above the revenue caused in ${totals.seedsWhereLastTouchExceedsCaused} of ${seeds.length} seeds (${perSeed.map((s) => `${s.lastTouch.toFixed(0)} vs ${s.caused.toFixed(0)}`).join(', ')})\nwrote ${values.out}\n`);
