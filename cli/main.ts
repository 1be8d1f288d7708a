import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { ConfigFileError } from '#authoring/campaign-files.ts';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { formatProblem } from '#authoring/problems.ts';
import { validateProject } from '#authoring/project-check.ts';
import { TemplateCompileError } from '#authoring/template-compiler.ts';
import { InvalidInputError } from '#domain/invalid-input-error.ts';
import { runJob } from '#cli/run/run-job.ts';
import { previewCampaign } from '#cli/campaign-preview.ts';
import { registerModelsCommand } from '#cli/customer-value-report.ts';
import { PauseCommandError, registerPauseCommands } from '#cli/pause-commands.ts';
import { registerConnectCommands } from '#cli/connect-commands.ts';
import { registerImportCommands } from '#cli/import-commands.ts';
import { customerLocales } from '#cli/ui/customer-locales.ts';
import { DataLocationError, registerUiCommand } from '#cli/ui-command.ts';
import { type FaultPlan, parseFaults } from '#lib/local/fault-injection.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const program = new Command('lifecycle-mailer').description('Lifecycle email for e-commerce: segment, choose, render, send through SES, learn from engagement.');
program.option('--project <dir>', 'folder holding mailer.config.yaml, campaigns/ and templates/', repoRoot);

const paths = () => projectPaths(resolve(program.opts<{ project: string }>().project));

program
  .command('run')
  .description('run the whole pipeline locally on the demo shop (or an order log) and print a summary')
  .option('--orders <file>', 'replay a real order log instead of the demo shop')
  .addOption(new Option('--format <format>', 'order log format').choices(['cdnow', 'csv', 'jsonl']).default('cdnow'))
  .option('--from <date>', 'go-live date YYYY-MM-DD: history before it is imported, campaigns run from it')
  .option('--to <date>', 'last day to replay YYYY-MM-DD')
  .option('--customers <n>', 'demo shop size', (v) => Number.parseInt(v, 10))
  .option('--seed <seed>', 'seed for the demo shop and the emulated opens and clicks')
  .option('--summary <file>', 'also write the summary as JSON')
  .option('--data-dir <dir>', 'where the local tables and the outbox live', '.local')
  .option('--serve', 'keep the local SES inbox open afterwards')
  .option('--quiet', 'no progress and no table')
  .option('--send-rate <n>', 'sends per second in real time (default: sending.maxSendRate); a long replay may go faster than SES would allow', (v) => Number.parseFloat(v))
  .option('--faults <spec>', 'inject faults, e.g. ses-throttle=0.2,ses-error=0.05,ddb-throttle=0.05,crash-before-send=0.02,crash-after-send=0.02,duplicate-events=0.1', parseFaults)
  .action(async (o: { sendRate?: number; faults?: FaultPlan; orders?: string; format: 'cdnow' | 'csv' | 'jsonl'; from?: string; to?: string; customers?: number; seed?: string; summary?: string; dataDir: string; serve?: boolean; quiet?: boolean }) => {
    const catalog = await buildCatalog(paths());
    const { runtime } = await runJob({
      catalog,
      dataDir: o.dataDir,
      ...(o.orders ? { orders: { file: o.orders, format: o.format } } : {}),
      ...(o.from ? { from: o.from } : {}),
      ...(o.to ? { to: o.to } : {}),
      ...(o.customers ? { customers: o.customers } : {}),
      ...(o.seed ? { seed: o.seed } : {}),
      ...(o.summary ? { summaryFile: o.summary } : {}),
      serve: o.serve ?? false,
      quiet: o.quiet ?? false,
      ...(o.faults ? { faults: o.faults } : {}),
      ...(o.sendRate ? { sendRate: o.sendRate } : {}),
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
  .option('--out <file>', 'where to write the HTML', 'preview.html')
  .option('--stage <stage>', 'sample customer stage')
  .action(async (campaignId: string, o: { out: string }) => {
    const catalog = await buildCatalog(paths());
    const email = previewCampaign(catalog, campaignId);
    writeFileSync(o.out, email.html);
    writeFileSync(o.out.replace(/\.html?$/, '') + '.txt', `Subject: ${email.subject}\n\n${email.text}`);
    process.stdout.write(`Subject: ${email.subject}\nwrote ${o.out} and the text part next to it\n`);
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

registerModelsCommand(program);
registerPauseCommands(program, paths);
registerConnectCommands(program, paths);
registerImportCommands(program, paths);
registerUiCommand(program, paths);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof ConfigFileError || error instanceof TemplateCompileError || error instanceof InvalidInputError || error instanceof PauseCommandError || error instanceof DataLocationError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
