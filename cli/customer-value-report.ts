/**
 * `lifecycle-mailer models fit`: read an order log, fit BG/NBD (purchase and
 * drop-out) and Gamma-Gamma (spend per order) on a calibration period, print
 * the parameters (a readable block, or one JSON object with --json), optionally
 * score the hold-out period and write per-customer scores as CSV.
 *
 * The model code is pure (functions/domain/customer-value); this file only does
 * the file I/O, the option checks and the formatting.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Option, type Command } from 'commander';
import { existingFile, fileInExistingFolder, isoDay, positiveNumber } from '#cli/arguments.ts';
import { EXIT_FAILURE, UsageError } from '#cli/errors.ts';
import { CLV_DISCOUNT_PER_YEAR, CLV_HORIZON_DAYS } from '#domain/customer-value/clv.ts';
import { bgnbdFitProblems, gammaGammaFitProblems } from '#domain/customer-value/fit-quality.ts';
import { IsoDateSchema, OrderLogFormatSchema, parseOrderLog, type OrderLogFormat } from '#cli/run/order-log.ts';
import { summarisePurchases } from '#domain/customer-value/purchase-summary.ts';
import { populationAverageOrderValue } from '#domain/customer-value/gamma-gamma.ts';
import {
  fitCustomerValue,
  formatScoresCsv,
  type CustomerValueResult,
  type HoldoutEvaluation,
} from '#domain/customer-value/fit-customer-value.ts';

/** Weeks, as in Fader, Hardie & Lee (2005); the default for every format. */
export const DEFAULT_PERIOD_DAYS = 7;

export interface ModelsFitOptions {
  /** Order log file. */
  orders: string;
  format: OrderLogFormat;
  /** Last day of the calibration period, YYYY-MM-DD (inclusive). */
  calibrationEnd: string;
  /** Last day of the hold-out period, YYYY-MM-DD: predicted vs. actual repeat purchases. */
  holdoutEnd?: string;
  /** Print one JSON object instead of the readable block. */
  json?: boolean;
  /** Write per-customer scores to this CSV file. */
  scores?: string;
  /** Length of one model period in days (default 7: weeks). */
  periodDays?: number;
}

/** The JSON object printed by `models fit --json`. */
export interface ModelsFitReport {
  customers: number;
  /** Repeat purchases (distinct purchase days after the first) in the calibration period. */
  repeatPurchases: number;
  /** Customers with at least one repeat purchase in the calibration period. */
  repeatCustomers: number;
  bgnbd: {
    r: number;
    alpha: number;
    a: number;
    b: number;
    logLikelihood: number;
    iterations: number;
    converged: boolean;
  };
  gammaGamma: {
    p: number;
    q: number;
    v: number;
    logLikelihood: number;
    iterations: number;
    converged: boolean;
    /** Customers the spend model was fitted on (x > 0, positive mean repeat value). */
    customers: number;
    /** p·v/(q−1): expected value of an order of a customer we know nothing about (null in JSON when q ≤ 1). */
    populationMeanAov: number;
  };
  holdout?: HoldoutEvaluation;
  /** Why the fit must not be used for scoring (not converged, degenerate parameters); empty when it may. */
  unusable: string[];
  input: {
    file: string;
    format: OrderLogFormat;
    calibrationEnd: string;
    holdoutEnd?: string;
    periodDays: number;
    orders: number;
    rejectedLines: number;
  };
  /** Wall-clock time of the model fit and scoring (parsing excluded), milliseconds. */
  fitMs: number;
}

export interface ModelsFitResult {
  report: ModelsFitReport;
  /** The full fit, with every customer's scores. */
  fit: CustomerValueResult;
  /** Where the scores CSV was written, if asked. */
  scoresFile?: string;
}

/** A problem with the command's input (file or data): the message says which and why. Exit code 1. */
export class ModelsFitError extends Error {
  override readonly name = 'ModelsFitError';
  readonly exitCode = EXIT_FAILURE;
}

