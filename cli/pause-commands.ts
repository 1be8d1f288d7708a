/**
 * `lifecycle-mailer pauses` and `lifecycle-mailer resume`: read the deliverability
 * guardrail's pause records, and resume a paused campaign (or all marketing) explicitly,
 * with who and why recorded. They work on the local tables `npm start` leaves under
 * `<data-dir>/dynamodb`, or on the deployed table with `--table`.
 */
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import {
  ALL_MARKETING,
  campaignOfScope,
  campaignScope,
  describeScope,
  NotPausedError,
  type PauseEntry,
  type PauseRecord,
  type PauseScope,
  resumedRecord,
} from '#domain/deliverability-guardrail.ts';
import { loadCampaigns } from '#authoring/campaign-files.ts';
import type { ProjectPaths } from '#authoring/catalog-files.ts';
import { DeliverabilityStore } from '#adapters/deliverability-store.ts';
import { UsageError } from './errors.ts';
import { type LocationOptions, locationOf, openTable, type TableLocation, withLocationOptions, withTable as withTableOf } from './local-tables.ts';

/**
 * A pause command that cannot do what was asked; the message says why and what to do.
 * Exit code 1 (no tables, a record that kept changing), or 2 when the request itself is wrong
 * (resuming what is not paused).
 */
export class PauseCommandError extends Error {
  override readonly name = 'PauseCommandError';
  readonly exitCode: 1 | 2;
  constructor(message: string, options?: { cause?: unknown; usage?: boolean }) {
    super(message, options);
    this.exitCode = options?.usage ? 2 : 1;
  }
}

/** Where the deliverability table is: the local data dir of `npm start`, or a table in AWS. */
export type DeliverabilityLocation = TableLocation;

export interface OpenStore {
  store: DeliverabilityStore;
  /** For messages: which table, where. */
  where: string;
  close(): Promise<void>;
}

/** Opens the table: for a data dir, starts dynalite on its LevelDB files for the command's duration. */
export async function openDeliverabilityStore(location: DeliverabilityLocation): Promise<OpenStore> {
  const open = await openTable(location, 'deliverability', pauseFailure);
  return { store: new DeliverabilityStore(open.db, open.tableName), where: open.where, close: open.close };
}

const pauseFailure = (message: string, cause?: unknown) => new PauseCommandError(message, { cause });

/** DynamoDB's "no such table", as a message a person can act on. */
const withTable = <T>(open: OpenStore, work: () => Promise<T>): Promise<T> =>
  withTableOf(open, work, (message, cause) => new PauseCommandError(message.replace('an older version', 'before the guardrail'), { cause }));

export const listPauses = (open: OpenStore): Promise<PauseRecord[]> => withTable(open, () => open.store.listPauses());

/** The scope a `resume` names, checked against the campaigns and the stored records. */
export async function resolveScope(open: OpenStore, target: { campaignId?: string; allMarketing?: boolean }, knownCampaignIds: readonly string[]): Promise<PauseScope> {
  if (target.allMarketing && target.campaignId) throw new UsageError('give either a campaign id or --all-marketing, not both');
  if (target.allMarketing) return ALL_MARKETING;
  if (!target.campaignId) throw new UsageError('give the campaign id to resume, or --all-marketing');
  const id = target.campaignId;
  const scope = campaignScope(id);
  if (knownCampaignIds.includes(id)) return scope;
  // A campaign whose file was removed since its pause can still be resumed: its record is what counts.
  if (/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id) && (await withTable(open, () => open.store.getPause(scope)))) return scope;
  throw new UsageError(`unknown campaign '${id}' (campaigns: ${knownCampaignIds.join(', ')})`);
}

/**
 * Resumes a paused scope: the record keeps the pause and its reason, and gains who resumed
 * it, when and why. Throws PauseCommandError when the scope is not paused.
 */
export async function resumePause(open: OpenStore, scope: PauseScope, resume: { by: string; reason: string; now: string }): Promise<PauseRecord> {
  if (!resume.reason.trim()) throw new UsageError('--reason is required: say why sending is safe again (it is kept with the pause)');
  if (!resume.by.trim()) throw new UsageError('--by must name who resumes');
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await withTable(open, () => open.store.getPause(scope));
    let next: PauseRecord;
    try {
      next = resumedRecord(existing, scope, { by: resume.by.trim(), reason: resume.reason.trim(), now: resume.now });
    } catch (error) {
      if (error instanceof NotPausedError) throw new PauseCommandError(error.message, { cause: error, usage: true });
      throw error;
    }
    if (await open.store.putPause(next)) return next;
    // The guardrail wrote the record meanwhile: read it again and decide again.
  }
  throw new PauseCommandError(`the pause record of ${describeScope(scope)} kept changing while resuming; try again`);
}

