/** `import … --dry-run` against a deployed stack: the options its plan needs, checked before any AWS call. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { projectPaths } from '#authoring/catalog-files.ts';
import { registerImportCommands } from '#cli/import-commands.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const run = (...args: string[]) => {
  const program = new Command().exitOverride();
  registerImportCommands(program, () => projectPaths(repoRoot), () => undefined);
  return program.parseAsync(['node', 'lifecycle-mailer', ...args]);
};

describe('import --dry-run against a deployed stack', () => {
  it('needs the identities table and its salt as well as the customers table, so rows find their customers as ingest will', async () => {
    const deployed = ['--dry-run', '--event-bus', 'shop-bus', '--region', 'eu-west-1'];
    await expect(run('import', 'customers', 'customers.csv', ...deployed)).rejects.toThrow('--dry-run: against a deployed stack it needs --customers-table');
    await expect(run('import', 'customers', 'customers.csv', ...deployed, '--customers-table', 'customers')).rejects.toThrow(/--dry-run: .*needs --identities-table and --privacy-salt-secret/);
    await expect(run('import', 'orders', 'orders.csv', ...deployed, '--customers-table', 'customers', '--identities-table', 'identities')).rejects.toThrow(/needs --identities-table and --privacy-salt-secret/);
  });
});
