/**
 * `lifecycle-mailer failed-events`: what the functions set aside (bad input, unknown
 * customers, sends that could not go), with the reason, read from the local tables of the
 * last run or from the deployed table, so nobody has to scan the table by hand.
 */
import { Option, type Command } from 'commander';
import { FailedEvent, FailedEventStore, failedEventKey } from '#adapters/failed-event-store.ts';
import { type LocationOptions, locationOf, openTable, withLocationOptions, withTable } from './local-tables.ts';

export const FAILED_EVENT_STAGES = FailedEvent.shape.stage.options;

/** The customer a failure is about, when its payload names one (a send request, a shop or SES event). */
export function customerOf(payload: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined; // a payload that is not JSON (a raw import line) names no customer field
  }
  const find = (value: unknown, depth: number): string | undefined => {
    if (typeof value !== 'object' || value === null || depth > 3) return undefined;
    const record = value as Record<string, unknown>;
    if (typeof record.customerId === 'string') return record.customerId;
    // SES events carry the customer in the message tags: mail.tags.customer = [id].
    if (Array.isArray(record.customer) && typeof record.customer[0] === 'string') return record.customer[0];
    for (const key of ['detail', 'mail', 'tags']) {
      const inner = find(record[key], depth + 1);
      if (inner) return inner;
    }
    return undefined;
  };
  return find(parsed, 0);
}

const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

/** A table: when, stage, reason, the key (event or send id) and the customer. */
export function formatFailedEvents(failures: readonly FailedEvent[], where: string, stage?: string): string {
  const scope = stage ? ` at stage ${stage}` : '';
  if (failures.length === 0) return `No failed events${scope} (${where}).`;
  const rows = failures.map((f) => ({ when: f.failedAt, stage: f.stage, reason: f.reason.replace(/\s+/g, ' '), key: failedEventKey(f), customer: customerOf(f.payload) ?? '' }));
  const width = (pick: (r: (typeof rows)[number]) => string, header: string, max: number) => Math.min(max, Math.max(header.length, ...rows.map((r) => pick(r).length)));
  const w = { when: width((r) => r.when, 'when', 24), stage: width((r) => r.stage, 'stage', 10), key: width((r) => r.key, 'key', 48), customer: width((r) => r.customer, 'customer', 24) };
  const line = (when: string, stageName: string, key: string, customer: string, reason: string) =>
    `${clip(when, w.when).padEnd(w.when)}  ${stageName.padEnd(w.stage)}  ${clip(key, w.key).padEnd(w.key)}  ${clip(customer, w.customer).padEnd(w.customer)}  ${clip(reason, 160)}`;
  return [
    `${failures.length} failed event(s)${scope} (${where}):`,
    line('when', 'stage', 'key', 'customer', 'reason'),
    ...rows.map((r) => line(r.when, r.stage, r.key, r.customer, r.reason)),
    '(--json prints the records with their payloads)',
  ].join('\n');
}

/** Adds `failed-events` to the CLI. */
export function registerFailedEventsCommand(program: Command, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  withLocationOptions(
    program
      .command('failed-events')
      .description('list what the functions set aside, with the reason (bad input, unknown customers, sends that could not go)')
      .addOption(new Option('--stage <stage>', 'only failures of this stage').choices(FAILED_EVENT_STAGES))
      .option('--json', 'print the records (with their payloads) as JSON'),
    'failed-events',
  ).action(async (o: LocationOptions & { stage?: FailedEvent['stage']; json?: boolean }) => {
    const open = await openTable(locationOf(o), 'failed-events');
    try {
      const failures = await withTable(open, () => new FailedEventStore(open.db, open.tableName).list(o.stage));
      write(o.json ? `${JSON.stringify(failures, null, 2)}\n` : `${formatFailedEvents(failures, open.where, o.stage)}\n`);
    } finally {
      await open.close();
    }
  });
}