/** The fit ran and must not be used (did not converge, degenerate parameters). Exit code 1, after the report. */
export class ModelFitRejectedError extends Error {
  override readonly name = 'ModelFitRejectedError';
  readonly exitCode = EXIT_FAILURE;
  constructor(readonly problems: string[]) {
    super(`the model fit is not usable, its scores must not be used: ${problems.join('; ')}`);
  }
}

function checkOptions(options: ModelsFitOptions): { periodDays: number } {
  const problems: string[] = [];
  if (!OrderLogFormatSchema.safeParse(options.format).success) {
    problems.push(`--format: expected one of cdnow, csv, jsonl (got ${JSON.stringify(options.format)})`);
  }
  if (!IsoDateSchema.safeParse(options.calibrationEnd).success) {
    problems.push(`--calibration-end: expected a date as YYYY-MM-DD (got ${JSON.stringify(options.calibrationEnd)})`);
  }
  if (options.holdoutEnd !== undefined) {
    if (!IsoDateSchema.safeParse(options.holdoutEnd).success) {
      problems.push(`--holdout-end: expected a date as YYYY-MM-DD (got ${JSON.stringify(options.holdoutEnd)})`);
    } else if (options.holdoutEnd <= options.calibrationEnd) {
      problems.push(`--holdout-end ${options.holdoutEnd} must be after --calibration-end ${options.calibrationEnd}`);
    }
  }
  const periodDays = options.periodDays ?? DEFAULT_PERIOD_DAYS;
  if (!(Number.isFinite(periodDays) && periodDays > 0)) {
    problems.push(`--period-days: expected a positive number of days (got ${String(options.periodDays)})`);
  }
  if (problems.length > 0) throw new UsageError(`models fit: ${problems.join('; ')}`);
  return { periodDays };
}

async function readOrderLog(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, not a file'
          : code === 'EACCES'
            ? 'permission denied'
            : error instanceof Error
              ? error.message
              : String(error);
    throw new ModelsFitError(`cannot read order log ${file}: ${why}`, { cause: error });
  }
}

const integer = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const fixed = (n: number, digits: number) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
const signif = (n: number) => (Number.isFinite(n) ? Number(n.toPrecision(4)).toString() : 'n/a');
const duration = (ms: number) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);

function periodName(periodDays: number): string {
  if (periodDays === 7) return 'weeks';
  if (periodDays === 1) return 'days';
  return `periods of ${periodDays} days`;
}

