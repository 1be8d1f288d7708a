/**
 * `lifecycle-mailer campaigns validate|preview` and `build`: the authoring commands. MJML and
 * the catalog are loaded when a command runs, so a bad argument is answered without them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { ProjectPaths } from '#authoring/catalog-files.ts';
import { LIFECYCLE_STAGES, type LifecycleStage } from '#domain/customer-profile.ts';
import { fileInExistingFolder, localeTag } from './arguments.ts';
import { UsageError } from './errors.ts';

export function registerCampaignCommands(program: Command, paths: () => ProjectPaths): void {
  const campaigns = program.command('campaigns').description('check and preview campaigns');
  campaigns
    .command('validate')
    .description('validate mailer.config.yaml, every campaign file and compile every template')
    .option('--data-dir <dir>', 'local tables whose customers\' locales each campaign should have copy for (else the demo shop\'s)', '.local')
    .action(async (o: { dataDir: string }) => {
      // Every problem of every file, one per line (file:line: message), then exit 1: never a stack trace.
      const [{ validateProject }, { formatProblem }, { customerLocales }] = await Promise.all([import('#authoring/project-check.ts'), import('#authoring/problems.ts'), import('./ui/customer-locales.ts')]);
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
      const [{ buildCatalog }, { campaignById, loadCustomer, previewCampaign }] = await Promise.all([import('#authoring/catalog-files.ts'), import('./campaign-preview.ts')]);
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
      const { buildCatalog } = await import('#authoring/catalog-files.ts');
      const catalog = await buildCatalog(paths());
      writeFileSync(o.out, JSON.stringify(catalog));
      process.stdout.write(`wrote ${o.out}\n`);
    });

  // `build` writes into cdk.out/ by default, which a fresh clone does not have yet.
  program.commands
    .find((c) => c.name() === 'build')
    ?.hook('preAction', (command) => void mkdirSync(dirname(resolve(command.opts<{ out: string }>().out)), { recursive: true }));
}
