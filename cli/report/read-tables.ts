/**
 * Fills the report snapshot from the tables: the local ones `npm start` leaves under
 * `<data-dir>/dynamodb` (dynalite is started on them for the command's duration, as
 * `pauses` does), or a deployed stack's, named one by one. Read only: scans, no writes.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { DynamoCustomerStore } from '#adapters/customer-store.ts';
import { DELIVERABILITY_KEYS } from '#adapters/deliverability-store.ts';
import { SendLedger } from '#adapters/send-ledger.ts';
import { InvalidInputError } from '#domain/invalid-input-error.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_TABLE_PREFIX, startDynalite } from '#lib/local/dynamodb-local.ts';
import { localTableNames, type TableNames } from '#lib/tables.ts';
import { DEFAULT_ATTRIBUTION_WINDOWS } from '#domain/attribution.ts';
import { DeliverabilityDay, type ReportSnapshot, type SnapshotAttributedOrder, type SnapshotHeldOut, type SnapshotOrder, type SnapshotSend, SnapshotStageChange } from './snapshot.ts';

import { ReportSourceError } from './report-source-error.ts';

export { ReportSourceError };

export interface DeployedTables {
  customers: string;
  ledger: string;
  stageChanges: string;
  deliverability: string;
}

export type TablesLocation = { dataDir: string } | { region?: string; tables: DeployedTables };

async function* scan(db: DynamoDBDocumentClient, table: string, filter?: { expression: string; values: Record<string, unknown> }): AsyncIterable<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: startKey, ...(filter ? { FilterExpression: filter.expression, ExpressionAttributeValues: filter.values } : {}) }),
    );
    yield* page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Every item of a table, each checked against its schema; a bad one names the table and the field. */
async function readAll<T>(db: DynamoDBDocumentClient, table: string, parse: (item: Record<string, unknown>) => T, filter?: { expression: string; values: Record<string, unknown> }): Promise<T[]> {
  const out: T[] = [];
  for await (const item of scan(db, table, filter)) out.push(parse(item));
  return out;
}

/** The report's four tables among a stack's (or the local runtime's) table names. */
export const reportTables = (names: TableNames): DeployedTables => ({ customers: names.customers, ledger: names['send-ledger'], stageChanges: names['stage-changes'], deliverability: names.deliverability });

/**
 * Reads the snapshot from open tables. The run job can call it on its running runtime
 * (`readSnapshot(runtime.db, reportTables(runtime.tables), config, …)`) before it stops.
 */
