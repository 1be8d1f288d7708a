/**
 * `npm run bench`: one table, every figure beside its baseline from the same run, and
 * bench/results.json. Times are CPU time of the measuring process where a loop is timed in
 * process (the machine is shared), wall time for whole commands. Tests never assert these.
 *
 *   npm run bench [-- --quick]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { newProfile, type CustomerProfile } from '#domain/customer-profile.ts';
import { scoreCustomerBase } from '#domain/customer-base-scores.ts';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { benchRendering, cpuMicros } from './rendering.ts';
import { benchJourneys } from './journeys.ts';
import { benchSegmentation, SEGMENTATION_CUSTOMERS } from './segmentation.ts';

const root = new URL('..', import.meta.url).pathname;
const quick = process.argv.includes('--quick');

interface Row {
  area: string;
  measure: string;
  value: string;
  baseline: string;
}
const rows: Row[] = [];
const results: Record<string, unknown> = { node: process.version, arch: process.arch, at: new Date().toISOString(), quick };
const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const say = (line: string) => process.stderr.write(line + '\n');

// Rendering: every shipped template, composeEmail per recipient against MJML per recipient.
say('rendering…');
const rendering = await benchRendering(root, { recipients: quick ? 2000 : 20_000, mjmlSample: quick ? 5 : 20 });
results.rendering = rendering;
for (const r of rendering) {
  rows.push({ area: 'render', measure: `${r.template} (compose included)`, value: `${fmt(r.precompiledMicros, 2)} µs/recipient`, baseline: `MJML per recipient ${fmt(r.mjmlPerRecipientMicros / 1000, 2)} ms (${fmt(r.speedup, 0)}×)` });
}

// Scoring: RFM quintiles and lifecycle stage for a synthetic customer base held in memory.
say('scoring…');
const catalog = await buildCatalog(projectPaths(root));
const NOW = '2026-10-10T00:00:00.000Z';
const DAY = 86_400_000;
function syntheticBase(n: number): CustomerProfile[] {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => {
    const orders = Math.floor(random() * 12);
    const first = Date.parse(NOW) - Math.floor(random() * 900) * DAY;
    const last = first + Math.floor(random() * (Date.parse(NOW) - first));
    return { ...newProfile(`c${i}`, new Date(first).toISOString()), orderCount: orders, totalSpend: orders * (20 + random() * 80), ...(orders ? { firstOrderAt: new Date(first).toISOString(), lastOrderAt: new Date(last).toISOString() } : {}) } as CustomerProfile;
  });
}
const scoring = (n: number) => {
  const base = syntheticBase(n);
  const t = cpuMicros();
  const { updates } = scoreCustomerBase(base, NOW, catalog.config.stages);
  return { customers: n, seconds: (cpuMicros() - t) / 1e6, changed: updates.size };
};
const scoringBaseline = scoring(quick ? 10_000 : 100_000);
const scoringMain = scoring(quick ? 100_000 : 1_000_000);
results.scoring = { main: scoringMain, baseline: scoringBaseline };
rows.push({ area: 'score', measure: `RFM + stage, ${scoringMain.customers.toLocaleString('en-US')} customers in memory`, value: `${fmt(scoringMain.seconds, 2)} s (${fmt(scoringMain.customers / scoringMain.seconds / 1000, 0)}k/s)`, baseline: `${scoringBaseline.customers.toLocaleString('en-US')}: ${fmt(scoringBaseline.seconds, 2)} s (${fmt(scoringBaseline.customers / scoringBaseline.seconds / 1000, 0)}k/s)` });

// Segmentation against dynalite: one pass over the table, and one segment of the two-phase path; then the same segment in memory.
say('segmentation on dynalite…');
const segmentation = await benchSegmentation(catalog, { customers: quick ? 5000 : SEGMENTATION_CUSTOMERS });
results.segmentation = segmentation;
rows.push({ area: 'segment', measure: `one pass, scan + score + write, ${segmentation.customers.toLocaleString('en-US')} customers on dynalite`, value: `${fmt(segmentation.singlePass.seconds, 1)} s (${fmt(segmentation.singlePass.perSecond, 0)}/s)`, baseline: `${fmt(segmentation.written.toLocaleString('en-US') as unknown as number, 0)} profiles written` });
rows.push({ area: 'segment', measure: `two-phase, one segment of ${segmentation.segment.customers.toLocaleString('en-US')}: summarise + score + write on dynalite`, value: `${fmt(segmentation.segment.perSecond, 0)} customers/s`, baseline: `in memory (no I/O) ${fmt(segmentation.segment.inMemoryPerSecond, 0)} customers/s` });

// The journey engine: steps per second through advanceJourney, against the same with the entry's storage round trip.
say('journey engine…');
const journeys = benchJourneys(root, quick ? 2000 : 20_000);
results.journeys = journeys;
rows.push({ area: 'journey', measure: `advanceJourney, ${journeys.entries.toLocaleString('en-US')} entries of every shipped journey`, value: `${fmt(journeys.stepsPerSecond / 1000, 0)}k steps/s`, baseline: `with JSON + zod round trip of the entry ${fmt(journeys.roundTripStepsPerSecond / 1000, 0)}k steps/s` });

// The demo replay, whole command (`npm start`): the default demo shop, and a small one as the baseline.
say('demo replay…');
const replay = (extra: string[]) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-run-'));
  const t = performance.now();
  const run = spawnSync(process.execPath, [join(root, 'bin/lifecycle-mailer.js'), 'run', '--quiet', '--data-dir', dir, ...extra], { cwd: root, encoding: 'utf8' });
  const seconds = (performance.now() - t) / 1000;
  rmSync(dir, { recursive: true, force: true });
  if (run.status !== 0) throw new Error(`run ${extra.join(' ')} failed: ${run.stderr}`);
  return seconds;
};
const demoCustomers = quick ? 200 : 2000;
const demo = replay(['--customers', String(demoCustomers)]);
const smallDemo = replay(['--customers', '100']);
results.replay = { customers: demoCustomers, seconds: demo, baseline: { customers: 100, seconds: smallDemo } };
rows.push({ area: 'replay', measure: `demo shop (npm start), ${demoCustomers.toLocaleString('en-US')} customers, whole command`, value: `${fmt(demo, 1)} s`, baseline: `100 customers ${fmt(smallDemo, 1)} s` });

// The CDNOW master fit (its own bench: parse, summarise, BG/NBD and Gamma-Gamma, grouped vs per customer).
say('CDNOW fit…');
const cdnow = execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench/customer-value.bench.ts')], { cwd: root, encoding: 'utf8' });
const total = cdnow.match(/TOTAL parse\+summarise\+fits\s+([\d.]+) ms/);
const naive = [...cdnow.matchAll(/(BG\/NBD|Gamma-Gamma) (naive|ungrouped)\s+([\d.]+) ms/g)];
results.cdnow = { totalMs: total ? Number(total[1]) : undefined, output: cdnow };
rows.push({ area: 'fit', measure: 'CDNOW master: parse + summarise + BG/NBD + Gamma-Gamma', value: total ? `${fmt(Number(total[1]), 0)} ms` : 'see results.json', baseline: naive.length ? naive.map((m) => `${m[1]} ${m[2]} ${m[3]} ms`).join(', ') : 'budget 2,000 ms' });

// Each function bundle as the CDK builds it (esbuild, ESM, minified, SDK external), and its import time.
say('bundles…');
const outDir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
const handlers = readdirSync(join(root, 'functions')).filter((d) => { try { return statSync(join(root, 'functions', d, 'handler.ts')).isFile(); } catch { return false; } });
const bundles: Record<string, { bytes: number; importMs: number }> = {};
for (const name of handlers) {
  const outfile = join(outDir, name, 'index.mjs');
  await build({
    entryPoints: [join(root, 'functions', name, 'handler.ts')],
    bundle: true, platform: 'node', format: 'esm', target: 'node22', minify: true, mainFields: ['module', 'main'], outfile, external: ['@aws-sdk/*'], logLevel: 'silent',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  const bytes = statSync(outfile).size;
  // Import time in a fresh process, as a cold start pays it (the SDK resolved from this checkout).
  const t = spawnSync(process.execPath, ['--input-type=module', '-e', `const t=performance.now(); await import(${JSON.stringify(outfile)}).catch(()=>{}); console.log(performance.now()-t)`], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_PATH: join(root, 'node_modules') } });
  bundles[name] = { bytes, importMs: Number(t.stdout.trim()) };
}
results.bundles = bundles;
const nodeBaseline = spawnSync(process.execPath, ['--input-type=module', '-e', `const t=performance.now(); await import('node:crypto'); console.log(performance.now()-t)`], { encoding: 'utf8' });
for (const [name, b] of Object.entries(bundles)) rows.push({ area: 'bundle', measure: `${name}`, value: `${fmt(b.bytes / 1024, 0)} KB, import ${fmt(b.importMs, 0)} ms`, baseline: `empty import ${fmt(Number(nodeBaseline.stdout.trim()), 1)} ms` });
rmSync(outDir, { recursive: true, force: true });

writeFileSync(join(root, 'bench/results.json'), JSON.stringify({ ...results, table: rows }, null, 2) + '\n');
const w = (k: keyof Row) => Math.max(k.length, ...rows.map((r) => r[k].length));
const line = (r: Row) => `| ${r.area.padEnd(w('area'))} | ${r.measure.padEnd(w('measure'))} | ${r.value.padEnd(w('value'))} | ${r.baseline.padEnd(w('baseline'))} |`;
console.log([line({ area: 'area', measure: 'measure', value: 'value', baseline: 'baseline' }), `|${['area', 'measure', 'value', 'baseline'].map((k) => '-'.repeat(w(k as keyof Row) + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
