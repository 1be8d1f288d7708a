/**
 * `lifecycle-mailer report`: the CRM report of the last run (the local tables under
 * `--data-dir`) or of a deployed stack (`--region` and the four table names), printed as a
 * headline, as JSON (`--json`), and/or written as one self-contained HTML page (`--html`).
 */
import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { ProjectPaths } from '#authoring/catalog-files.ts';
import type { CrmReport } from '#cli/report/crm-report.ts';
import type { TablesLocation } from '#cli/report/read-tables.ts';
import { ReportSourceError } from '#cli/report/report-source-error.ts';

export { ReportSourceError };

export interface ReportCommandOptions {
  dataDir: string;
  from?: string;
  to?: string;
  json?: boolean;
  html?: string;
  region?: string;
  customersTable?: string;
  ledgerTable?: string;
  stageChangesTable?: string;
  deliverabilityTable?: string;
}

const DAY = 86_400_000;

/** YYYY-MM-DD, checked as a real calendar day (commander's argument parser). */
function parseDay(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new InvalidArgumentError(`'${value}' is not a date YYYY-MM-DD`);
  }
  return value;
}

function location(o: ReportCommandOptions): TablesLocation {
  const named = { customers: o.customersTable, ledger: o.ledgerTable, stageChanges: o.stageChangesTable, deliverability: o.deliverabilityTable };
  const given = Object.entries(named).filter(([, v]) => v);
  if (!given.length) return { dataDir: o.dataDir };
  const missing = Object.entries(named).filter(([, v]) => !v).map(([k]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}-table`);
  if (missing.length) throw new ReportSourceError(`for a deployed stack give all four table names; missing: ${missing.join(', ')}`);
  return { ...(o.region ? { region: o.region } : {}), tables: named as Record<keyof typeof named, string> };
}

/** Reads the tables and builds the report (the command's work, without the printing). */
export async function runReport(o: ReportCommandOptions, project: ProjectPaths, now = new Date().toISOString()): Promise<CrmReport> {
  // Loaded here, not with the command: reading the tables starts dynalite, and `report --help` need not load it.
  const [{ loadMailerConfig }, { readTables }, { buildReport }] = await Promise.all([import('#authoring/campaign-files.ts'), import('#cli/report/read-tables.ts'), import('#cli/report/build-report.ts')]);
  const config = loadMailerConfig(project.config);
  const snapshot = await readTables(location(o), config, now);
  return buildReport(snapshot, { generatedAt: now, ...reportPeriod(o.from, o.to) });
}

/** The report's period from a first and a last day YYYY-MM-DD (both included; the report's `to` is exclusive). */
export const reportPeriod = (from?: string, to?: string) => ({
  ...(from ? { from: `${from}T00:00:00.000Z` } : {}),
  // `to` names the last day included.
  ...(to ? { to: new Date(Date.parse(`${to}T00:00:00Z`) + DAY).toISOString() } : {}),
});

/** Adds `report` to the CLI. */
export function registerReportCommand(program: Command, project: () => ProjectPaths, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  program
    .command('report')
    .description('the CRM report: sends and engagement, attribution and holdout uplift, lifecycle flow, cohorts, value concentration, deliverability')
    .option('--data-dir <dir>', 'the local data dir written by `npm start`', '.local')
    .option('--from <date>', 'first day of the period YYYY-MM-DD (default: the day of the first send)', parseDay)
    .option('--to <date>', 'last day of the period YYYY-MM-DD (default: the last recorded event)', parseDay)
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'write the report as one self-contained HTML page with charts')
    .option('--region <region>', 'AWS region of the deployed tables (default: the SDK default chain)')
    .option('--customers-table <name>', 'deployed customers table')
    .option('--ledger-table <name>', 'deployed send ledger table')
    .option('--stage-changes-table <name>', 'deployed stage changes table')
    .option('--deliverability-table <name>', 'deployed deliverability table')
    .action(async (o: ReportCommandOptions) => {
      try {
        if (o.from && o.to && o.from > o.to) throw new ReportSourceError(`--from ${o.from} is after --to ${o.to}`);
        const report = await runReport(o, project());
        const [{ renderReportHtml }, { renderReportHeadline }] = await Promise.all([import('#cli/report/render-html.ts'), import('#cli/report/headline.ts')]);
        if (o.html) writeFileSync(o.html, renderReportHtml(report));
        if (o.json) write(JSON.stringify(report, null, 2) + '\n');
        else write(renderReportHeadline(report) + (o.html ? `\nwrote ${o.html}` : '') + '\n');
      } catch (error) {
        // A message a person can act on, exit code 2, as the other commands' input errors.
        if (error instanceof ReportSourceError) program.error(`error: ${error.message}`, { exitCode: 2, code: 'lifecycle-mailer.report' });
        throw error;
      }
    });
}