function entryLines(entry: PauseEntry, indent: string): string[] {
  const lines = [`${indent}day ${entry.day}, paused ${entry.pausedAt}: ${entry.reason}`];
  if (entry.resumedAt) lines.push(`${indent}  resumed ${entry.resumedAt} by ${entry.resumedBy ?? 'unknown'}: ${entry.resumedReason ?? ''}`);
  return lines;
}

/** Active pauses first (with the command that resumes each), then the history. */
export function formatPauses(records: readonly PauseRecord[], where: string): string {
  const active = records.filter((r) => r.status === 'active');
  const past = records.flatMap((r) => [...r.history, ...(r.status === 'resumed' ? [r] : [])].map((entry) => ({ scope: r.scope, entry })));
  const lines = [`Deliverability guardrail (${where})`, ''];
  lines.push(active.length ? `Active pauses (${active.length}):` : 'No active pauses: nothing is held back.');
  for (const r of active) {
    const campaignId = campaignOfScope(r.scope);
    lines.push(`  ${describeScope(r.scope)}`, ...entryLines(r, '    '), `    resume: lifecycle-mailer resume ${campaignId ?? '--all-marketing'} --reason "<why sending is safe again>"`);
  }
  if (past.length) {
    lines.push('', `History (${past.length} resumed):`);
    for (const { scope, entry } of past.sort((a, b) => a.entry.pausedAt.localeCompare(b.entry.pausedAt))) lines.push(`  ${describeScope(scope)}`, ...entryLines(entry, '    '));
  }
  return lines.join('\n');
}

function defaultResumer(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `unknown@${hostname()}`;
  }
}

/** Adds `pauses` and `resume` to the CLI. `project` gives the project folders (campaign ids). */
export function registerPauseCommands(program: Command, project: () => ProjectPaths, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  withLocationOptions(program.command('pauses').description('list the deliverability guardrail pauses: active ones with why, then the history'), 'deliverability')
    .option('--json', 'print the records as JSON')
    .action(async (o: LocationOptions & { json?: boolean }) => {
      const open = await openDeliverabilityStore(locationOf(o));
      try {
        const records = await listPauses(open);
        write(o.json ? JSON.stringify(records, null, 2) + '\n' : formatPauses(records, open.where) + '\n');
      } finally {
        await open.close();
      }
    });

  withLocationOptions(
    program
      .command('resume [campaignId]')
      .description('resume a campaign (or, with --all-marketing, all marketing) paused by the deliverability guardrail')
      .option('--all-marketing', 'resume the all-marketing pause')
      .option('--reason <text>', 'why sending is safe again (required; kept with the pause record)')
      .option('--by <who>', 'who resumes (default: user@host)'),
    'deliverability',
  ).action(async (campaignId: string | undefined, o: LocationOptions & { allMarketing?: boolean; reason?: string; by?: string }) => {
    if (!o.reason?.trim()) throw new UsageError('--reason <text> is required: say why sending is safe again (it is kept with the pause)');
    const known = loadCampaigns(project().campaigns).map((c) => c.id);
    const open = await openDeliverabilityStore(locationOf(o));
    try {
      const scope = await resolveScope(open, { ...(campaignId ? { campaignId } : {}), ...(o.allMarketing ? { allMarketing: true } : {}) }, known);
      const record = await resumePause(open, scope, { by: o.by ?? defaultResumer(), reason: o.reason, now: new Date().toISOString() });
      write(
        `resumed ${describeScope(scope)} (${open.where})\n` +
          `  it was paused ${record.pausedAt} for day ${record.day}: ${record.reason}\n` +
          `  resumed ${record.resumedAt} by ${record.resumedBy}: ${record.resumedReason}\n` +
          `  the guardrail judges it again from sending day ${nextDay(record.rearmsAfter ?? record.day)}\n`,
      );
    } finally {
      await open.close();
    }
  });
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