function formatText(report: ModelsFitReport): string {
  const { bgnbd: bg, gammaGamma: gg, holdout, input } = report;
  const unit = periodName(input.periodDays);
  const row = (label: string, value: string) => `  ${label.padEnd(18)}${value}`;
  const lines = [
    `Order log ${input.file} (${input.format}): ${integer(input.orders)} orders, ${integer(input.rejectedLines)} lines rejected`,
    `Calibration: orders up to ${input.calibrationEnd}, customers who first bought by then; time in ${unit}`,
    row('customers', integer(report.customers)),
    row('repeat purchases', `${integer(report.repeatPurchases)} (by ${integer(report.repeatCustomers)} repeat customers)`),
    '',
    'BG/NBD: how often customers buy, and when they drop out (Fader, Hardie & Lee 2005)',
    row('r', `${fixed(bg.r, 4)}   purchase rate ~ Gamma(r, alpha): on average ${signif(bg.r / bg.alpha)} per ${unit === 'weeks' ? 'week' : 'period'} while active`),
    row('alpha', fixed(bg.alpha, 4)),
    row('a', `${fixed(bg.a, 4)}   drop-out chance after a purchase ~ Beta(a, b): on average ${signif(bg.a / (bg.a + bg.b))}`),
    row('b', fixed(bg.b, 4)),
    row('log-likelihood', fixed(bg.logLikelihood, 2)),
    row('iterations', `${bg.iterations}, converged: ${bg.converged ? 'yes' : 'NO'}`),
    '',
    'Gamma-Gamma: how much a customer spends per order (Fader & Hardie 2013)',
    row('p', fixed(gg.p, 4)),
    row('q', fixed(gg.q, 4)),
    row('v', fixed(gg.v, 4)),
    row('log-likelihood', fixed(gg.logLikelihood, 2)),
    row('iterations', `${gg.iterations}, converged: ${gg.converged ? 'yes' : 'NO'}`),
    row('customers used', `${integer(gg.customers)} (repeat buyers with a positive spend)`),
    row('mean order value', `${fixed(gg.populationMeanAov, 2)} (population mean p·v/(q−1)${Number.isFinite(gg.populationMeanAov) ? '' : '; none: q ≤ 1'})`),
  ];
  if (holdout !== undefined) {
    const bias = holdout.actualTotal > 0 ? ` (${fixed((100 * (holdout.predictedTotal - holdout.actualTotal)) / holdout.actualTotal, 1)}%)` : '';
    lines.push(
      '',
      `Hold-out ${input.calibrationEnd} to ${input.holdoutEnd ?? ''} (${fixed(holdout.periods, 1)} ${unit}): repeat purchases, actual vs. predicted`,
      row('customers', integer(holdout.customers)),
      row('actual', integer(holdout.actualTotal)),
      row('predicted', `${fixed(holdout.predictedTotal, 1)}${bias}`),
      row('MAE', `${fixed(holdout.meanAbsoluteError, 3)} purchases per customer`),
      row('RMSE', fixed(holdout.rmse, 3)),
    );
  }
  if (report.unusable.length) lines.push('', `NOT USABLE: ${report.unusable.join('; ')}`);
  lines.push('', `Fit took ${duration(report.fitMs)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Run `models fit`. Normal output goes to `out`; notes about rejected lines go to
 * `warn` (default: `out`, or stderr with --json so that `out` receives exactly one
 * JSON object). Throws ModelsFitError naming the file or the problem.
 */
export async function runModelsFit(
  options: ModelsFitOptions,
  out: (text: string) => void,
  warn?: (text: string) => void,
): Promise<ModelsFitResult> {
  const note = warn ?? (options.json ? (text: string) => void process.stderr.write(text) : out);
  const { periodDays } = checkOptions(options);
  const file = options.orders;
  const text = await readOrderLog(file);
  const { orders, rejected } = parseOrderLog(text, options.format);
  const firstRejected = rejected[0];
  if (firstRejected !== undefined) {
    note(
      `warning: ${file}: ${integer(rejected.length)} line(s) rejected and skipped; first at line ${firstRejected.line}: ${firstRejected.reason}\n`,
    );
  }
  if (orders.length === 0) {
    throw new ModelsFitError(
      `${file}: no valid orders in the ${options.format} order log` +
        (firstRejected
          ? ` (${integer(rejected.length)} line(s) rejected; first at line ${firstRejected.line}: ${firstRejected.reason})`
          : text.trim() === ''
            ? ' (the file is empty)'
            : ' (no order lines, only a header)'),
    );
  }

  const started = performance.now();
  const window = {
    calibrationEnd: options.calibrationEnd,
    periodDays,
    ...(options.holdoutEnd === undefined ? {} : { holdoutEnd: options.holdoutEnd }),
  };
  const summaries = summarisePurchases(orders, window);
  if (summaries.length === 0) {
    throw new ModelsFitError(`${file}: no customer made a first purchase on or before --calibration-end ${options.calibrationEnd}`);
  }
  let repeatPurchases = 0;
  let repeatCustomers = 0;
  let spendCustomers = 0;
  for (const s of summaries) {
    repeatPurchases += s.x;
    if (s.x > 0) repeatCustomers++;
    if (s.x > 0 && s.monetaryValue > 0) spendCustomers++;
  }
  if (repeatCustomers === 0) {
    throw new ModelsFitError(
      `${file}: no repeat customers up to ${options.calibrationEnd} (all ${integer(summaries.length)} customers bought on one day only): ` +
        'the models need customers who came back; choose a later --calibration-end or a longer order log',
    );
  }
  if (spendCustomers === 0) {
    throw new ModelsFitError(`${file}: no repeat purchase with a positive amount up to ${options.calibrationEnd}: the spend model cannot be fitted`);
  }
  let fit: CustomerValueResult;
  try {
    fit = fitCustomerValue(orders, window);
  } catch (error) {
    throw new ModelsFitError(`${file}: the model fit failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const fitMs = performance.now() - started;

  const { bgnbd, gammaGamma } = fit;
  const unusable = [...bgnbdFitProblems(bgnbd).map((p) => `BG/NBD ${p}`), ...gammaGammaFitProblems(gammaGamma).map((p) => `Gamma-Gamma ${p}`)];
  const report: ModelsFitReport = {
    customers: fit.customers,
    repeatPurchases,
    repeatCustomers,
    bgnbd: {
      r: bgnbd.r,
      alpha: bgnbd.alpha,
      a: bgnbd.a,
      b: bgnbd.b,
      logLikelihood: bgnbd.logLikelihood,
      iterations: bgnbd.iterations,
      converged: bgnbd.converged,
    },
    gammaGamma: {
      p: gammaGamma.p,
      q: gammaGamma.q,
      v: gammaGamma.v,
      logLikelihood: gammaGamma.logLikelihood,
      iterations: gammaGamma.iterations,
      converged: gammaGamma.converged,
      customers: gammaGamma.customers,
      populationMeanAov: populationAverageOrderValue(gammaGamma),
    },
    ...(fit.holdout === undefined ? {} : { holdout: fit.holdout }),
    unusable,
    input: {
      file,
      format: options.format,
      calibrationEnd: options.calibrationEnd,
      ...(options.holdoutEnd === undefined ? {} : { holdoutEnd: options.holdoutEnd }),
      periodDays,
      orders: orders.length,
      rejectedLines: rejected.length,
    },
    fitMs: Math.round(fitMs * 10) / 10,
  };

  let scoresFile: string | undefined;
  // A rejected fit writes no scores: nobody should pick them up by mistake.
  if (options.scores !== undefined && unusable.length === 0) {
    try {
      await writeFile(options.scores, formatScoresCsv(fit.scores));
    } catch (error) {
      throw new ModelsFitError(
        `cannot write scores to ${options.scores}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    scoresFile = options.scores;
  }

  if (options.json) {
    out(`${JSON.stringify(report)}\n`);
  } else {
    out(formatText(report));
    if (scoresFile !== undefined) {
      out(`Wrote ${integer(fit.scores.length)} customer scores to ${scoresFile} (clv: next ${CLV_HORIZON_DAYS / 7} weeks, discounted at ${CLV_DISCOUNT_PER_YEAR * 100}% a year)\n`);
    }
  }
  if (unusable.length) throw new ModelFitRejectedError(unusable);
  return { report, fit, ...(scoresFile === undefined ? {} : { scoresFile }) };
}

/**
 * Add `models fit` to a commander program. Errors go to the CLI's one handler (cli/errors.ts):
 * bad options exit 2; an unreadable log, unusable data or a rejected fit exit 1.
 */
export function registerModelsCommand(program: Command): Command {
  const models = program.command('models').description('fit and inspect the customer-value models (BG/NBD, Gamma-Gamma)');
  models
    .command('fit')
    .description('fit BG/NBD and Gamma-Gamma on an order log and print the parameters')
    .requiredOption('--orders <file>', 'order log to fit on', existingFile)
    .addOption(new Option('--format <format>', 'order log format').choices(['cdnow', 'csv', 'jsonl']).default('cdnow'))
    .requiredOption('--calibration-end <date>', 'last day of the calibration period, YYYY-MM-DD', isoDay)
    .option('--holdout-end <date>', 'last day of a hold-out period, YYYY-MM-DD: compare predicted and actual repeat purchases', isoDay)
    .option('--json', 'print one JSON object')
    .option('--scores <file>', 'write per-customer scores (P(alive), expected purchases, expected order value, CLV) as CSV', fileInExistingFolder)
    .option('--period-days <n>', `length of one model period in days (default ${DEFAULT_PERIOD_DAYS}: weeks)`, positiveNumber)
    .action(async (o: ModelsFitOptions) => {
      await runModelsFit(
        o,
        (text) => void process.stdout.write(text),
        (text) => void process.stderr.write(text),
      );
    });
  return models;
}
