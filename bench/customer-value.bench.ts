/**
 * Customer-value benchmark on the CDNOW master log (23,570 customers, 69,659 orders).
 *
 *   npx tsx bench/customer-value.bench.ts [path/to/CDNOW_master.txt]
 *
 * Times, in one process and in this order (first = cold JIT, like a fresh Lambda):
 *   parse → summarise → BG/NBD fit (grouped) → Gamma-Gamma fit (grouped)
 * then the baselines on the same summaries: both fits with the naive
 * per-customer likelihood loop (ungrouped), and finally the per-customer scoring
 * done by fitCustomerValue (P(alive), E[Y(1)], E[Y(39)], 52-period CLV).
 * The budget is parse + summarise + both grouped fits < 2 s.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fitBgNbd, type BgNbdFit } from '#domain/customer-value/bgnbd.ts';
import { fitCustomerValue } from '#domain/customer-value/fit-customer-value.ts';
import { fitGammaGamma, type GammaGammaFit } from '#domain/customer-value/gamma-gamma.ts';
import { summarisePurchases } from '#domain/customer-value/purchase-summary.ts';
import { parseOrderLog } from '#cli/run/order-log.ts';

const BUDGET_MS = 2000;
const defaultPath = fileURLToPath(new URL('../data/cdnow/CDNOW_master.txt', import.meta.url));
const path = process.argv[2] ?? defaultPath;
const options = { calibrationEnd: '1997-09-30', periodDays: 7 } as const;

function time<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

const fmt = (ms: number): string => `${ms.toFixed(1).padStart(9)} ms`;
const rate = (n: number, ms: number): string => `${Math.round((n / ms) * 1000).toLocaleString('en-US').padStart(11)} customers/s`;
const describeBg = (f: BgNbdFit): string =>
  `r=${f.r.toFixed(4)} α=${f.alpha.toFixed(4)} a=${f.a.toFixed(4)} b=${f.b.toFixed(4)} LL=${f.logLikelihood.toFixed(3)} it=${f.iterations} ev=${f.evaluations} rows=${f.groups}`;
const describeGg = (f: GammaGammaFit): string =>
  `p=${f.p.toFixed(4)} q=${f.q.toFixed(4)} v=${f.v.toFixed(4)} LL=${f.logLikelihood.toFixed(3)} it=${f.iterations} ev=${f.evaluations} rows=${f.groups}`;

const text = readFileSync(path, 'utf8');
console.log(`customer-value bench — ${path}`);
console.log(`node ${process.version}, ${process.arch}\n`);

const parse = time(() => parseOrderLog(text, 'cdnow'));
const { orders, rejected } = parse.value;
const summarise = time(() => summarisePurchases(orders, options));
const summaries = summarise.value;
const customers = summaries.length;
const bgGrouped = time(() => fitBgNbd(summaries));
const ggGrouped = time(() => fitGammaGamma(summaries));
const budgetMs = parse.ms + summarise.ms + bgGrouped.ms + ggGrouped.ms;

console.log(`orders ${orders.length.toLocaleString('en-US')} (rejected ${rejected.length}), customers ${customers.toLocaleString('en-US')}\n`);
console.log(`parse                ${fmt(parse.ms)}  ${rate(customers, parse.ms)}  (${Math.round((orders.length / parse.ms) * 1000).toLocaleString('en-US')} orders/s)`);
console.log(`summarise            ${fmt(summarise.ms)}  ${rate(customers, summarise.ms)}`);
console.log(`BG/NBD grouped       ${fmt(bgGrouped.ms)}  ${rate(customers, bgGrouped.ms)}  ${describeBg(bgGrouped.value)}`);
console.log(`Gamma-Gamma grouped  ${fmt(ggGrouped.ms)}  ${rate(ggGrouped.value.customers, ggGrouped.ms)}  ${describeGg(ggGrouped.value)}`);
console.log(`TOTAL parse+summarise+fits ${fmt(budgetMs)}  ${rate(customers, budgetMs)}  budget ${BUDGET_MS} ms → ${budgetMs < BUDGET_MS ? 'PASS' : 'FAIL'}\n`);

const perEval = (ms: number, evaluations: number): string => `${((ms / evaluations) * 1000).toFixed(0).padStart(5)} µs/eval`;
const maxRelDiff = (u: readonly number[], g: readonly number[]): string =>
  Math.max(...u.map((value, i) => Math.abs(value - (g[i] as number)) / Math.abs(g[i] as number))).toExponential(1);
const bgVector = (f: BgNbdFit): number[] => [f.r, f.alpha, f.a, f.b];
const ggVector = (f: GammaGammaFit): number[] => [f.p, f.q, f.v];

console.log('baselines on the same summaries (same process):');
console.log('  ungrouped = same tabulated kernel, one row per customer; naive = per-customer loop calling the single-customer ln L');
const bgRows: [string, { value: BgNbdFit; ms: number }][] = [['grouped', bgGrouped]];
const ggRows: [string, { value: GammaGammaFit; ms: number }][] = [['grouped', ggGrouped]];
for (const likelihood of ['ungrouped', 'naive'] as const) {
  bgRows.push([likelihood, time(() => fitBgNbd(summaries, { likelihood }))]);
  ggRows.push([likelihood, time(() => fitGammaGamma(summaries, { likelihood }))]);
}
for (const [label, run] of bgRows) {
  console.log(
    `BG/NBD ${label.padEnd(10)} ${fmt(run.ms)}  ${(run.ms / bgGrouped.ms).toFixed(1).padStart(5)}× grouped  ${perEval(run.ms, run.value.evaluations)}  ${rate(customers, run.ms)}  ` +
      `max rel. diff of estimates vs grouped ${maxRelDiff(bgVector(run.value), bgVector(bgGrouped.value))}  LL=${run.value.logLikelihood.toFixed(3)}`,
  );
}
for (const [label, run] of ggRows) {
  console.log(
    `Gamma-Gamma ${label.padEnd(10)} ${fmt(run.ms)}  ${(run.ms / ggGrouped.ms).toFixed(1).padStart(5)}× grouped  ${perEval(run.ms, run.value.evaluations)}  ${rate(run.value.customers, run.ms)}  ` +
      `max rel. diff of estimates vs grouped ${maxRelDiff(ggVector(run.value), ggVector(ggGrouped.value))}  LL=${run.value.logLikelihood.toFixed(3)}`,
  );
}
console.log('');

const full = time(() => fitCustomerValue(orders, { ...options, holdoutEnd: '1998-06-30', clvHorizonPeriods: 52 }));
console.log(
  `fitCustomerValue (summarise + fits + scoring ${full.value.scores.length.toLocaleString('en-US')} customers, 52-period CLV, hold-out) ${fmt(full.ms)}  ${rate(customers, full.ms)}`,
);
const h = full.value.holdout;
if (h !== undefined) {
  console.log(
    `hold-out ${h.periods.toFixed(0)} periods: actual ${h.actualTotal}, predicted ${h.predictedTotal.toFixed(1)}, MAE ${h.meanAbsoluteError.toFixed(3)}, RMSE ${h.rmse.toFixed(3)}`,
  );
}