export async function readSnapshot(db: DynamoDBDocumentClient, tables: DeployedTables, config: Pick<MailerConfig, 'guardrail' | 'shop'> & Partial<Pick<MailerConfig, 'attribution'>>, where: string, now: string): Promise<ReportSnapshot> {
  const customers = [];
  for await (const page of new DynamoCustomerStore(db, tables.customers).scanSegment(0, 1)) customers.push(...page);
  // The profiles' recent orders are the report's conversions (bounded per customer: see MAX_RECENT_ORDERS).
  const orders: SnapshotOrder[] = customers.flatMap((c) => c.recentOrders.map((o) => ({ customerId: c.customerId, at: o.at, value: o.value })));
  const sends: SnapshotSend[] = [];
  const heldOut: SnapshotHeldOut[] = [];
  const attributedOrders: SnapshotAttributedOrder[] = [];
  for await (const entry of new SendLedger(db, tables.ledger).all()) {
    const placement = { campaignId: entry.campaignId, variant: entry.variant, ...(entry.journeyId ? { journeyId: entry.journeyId } : {}), ...(entry.stepId ? { stepId: entry.stepId } : {}) };
    if (entry.status === 'held-out') {
      heldOut.push({ ...placement, customerId: entry.customerId, at: entry.heldOutAt ?? entry.claimedAt });
      continue;
    }
    const { status, sendId, customerId, claimedAt, sentAt, delivered, bounced, complained, opens, clicks, humanOpens, machineOpens, unsubscribed } = entry;
    sends.push({
      ...placement,
      sendId,
      customerId,
      status,
      claimedAt,
      ...(sentAt ? { sentAt } : {}),
      delivered,
      bounced,
      complained,
      opens,
      clicks,
      // Entries written before the split was recorded have neither: the report then says "not recorded".
      ...(humanOpens !== undefined && machineOpens !== undefined ? { humanOpens, machineOpens } : {}),
      // Unsubscribe links do not name the send yet: absent, the report says "not recorded" rather than 0.
      ...(unsubscribed !== undefined ? { unsubscribed } : {}),
    });
    for (const a of entry.attributions ?? []) attributedOrders.push({ customerId, sendId, at: a.at, value: a.value, touch: a.touch, hoursToOrder: a.hoursToOrder });
  }
  const stageChanges = await readAll(db, tables.stageChanges, (item) => {
    const parsed = SnapshotStageChange.safeParse(item);
    if (!parsed.success) throw InvalidInputError.fromZod(`${tables.stageChanges} item ${String(item.customerId)}/${String(item.changedAt)}`, parsed.error);
    return parsed.data;
  });
  // The whole day's counters (`day#<day>#all`; its campaigns' counters on it are not read here).
  const deliverability = (
    await readAll(
      db,
      tables.deliverability,
      (item) => {
        if (!String(item.id).endsWith('#all')) return undefined;
        const parsed = DeliverabilityDay.safeParse(item);
        if (!parsed.success) throw InvalidInputError.fromZod(`${tables.deliverability} item ${String(item.id)}`, parsed.error);
        return parsed.data;
      },
      { expression: 'begins_with(id, :day)', values: { ':day': DELIVERABILITY_KEYS.day } },
    )
  ).filter((d) => d !== undefined);
  return {
    source: where,
    readAt: now,
    currency: config.shop.currency,
    customers,
    sends,
    stageChanges,
    deliverability,
    guardrail: { bounceRate: config.guardrail.bounceRate, complaintRate: config.guardrail.complaintRate },
    heldOut,
    orders,
    attributedOrders,
    attributionWindows: config.attribution ?? DEFAULT_ATTRIBUTION_WINDOWS,
  };
}

/** Opens the tables and reads the snapshot; for a data dir, dynalite runs only for the read. */
export async function readTables(location: TablesLocation, config: Pick<MailerConfig, 'guardrail' | 'shop'> & Partial<Pick<MailerConfig, 'attribution'>>, now: string): Promise<ReportSnapshot> {
  if ('tables' in location) {
    const db = createDocumentClient(location.region ? { region: location.region } : {});
    try {
      return await withTables(() => readSnapshot(db, location.tables, config, `tables ${Object.values(location.tables).join(', ')}`, now), 'the deployed tables');
    } finally {
      db.destroy();
    }
  }
  const dir = join(resolve(location.dataDir), 'dynamodb');
  if (!existsSync(dir)) throw new ReportSourceError(`no local tables in ${dir}: run \`npm start\` first (or pass --region and the table names for a deployed stack)`);
  let dynalite;
  try {
    dynalite = await startDynalite(dir);
  } catch (error) {
    throw new ReportSourceError(`cannot open the local tables in ${dir} (is \`npm start -- --serve\` still holding them?)`, { cause: error });
  }
  const db = createDocumentClient({ endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const names = localTableNames(LOCAL_TABLE_PREFIX);
  try {
    return await withTables(
      () => readSnapshot(db, reportTables(names), config, `local tables in ${dir}`, now),
      `the local tables in ${dir}`,
    );
  } finally {
    db.destroy();
    await dynalite.stop();
  }
}

/** DynamoDB's "no such table", as a message a person can act on. */
async function withTables<T>(work: () => Promise<T>, where: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') throw new ReportSourceError(`a table is missing in ${where} (${error.message}); check the table names, or run \`npm start\` again`, { cause: error });
    throw error;
  }
}
