import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { projectPaths, type ProjectPaths } from '#authoring/project-paths.ts';
import { existingDirectory } from '#cli/arguments.ts';
import { outcomeOf, stackOf } from '#cli/errors.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const program = new Command('lifecycle-mailer').description('Lifecycle email for e-commerce: segment, choose, render, send through SES, learn from engagement.');
program.option('--project <dir>', 'folder holding mailer.config.yaml, campaigns/ and templates/', existingDirectory, repoRoot);
program.option('--debug', 'print the stack trace of an error');
// Errors come to the one handler at the bottom (exit codes), not to commander's process.exit;
// set before the subcommands are added, which inherit it.
program.exitOverride();

const paths = () => projectPaths(resolve(program.opts<{ project: string }>().project));

/** Adds a command group; commands that print take their writer's default (stdout). */
type Register = (program: Command, paths: () => ProjectPaths) => void;

/**
 * Each top-level command and the module that adds it. Only the module of the command being
 * run is loaded (the others pull in MJML, ECharts, the AWS SDK…), so a usage error or a
 * command's --help answers at once; the top-level help and an unknown command load them all.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('#cli/run-command.ts')).registerRunCommand,
  campaigns: async () => (await import('#cli/campaigns-commands.ts')).registerCampaignCommands,
  build: async () => (await import('#cli/campaigns-commands.ts')).registerCampaignCommands,
  models: async () => {
    const { registerModelsCommand } = await import('#cli/customer-value-report.ts');
    return (program) => void registerModelsCommand(program);
  },
  pauses: async () => (await import('#cli/pause-commands.ts')).registerPauseCommands,
  resume: async () => (await import('#cli/pause-commands.ts')).registerPauseCommands,
  connect: async () => (await import('#cli/connect-commands.ts')).registerConnectCommands,
  import: async () => (await import('#cli/import-commands.ts')).registerImportCommands,
  privacy: async () => {
    const { registerPrivacyCommands } = await import('#cli/privacy-commands.ts');
    return (program) => registerPrivacyCommands(program);
  },
  'failed-events': async () => {
    const { registerFailedEventsCommand } = await import('#cli/failed-events.ts');
    return (program) => registerFailedEventsCommand(program);
  },
  report: async () => (await import('#cli/report-command.ts')).registerReportCommand,
  journeys: async () => (await import('#cli/journeys-commands.ts')).registerJourneyCommands,
  ui: async () => (await import('#cli/ui-command.ts')).registerUiCommand,
  cost: async () => {
    const { registerCostCommand } = await import('#cli/cost-command.ts');
    return (program) => registerCostCommand(program);
  },
};

/** The command named on the command line: the first word that is not a global option or its value. */
function commandNamed(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--project') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

async function registerCommands(): Promise<void> {
  const name = commandNamed(process.argv.slice(2));
  const wanted = name && Object.hasOwn(COMMANDS, name) ? [COMMANDS[name]!] : Object.values(COMMANDS);
  // One module may add two commands (pauses and resume): each is added once.
  const registers = new Set(await Promise.all(wanted.map((load) => load())));
  for (const register of registers) register(program, paths);
}

// The one error handler: a message naming what is wrong and an exit code (2 usage, 1 failure);
// the stack trace only with --debug (read from argv: parsing itself may be what failed).
try {
  await registerCommands();
  await program.parseAsync();
} catch (error) {
  const outcome = outcomeOf(error);
  const debug = process.argv.includes('--debug');
  if (outcome.message) process.stderr.write(`${outcome.message}\n`);
  if (outcome.message && debug) process.stderr.write(`${stackOf(error)}\n`);
  else if (outcome.unexpected) process.stderr.write('run with --debug for the stack trace\n');
  process.exit(outcome.exitCode);
}
