/**
 * `lifecycle-mailer ui`: the marketer's workbench, a local web app on 127.0.0.1 over the
 * project's files and the local tables of the last run (or a deployed stack's, read-only).
 */
import type { Command } from 'commander';
import { portNumber } from '#cli/arguments.ts';
import type { ProjectPaths } from '#authoring/catalog-files.ts';
import { TABLES, type TableName, type TableNames } from '#lib/tables.ts';
import { DataLocationError } from '#cli/ui/data-location-error.ts';

export { DataLocationError };

const TABLE_NAMES = TABLES.map((t) => t.name);

/** `--table customers=Prod-Customers-1A2B` (repeatable) into a name map; an unknown logical name is an error naming the known ones. */
export function parseTableOption(value: string, previous: Partial<TableNames> = {}): Partial<TableNames> {
  const at = value.indexOf('=');
  const name = value.slice(0, at) as TableName;
  const physical = value.slice(at + 1).trim();
  if (at < 1 || !physical) throw new DataLocationError(`--table ${value}: expected <name>=<physical table name>, e.g. customers=MyStack-Customers-1A2B`);
  if (!TABLE_NAMES.includes(name)) throw new DataLocationError(`--table ${value}: no table '${name}'; the tables are ${TABLE_NAMES.join(', ')}`);
  return { ...previous, [name]: physical };
}

export function registerUiCommand(program: Command, project: () => ProjectPaths, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  program
    .command('ui')
    .description('the marketer\'s workbench: preview emails, see who gets a campaign and why not, look up customers, send tests (127.0.0.1 only)')
    .option('--port <n>', 'port on 127.0.0.1', portNumber, 4400)
    .option('--data-dir <dir>', 'the local data dir of the last run (`npm start`)', '.local')
    .option('--region <region>', 'read a deployed stack\'s tables in this region instead (read-only; test sends go to SES there)')
    .option('--table <name=physical>', 'a deployed table by logical name, e.g. customers=MyStack-Customers-1A2B (repeat for send-ledger, stage-changes, failed-events, deliverability, journey-entries)', parseTableOption)
    .action(async (o: { port: number; dataDir: string; region?: string; table?: Partial<TableNames> }) => {
      const started = Date.now();
      if (o.region && !o.table?.customers) throw new DataLocationError('--region needs at least --table customers=<physical name> (and the other tables you want to see)');
      // Loaded here: the workbench pulls in the local runtime, MJML and ECharts, which `ui --help` and a bad option need not wait for.
      const { startWorkbench } = await import('#cli/ui/server.ts');
      const workbench = await startWorkbench({ paths: project(), location: o.region ? { region: o.region, tables: o.table ?? {} } : { dataDir: o.dataDir }, port: o.port });
      write(`Workbench: ${workbench.url}/  (started in ${((Date.now() - started) / 1000).toFixed(1)} s; reading ${workbench.ctx.data.where}; Ctrl-C to stop)\n`);
      write('It shows customer data: it listens on 127.0.0.1 only.\n');
      // Stop dynalite and the SES stand-in with the workbench: an orphan would hold the tables' lock.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void workbench.close().then(() => process.exit(0)));
      await new Promise(() => undefined);
    });
}
