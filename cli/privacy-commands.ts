/**
 * `lifecycle-mailer privacy export|erase <email | customer id>`: data-subject rights on the
 * local tables (`npm start`, `connect serve`). On AWS the privacy function does the same.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { IdentityStore } from '#adapters/identity-store.ts';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_TABLE_PREFIX, localDynamoClient, startDynalite } from '#lib/local/dynamodb-local.ts';
import { localPrivacySalt } from '#lib/local/privacy-salt.ts';
import { localTableNames } from '#lib/tables.ts';
import { type ErasureReceipt, erasePerson, exportPerson, type PrivacyDeps, type PrivacyExport, PrivacySubject } from '../functions/privacy/privacy-records.ts';
import { CommandFailedError, UsageError } from './errors.ts';
import { fileInExistingFolder } from './arguments.ts';

type Write = (text: string) => void;

function subjectOf(raw: string): string {
  const parsed = PrivacySubject.safeParse(raw);
  if (!parsed.success) throw new UsageError(`<email | customer id> "${raw.slice(0, 100)}" is neither an email address nor a customer id (letters, digits, _ and -)`);
  return parsed.data;
}

/** Opens every local table of the data dir on one dynalite, for the command's duration. */
export async function withLocalPrivacy<T>(dataDir: string, work: (deps: PrivacyDeps) => Promise<T>): Promise<T> {
  const dir = join(resolve(dataDir), 'dynamodb');
  if (!existsSync(dir)) throw new CommandFailedError(`no local tables in ${dir}: run \`npm start\` or \`connect serve\` first`);
  let dynalite;
  try {
    dynalite = await startDynalite(dir);
  } catch (error) {
    throw new CommandFailedError(`cannot open the local tables in ${dir} (is \`npm start -- --serve\` or \`connect serve\` still holding them?)`, { cause: error });
  }
  const tables = localTableNames(LOCAL_TABLE_PREFIX);
  const admin = localDynamoClient(dynalite.endpoint);
  const db = createDocumentClient({ endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    // A data dir from before the identities table gets it (empty) so the erased addresses have a place.
    await createTables(admin, tables);
    return await work({ db, tables, identities: new IdentityStore(db, tables.identities, localPrivacySalt(resolve(dataDir))) });
  } finally {
    db.destroy();
    admin.destroy();
    await dynalite.stop();
  }
}

export function registerPrivacyCommands(program: Command, write: Write = (t) => process.stdout.write(t)): void {
  const privacy = program.command('privacy').description("data-subject rights: export or erase everything held about a person");
  privacy
    .command('export <subject>')
    .description('print (or write) everything held about a person, by email address or customer id, as one JSON document')
    .option('--data-dir <dir>', 'the local data dir', '.local')
    .option('--out <file>', 'write the JSON to this file instead of printing it', fileInExistingFolder)
    .action(async (raw: string, o: { dataDir: string; out?: string }) => {
      const subject = subjectOf(raw);
      const doc: PrivacyExport = await withLocalPrivacy(o.dataDir, (deps) => exportPerson(subject, deps, new Date().toISOString()));
      const text = `${JSON.stringify(doc, null, 2)}\n`;
      if (o.out) {
        writeFileSync(o.out, text, { mode: 0o600 });
        write(`wrote ${Object.values(doc.records).reduce((n, items) => n + (items?.length ?? 0), 0)} records about ${doc.customerId} to ${o.out}\n`);
      } else write(text);
    });
  privacy
    .command('erase <subject>')
    .description("remove a person's personal data from every table, keep only a salted hash of the address so they are not mailed again, and store a receipt")
    .option('--data-dir <dir>', 'the local data dir', '.local')
    .option('--by <who>', 'who asked for the erasure (kept on the receipt)', userInfo().username || 'cli')
    .action(async (raw: string, o: { dataDir: string; by: string }) => {
      const subject = subjectOf(raw);
      const receipt: ErasureReceipt = await withLocalPrivacy(o.dataDir, (deps) => erasePerson(subject, deps, new Date().toISOString(), o.by.slice(0, 200)));
      const removed = Object.entries(receipt.removed).map(([t, n]) => `${t} ${n}`).join(', ');
      write(`erased ${receipt.customerId} at ${receipt.erasedAt} (by ${receipt.by}): removed ${removed}; ${receipt.suppressedAddresses} address(es) kept as salted hashes; receipt ${receipt.id}\n`);
    });
}
