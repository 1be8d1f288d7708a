/**
 * What the workbench reads: the local tables of the last run (dynalite on `<data-dir>/dynamodb`),
 * or a deployed stack's tables, read-only. Only reads are offered here; the one write the
 * workbench makes (a test send) goes to SES, never to a table.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { DynamoCustomerStore } from '#adapters/customer-store.ts';
import { DeliverabilityStore } from '#adapters/deliverability-store.ts';
import { type FailedEvent, FailedEventStore } from '#adapters/failed-event-store.ts';
import { LedgerEntry, SendLedger } from '#adapters/send-ledger.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import { LifecycleStage } from '#domain/customer-profile.ts';
import type { PauseRecord } from '#domain/deliverability-guardrail.ts';
import { JourneyEntry } from '#domain/journey-engine.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import { readSnapshot, reportTables } from '#cli/report/read-tables.ts';
import type { ReportSnapshot } from '#cli/report/snapshot.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_TABLE_PREFIX, startDynalite } from '#lib/local/dynamodb-local.ts';
import { localTableNames, TABLES, type TableName, type TableNames } from '#lib/tables.ts';
import { DataLocationError } from './data-location-error.ts';

export { DataLocationError };

/** Where the tables are: a local data dir, or deployed tables by physical name. */
export type DataLocation = { dataDir: string } | { region?: string; tables: Partial<TableNames> };


const StageChangeItem = z.object({ customerId: z.string(), from: LifecycleStage, to: LifecycleStage, changedAt: z.string() });
export type StageChangeItem = z.infer<typeof StageChangeItem>;

/** The run summary's headline numbers per campaign (cli/run/run-summary.ts), as far as the workbench shows them. */
const SummaryFile = z.object({
  window: z.object({ from: z.string(), to: z.string() }).optional(),
  campaigns: z.record(z.string(), z.object({ eligible: z.number(), queued: z.number(), sent: z.number(), opens: z.number(), clicks: z.number() }).partial()),
});
export type CampaignNumbers = { sent: number; opens: number; clicks: number; queued?: number; eligible?: number };

export interface WorkbenchData {
  /** For the page footer: which tables these are. */
  readonly where: string;
  /** Where test sends are copied as .eml (local only). */
  readonly outboxDir?: string;
  readonly local: boolean;
  allCustomers(): Promise<CustomerProfile[]>;
  customer(id: string): Promise<CustomerProfile | undefined>;
  sendsOf(customerId: string): Promise<LedgerEntry[]>;
  allSends(): Promise<LedgerEntry[]>;
  stageChangesOf(customerId: string): Promise<StageChangeItem[]>;
  failedEvents(): Promise<FailedEvent[]>;
  pauses(): Promise<PauseRecord[]>;
  /** Every customer's stored journey entries (one per customer and journey: the latest). */
  journeyEntries(): Promise<JourneyEntry[]>;
  journeyEntriesOf(customerId: string): Promise<JourneyEntry[]>;
  /** What the CRM report reads (cli/report), from these tables: the report page and the customer's attributed orders. */
  reportSnapshot(config: Pick<MailerConfig, 'guardrail' | 'shop'>, now: string): Promise<ReportSnapshot>;
  /** The last run's headline numbers per campaign: its summary JSON when there is one, else counted from the ledger. */
  campaignNumbers(): Promise<{ source: string; byCampaign: Record<string, CampaignNumbers> }>;
  close(): Promise<void>;
}

const missingTable = (error: unknown) => error instanceof Error && error.name === 'ResourceNotFoundException';

async function scanAll(db: DynamoDBDocumentClient, table: string, filter?: { expression: string; values: Record<string, unknown> }): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: startKey, ...(filter ? { FilterExpression: filter.expression, ExpressionAttributeValues: filter.values } : {}) }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

