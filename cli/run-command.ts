/**
 * `lifecycle-mailer run`: the whole pipeline on the local runtime (the demo shop, or a
 * replayed order log). The runtime and the catalog are loaded when the command runs, so a
 * mistyped option is answered without loading them.
 */
import { type Command, Option } from 'commander';
import type { ProjectPaths } from '#authoring/catalog-files.ts';
import type { FaultPlan } from '#lib/local/fault-injection.ts';
import { existingFile, faultSpec, fileInExistingFolder, isoDay, positiveInteger, positiveNumber } from './arguments.ts';
import { UsageError } from './errors.ts';
import { DEMO_SCENARIOS, type DemoScenario } from './run/demo-shop.ts';

export function registerRunCommand(program: Command, paths: () => ProjectPaths): void {
  program
    .command('run')
    .description('run the whole pipeline locally on the demo shop (or an order log) and print a summary')
    .option('--orders <file>', 'replay a real order log instead of the demo shop', existingFile)
    .option('--assume-consent', 'import the log\'s customers it gives no consent for as consenting (test data, or a list whose consent is documented elsewhere)')
    .addOption(new Option('--format <format>', 'order log format').choices(['cdnow', 'csv', 'jsonl']).default('cdnow'))
    .option('--from <date>', 'go-live date YYYY-MM-DD: history before it is imported, campaigns run from it', isoDay)
    .option('--to <date>', 'last day to replay YYYY-MM-DD', isoDay)
    .option('--customers <n>', 'demo shop size', positiveInteger)
    .option('--seed <seed>', 'seed for the demo shop and the emulated opens and clicks')
    .addOption(new Option('--scenario <name>', 'demo shop list: healthy, or dirty-list (bounce and complaint addresses that make the guardrail pause)').choices(DEMO_SCENARIOS).default('healthy'))
    .option('--summary <file>', 'also write the summary as JSON', fileInExistingFolder)
    .option('--data-dir <dir>', 'where the local tables and the outbox live', '.local')
    .option('--serve', 'keep the local SES inbox open afterwards')
    .option('--quiet', 'no progress and no table')
    .option('--send-rate <n>', 'sends per second (default: sending.maxSendRate)', positiveNumber)
    .option('--realtime', 'pace sends in real time, as SES would (the default with --serve); otherwise the rate is kept in simulated seconds')
    .option('--faults <spec>', 'inject faults, e.g. ses-throttle=0.2,ses-error=0.05,ddb-throttle=0.05,crash-before-send=0.02,crash-after-send=0.02,duplicate-events=0.1', faultSpec)
    .action(async (o: { sendRate?: number; realtime?: boolean; faults?: FaultPlan; orders?: string; format: 'cdnow' | 'csv' | 'jsonl'; from?: string; to?: string; customers?: number; seed?: string; scenario: DemoScenario; summary?: string; dataDir: string; serve?: boolean; quiet?: boolean; assumeConsent?: boolean }) => {
      if (o.from && o.to && !(o.from <= o.to)) throw new UsageError(`--from ${o.from} must be on or before --to ${o.to}`);
      if (o.orders && o.customers) throw new UsageError('--customers sizes the demo shop; it does not go with --orders');
      const [{ buildCatalog }, { runJob }] = await Promise.all([import('#authoring/catalog-files.ts'), import('./run/run-job.ts')]);
      const catalog = await buildCatalog(paths());
      const { runtime } = await runJob({
        catalog,
        dataDir: o.dataDir,
        ...(o.orders ? { orders: { file: o.orders, format: o.format } } : {}),
        ...(o.assumeConsent ? { assumeConsent: true } : {}),
        ...(o.from ? { from: o.from } : {}),
        ...(o.to ? { to: o.to } : {}),
        ...(o.customers ? { customers: o.customers } : {}),
        ...(o.seed ? { seed: o.seed } : {}),
        scenario: o.scenario,
        ...(o.summary ? { summaryFile: o.summary } : {}),
        serve: o.serve ?? false,
        quiet: o.quiet ?? false,
        ...(o.faults ? { faults: o.faults } : {}),
        ...(o.sendRate ? { sendRate: o.sendRate } : {}),
        ...(o.realtime ? { realtime: true } : {}),
      });
      if (runtime) {
        process.stdout.write(`\nLocal SES inbox: ${runtime.services.ses.endpoint}/\nUnsubscribe links in the emails point at ${runtime.unsubscribeServer?.url ?? '(not served)'}  (Ctrl-C to stop)\n`);
        process.once('SIGINT', () => void runtime.stop().then(() => process.exit(0)));
        await new Promise(() => undefined);
      }
    });
}
