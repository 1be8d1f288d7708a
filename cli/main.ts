import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { formatProblem } from '#authoring/problems.ts';
import { validateProject } from '#authoring/project-check.ts';
import { LIFECYCLE_STAGES, type LifecycleStage } from '#domain/customer-profile.ts';
import { runJob } from '#cli/run/run-job.ts';
import { existingDirectory, existingFile, faultSpec, fileInExistingFolder, isoDay, localeTag, positiveInteger, positiveNumber } from '#cli/arguments.ts';
import { campaignById, loadCustomer, previewCampaign } from '#cli/campaign-preview.ts';
import { DEMO_SCENARIOS, type DemoScenario } from '#cli/run/demo-shop.ts';
import { registerModelsCommand } from '#cli/customer-value-report.ts';
import { outcomeOf, stackOf, UsageError } from '#cli/errors.ts';
import { registerFailedEventsCommand } from '#cli/failed-events.ts';
import { registerPauseCommands } from '#cli/pause-commands.ts';
import { registerConnectCommands } from '#cli/connect-commands.ts';
import { registerImportCommands } from '#cli/import-commands.ts';
import { registerPrivacyCommands } from '#cli/privacy-commands.ts';
import type { FaultPlan } from '#lib/local/fault-injection.ts';
import { registerReportCommand } from '#cli/report-command.ts';
import { registerJourneyCommands } from '#cli/journeys-commands.ts';
import { customerLocales } from '#cli/ui/customer-locales.ts';
import { registerUiCommand } from '#cli/ui-command.ts';
import { registerCostCommand } from '#cli/cost-command.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const program = new Command('lifecycle-mailer').description('Lifecycle email for e-commerce: segment, choose, render, send through SES, learn from engagement.');
program.option('--project <dir>', 'folder holding mailer.config.yaml, campaigns/ and templates/', existingDirectory, repoRoot);
program.option('--debug', 'print the stack trace of an error');
// Errors come to the one handler at the bottom (exit codes), not to commander's process.exit;
// set before the subcommands are added, which inherit it.
program.exitOverride();

const paths = () => projectPaths(resolve(program.opts<{ project: string }>().project));

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

const campaigns = program.command('campaigns').description('check and preview campaigns');
campaigns
  .command('validate')
  .description('validate mailer.config.yaml, every campaign file and compile every template')
  .option('--data-dir <dir>', 'local tables whose customers\' locales each campaign should have copy for (else the demo shop\'s)', '.local')
  .action(async (o: { dataDir: string }) => {
    // Every problem of every file, one per line (file:line: message), then exit 1: never a stack trace.
    const { problems, warnings, catalog } = await validateProject(paths(), { customerLocales: await customerLocales(o.dataDir) });
    for (const w of warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
    for (const p of problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
    if (problems.length || !catalog) {
      process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'}: nothing was built\n`);
      process.exitCode = 1;
      return;
    }
    const translations = catalog.templates.filter((t) => t.name.includes('.')).length;
    process.stdout.write(`ok: ${catalog.campaigns.length} campaigns, ${catalog.templates.length} templates${translations ? ` (${translations} translations)` : ''}${warnings.length ? `, ${warnings.length} warnings` : ''}\n`);
  });
campaigns
  .command('preview <campaignId>')
  .description('render a campaign for a sample customer to an HTML file')
  .option('--out <file>', 'where to write the HTML', fileInExistingFolder, 'preview.html')
  .addOption(new Option('--stage <stage>', "the customer's lifecycle stage (default: the persona's, or the campaign's first audience stage)").choices(LIFECYCLE_STAGES))
  .option('--variant <id>', 'the campaign variant to render (default: the one the customer is assigned to)')
  .option('--locale <tag>', "the customer's locale, e.g. ja-JP", localeTag)
  .option('--persona <id>', 'a sample customer: a stage name (typical customer) or no-first-name, hostile-name, non-latin-name, name-with-dot, empty-cart')
  .option('--customer <id>', 'a real customer from the local tables of the last run (see --data-dir)')
  .option('--data-dir <dir>', 'where the last run left its local tables (for --customer)', '.local')
  .action(async (campaignId: string, o: { out: string; stage?: LifecycleStage; variant?: string; locale?: string; persona?: string; customer?: string; dataDir: string }) => {
    const catalog = await buildCatalog(paths());
    campaignById(catalog, campaignId); // an unknown id is named before any table is opened
    if (o.persona && o.customer) throw new UsageError('give either --persona or --customer, not both');
    const customer = o.customer ? await loadCustomer(o.dataDir, o.customer) : undefined;
    const preview = previewCampaign(catalog, campaignId, {
      ...(o.persona ? { persona: o.persona } : {}),
      ...(customer ? { customer } : {}),
      ...(o.stage ? { stage: o.stage } : {}),
      ...(o.variant ? { variant: o.variant } : {}),
      ...(o.locale ? { locale: o.locale } : {}),
    });
    const { email } = preview;
    writeFileSync(o.out, email.html);
    writeFileSync(o.out.replace(/\.html?$/, '') + '.txt', `Subject: ${email.subject}\n\n${email.text}`);
    process.stdout.write(
      `Rendered ${campaignId} for ${preview.recipient}: stage ${preview.stage}, variant ${preview.variant}, locale ${preview.locale}\n` +
        `Subject: ${email.subject}\nwrote ${o.out} and the text part next to it\n`,
    );
  });

program
  .command('build')
  .description('validate and compile the campaigns and templates into one catalog.json for the functions')
  .option('--out <file>', 'output file', join('cdk.out', 'catalog.json'))
  .action(async (o: { out: string }) => {
    const catalog = await buildCatalog(paths());
    writeFileSync(o.out, JSON.stringify(catalog));
    process.stdout.write(`wrote ${o.out}\n`);
  });

// `build` writes into cdk.out/ by default, which a fresh clone does not have yet.
program.commands
  .find((c) => c.name() === 'build')
  ?.hook('preAction', (command) => void mkdirSync(dirname(resolve(command.opts<{ out: string }>().out)), { recursive: true }));

registerModelsCommand(program);
registerPauseCommands(program, paths);
registerConnectCommands(program, paths);
registerImportCommands(program, paths);
registerPrivacyCommands(program);
registerFailedEventsCommand(program);
registerReportCommand(program, paths);
registerJourneyCommands(program, paths);
registerUiCommand(program, paths);
registerCostCommand(program);

// The one error handler: a message naming what is wrong and an exit code (2 usage, 1 failure);
// the stack trace only with --debug (read from argv: parsing itself may be what failed).
try {
  await program.parseAsync();
} catch (error) {
  const outcome = outcomeOf(error);
  const debug = process.argv.includes('--debug');
  if (outcome.message) process.stderr.write(`${outcome.message}\n`);
  if (outcome.message && debug) process.stderr.write(`${stackOf(error)}\n`);
  else if (outcome.unexpected) process.stderr.write('run with --debug for the stack trace\n');
  process.exit(outcome.exitCode);
}