class TableData implements WorkbenchData {
  private readonly customers: DynamoCustomerStore;
  private readonly ledger: SendLedger;
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: Partial<TableNames>,
    readonly where: string,
    readonly local: boolean,
    private readonly stop: () => Promise<void>,
    private readonly dataDir?: string,
  ) {
    this.customers = new DynamoCustomerStore(db, this.table('customers'));
    this.ledger = new SendLedger(db, this.table('send-ledger'));
  }

  get outboxDir() {
    return this.dataDir ? join(this.dataDir, 'outbox') : undefined;
  }

  private table(name: TableName): string {
    const t = this.tables[name];
    if (!t) throw new DataLocationError(`no ${name} table given (pass --table ${name}=<physical name>)`);
    return t;
  }

  /** A table that does not exist (a data dir from an older version) reads as empty, not as an error page. */
  private async orEmpty<T>(work: () => Promise<T[]>): Promise<T[]> {
    try {
      return await work();
    } catch (error) {
      if (missingTable(error) || error instanceof DataLocationError) return [];
      throw error;
    }
  }

  async allCustomers() {
    return this.orEmpty(async () => {
      const out: CustomerProfile[] = [];
      for await (const page of this.customers.scanSegment(0, 1)) out.push(...page);
      return out.sort((a, b) => a.customerId.localeCompare(b.customerId, undefined, { numeric: true }));
    });
  }

  async customer(id: string) {
    try {
      return await this.customers.get(id);
    } catch (error) {
      if (missingTable(error)) return undefined;
      throw error;
    }
  }

  async allSends() {
    return this.orEmpty(async () => {
      const out: LedgerEntry[] = [];
      for await (const e of this.ledger.all()) out.push(e);
      return out;
    });
  }

  async sendsOf(customerId: string) {
    return this.orEmpty(async () => {
      const items = await scanAll(this.db, this.table('send-ledger'), { expression: 'customerId = :c', values: { ':c': customerId } });
      return items.map((i) => LedgerEntry.parse(i)).sort((a, b) => a.claimedAt.localeCompare(b.claimedAt));
    });
  }

  async stageChangesOf(customerId: string) {
    return this.orEmpty(async () => {
      const { Items } = await this.db.send(
        new QueryCommand({ TableName: this.table('stage-changes'), KeyConditionExpression: 'customerId = :c', ExpressionAttributeValues: { ':c': customerId } }),
      );
      return (Items ?? []).map((i) => StageChangeItem.parse(i));
    });
  }

  async failedEvents() {
    return this.orEmpty(async () => (await new FailedEventStore(this.db, this.table('failed-events')).list()).sort((a, b) => b.failedAt.localeCompare(a.failedAt)));
  }

  async pauses() {
    return this.orEmpty(() => new DeliverabilityStore(this.db, this.table('deliverability')).listPauses());
  }

  async journeyEntries() {
    return this.orEmpty(async () => (await scanAll(this.db, this.table('journey-entries'))).map((i) => JourneyEntry.parse(i)));
  }

  async journeyEntriesOf(customerId: string) {
    return this.orEmpty(async () => {
      const { Items } = await this.db.send(
        new QueryCommand({ TableName: this.table('journey-entries'), KeyConditionExpression: 'customerId = :c', ExpressionAttributeValues: { ':c': customerId } }),
      );
      return (Items ?? []).map((i) => JourneyEntry.parse(i)).sort((a, b) => a.enteredAt.localeCompare(b.enteredAt));
    });
  }

  async reportSnapshot(config: Pick<MailerConfig, 'guardrail' | 'shop'>, now: string) {
    const names = Object.fromEntries(TABLES.map((t) => [t.name, this.tables[t.name] ?? ''])) as TableNames;
    const tables = reportTables(names);
    const missing = Object.entries(tables).filter(([, name]) => !name).map(([role]) => role);
    if (missing.length) throw new DataLocationError(`the report needs the ${missing.join(', ')} table${missing.length === 1 ? '' : 's'} too (pass --table <name>=<physical name>)`);
    return readSnapshot(this.db, tables, config, this.where, now);
  }

  async campaignNumbers() {
    const file = this.dataDir ? join(this.dataDir, 'summary.json') : undefined;
    if (file && existsSync(file)) {
      const parsed = SummaryFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success) {
        const byCampaign = Object.fromEntries(Object.entries(parsed.data.campaigns).map(([id, c]) => [id, { sent: c.sent ?? 0, opens: c.opens ?? 0, clicks: c.clicks ?? 0, ...(c.queued === undefined ? {} : { queued: c.queued }), ...(c.eligible === undefined ? {} : { eligible: c.eligible }) }]));
        return { source: `the run summary ${file}${parsed.data.window ? ` (${parsed.data.window.from.slice(0, 10)} to ${parsed.data.window.to.slice(0, 10)})` : ''}`, byCampaign };
      }
    }
    const byCampaign: Record<string, CampaignNumbers> = {};
    for (const e of await this.allSends()) {
      const n = (byCampaign[e.campaignId] ??= { sent: 0, opens: 0, clicks: 0 });
      if (e.status === 'sent') n.sent++;
      n.opens += e.opens;
      n.clicks += e.clicks;
    }
    return { source: `the send ledger (${this.where})`, byCampaign };
  }

  close() {
    this.db.destroy();
    return this.stop();
  }
}

/** Opens the tables: for a data dir, starts dynalite on its files for as long as the workbench runs. */
export async function openWorkbenchData(location: DataLocation): Promise<WorkbenchData> {
  if ('tables' in location) {
    const db = createDocumentClient(location.region ? { region: location.region } : {});
    const names = Object.values(location.tables).join(', ');
    return new TableData(db, location.tables, `deployed tables ${names}${location.region ? ` in ${location.region}` : ''} (read-only)`, false, async () => undefined);
  }
  const dataDir = resolve(location.dataDir);
  const dir = join(dataDir, 'dynamodb');
  if (!existsSync(dir)) throw new DataLocationError(`no local tables in ${dir}: run \`npm start -- --summary ${join(location.dataDir, 'summary.json')}\` first (or pass --region and --table for a deployed stack)`);
  let dynalite;
  try {
    dynalite = await startDynalite(dir);
  } catch (error) {
    throw new DataLocationError(`cannot open the local tables in ${dir} (is \`npm start -- --serve\` still holding them?)`, { cause: error });
  }
  const db = createDocumentClient({ endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return new TableData(db, localTableNames(LOCAL_TABLE_PREFIX), `local tables in ${dir}`, true, () => dynalite.stop(), dataDir);
}
