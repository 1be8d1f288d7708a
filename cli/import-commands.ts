/**
 * `lifecycle-mailer import customers FILE` and `import orders FILE` (CSV or JSON Lines): rows
 * validated with zod (a rejected row names its line and why), a plan read against the current
 * profiles (new, updated, unchanged, consent changes) that `--dry-run` prints without writing,
 * then the rows published as shop events through the same ingest path as the shop's own.
 * Each row's event is keyed (update time, order id), so importing a file again changes nothing,
 * and a consent older than the one on file never replaces it.
 */
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { ProjectPaths } from '#authoring/catalog-files.ts';
import { applyShopEvent } from '#domain/apply-shop-event.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import { describeZodIssues, InvalidInputError } from '#domain/invalid-input-error.ts';
import { stableFraction } from '#domain/stable-hash.ts';
import { Attributes, Channel, CustomerId, Email, SHOP_EVENT_SOURCE, ShopEvent } from '#domain/shop-events.ts';
import type { MappedEvent } from '../functions/connector/mapped-event.ts';
import { validateMapped } from '../functions/connector/mapped-event.ts';
import { type IdentityStore, PlannedIdentities } from '#adapters/identity-store.ts';
import { resolveCustomer } from '../functions/ingest/ingest-shop-event.ts';
import { csvRows } from './csv-records.ts';
import { type Destination, type DestinationOptions, fileTime, openDestination, publishAll, readInputFile, withDestinationOptions } from './connect-commands.ts';

type Write = (text: string) => void;

const IsoInstant = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());
const Bool = z.union([z.boolean(), z.enum(['true', 'false', 'yes', 'no', '1', '0', 'TRUE', 'FALSE', 'Yes', 'No']).transform((v) => ['true', 'yes', '1'].includes(v.toLowerCase()))]);
const Num = z.union([z.number().finite(), z.string().regex(/^-?\d+(\.\d+)?$/, 'a number').transform(Number)]);

export const CustomerImportRow = z
  .object({
    customerId: CustomerId.optional(),
    email: Email,
    firstName: z.string().trim().max(100).optional(),
    lastName: z.string().trim().max(100).optional(),
    locale: z.string().optional(),
    timeZone: z.string().optional(),
    marketingConsent: Bool.optional(),
    consentSource: z.string().trim().max(100).optional(),
    consentAt: IsoInstant.optional(),
    topics: z.union([z.array(z.string()), z.string().transform((s) => s.split(/[;|]/).map((t) => t.trim()).filter(Boolean))]).optional(),
    attributes: Attributes.optional(),
    updatedAt: IsoInstant.optional(),
  })
  .refine((r) => r.marketingConsent === undefined || r.consentAt !== undefined, {
    path: ['consentAt'],
    message: 'required with marketingConsent: a consent without its time could override a newer one',
  });
export type CustomerImportRow = z.infer<typeof CustomerImportRow>;

const ImportItem = z.object({ sku: z.string().min(1), name: z.string().default(''), quantity: Num.pipe(z.number().int().positive()), price: Num, category: z.string().optional() });

export const OrderImportRow = z
  .object({
    customerId: CustomerId.optional(),
    email: Email.optional(),
    orderId: z.string().trim().min(1).max(128),
    placedAt: IsoInstant,
    total: Num,
    currency: z.string().regex(/^[A-Z]{3}$/, 'a currency code like EUR').optional(),
    channel: Channel.optional(),
    items: z.array(ImportItem).default([]),
  })
  .refine((r) => r.customerId !== undefined || r.email !== undefined, { path: ['customerId'], message: 'give customerId or email' });
export type OrderImportRow = z.infer<typeof OrderImportRow>;

export interface Rejection {
  line: number;
  reason: string;
}

/** A customer id for a row that names only an email: stable for that address. */
export const emailCustomerId = (email: string) => `email-${Math.floor(stableFraction(email.trim().toLowerCase()) * 2 ** 53).toString(36)}`;

const camel = (name: string) => name.trim().replace(/[_\s]+([a-z])/g, (_m, c: string) => c.toUpperCase()).replace(/^[A-Z]/, (c) => c.toLowerCase());

/** The file's rows as plain objects: CSV (header row; `attr.<name>` columns become attributes) or JSON Lines. */
export function readRows(file: string, text: string): { line: number; value: unknown }[] | { error: string } {
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') {
    const rows: { line: number; value: unknown }[] = [];
    for (const [i, raw] of text.split(/\r?\n/).entries()) {
      if (!raw.trim()) continue;
      try {
        rows.push({ line: i + 1, value: JSON.parse(raw) });
      } catch {
        rows.push({ line: i + 1, value: Symbol.for('invalid-json') });
      }
    }
    return rows;
  }
  if (ext !== '.csv') return { error: 'expected a .csv or .jsonl file' };
  return csvRows(text).rows.map(({ line, values }) => {
    const row: Record<string, unknown> = {};
    const attributes: Record<string, string | number | boolean> = {};
    for (const [name, value] of Object.entries(values)) {
      if (value === '') continue; // an empty cell states nothing
      const attr = /^(attr|attributes)\.(.+)$/.exec(name.trim());
      if (attr) attributes[attr[2]!] = value === 'true' ? true : value === 'false' ? false : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
      else row[camel(name)] = value;
    }
    if (Object.keys(attributes).length) row.attributes = attributes;
    return { line, value: row };
  });
}

function parseRows<S extends z.ZodType>(schema: S, rows: { line: number; value: unknown }[]) {
  const valid: { line: number; row: z.infer<S> }[] = [];
  const rejected: Rejection[] = [];
  for (const { line, value } of rows) {
    if (typeof value === 'symbol') {
      rejected.push({ line, reason: 'not valid JSON' });
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) valid.push({ line, row: parsed.data });
    else rejected.push({ line, reason: describeZodIssues(parsed.error).join('; ') });
  }
  return { valid, rejected };
}

/** Customer rows → `Customer Updated` events, timed by the row (or the file's as-of time when it has none). */
export function customerImportEvents(file: string, text: string, asOf: string): { events: (MappedEvent & { line: number })[]; rejected: Rejection[] } {
  const rows = readRows(file, text);
  if ('error' in rows) throw new InvalidInputError(file, [rows.error]);
  const { valid, rejected } = parseRows(CustomerImportRow, rows);
  const events: (MappedEvent & { line: number })[] = [];
  for (const { line, row } of valid) {
    const updatedAt = row.updatedAt ?? asOf;
    const { customerId, updatedAt: _u, consentSource, ...rest } = row;
    const detail = { ...rest, customerId: customerId ?? emailCustomerId(row.email), updatedAt, ...(row.marketingConsent !== undefined ? { consentSource: consentSource ?? `import:${basename(file)}` } : {}) };
    const checked = validateMapped([{ detailType: 'Customer Updated', time: updatedAt, detail }]);
    if (checked.kind === 'invalid') rejected.push({ line, reason: checked.reason.replace(/^Customer Updated: /, '') });
    else events.push({ ...checked.events[0]!, line });
  }
  return { events, rejected: rejected.sort((a, b) => a.line - b.line) };
}

/** Order rows → `Order Placed` events (channel `import`); CSV rows of one order id with sku/name/quantity/price add its line items. */
export function orderImportEvents(file: string, text: string): { events: (MappedEvent & { line: number })[]; rejected: Rejection[] } {
  const rows = readRows(file, text);
  if ('error' in rows) throw new InvalidInputError(file, [rows.error]);
  const merged = new Map<string, { line: number; value: Record<string, unknown> }>();
  const rest: { line: number; value: unknown }[] = [];
  for (const r of rows) {
    const v = r.value as Record<string, unknown>;
    if (typeof r.value !== 'object' || r.value === null || typeof v.orderId !== 'string' || Array.isArray(v.items)) {
      rest.push(r);
      continue;
    }
    const item = v.sku !== undefined ? { sku: v.sku, name: v.name ?? '', quantity: v.quantity ?? 1, price: v.price ?? 0 } : undefined;
    const { sku: _s, name: _n, quantity: _q, price: _p, ...order } = v;
    const existing = merged.get(v.orderId);
    if (existing) {
      if (item) (existing.value.items as unknown[]).push(item);
    } else merged.set(v.orderId, { line: r.line, value: { ...order, items: item ? [item] : [] } });
  }
  const { valid, rejected } = parseRows(OrderImportRow, [...rest, ...merged.values()]);
  const events: (MappedEvent & { line: number })[] = [];
  for (const { line, row } of valid) {
    const detail = { ...row, customerId: row.customerId ?? emailCustomerId(row.email!), channel: row.channel ?? 'import' };
    const checked = validateMapped([{ detailType: 'Order Placed', time: row.placedAt, detail }]);
    if (checked.kind === 'invalid') rejected.push({ line, reason: checked.reason.replace(/^Order Placed: /, '') });
    else events.push({ ...checked.events[0]!, line });
  }
  return { events: events.sort((a, b) => a.line - b.line), rejected: rejected.sort((a, b) => a.line - b.line) };
}

export interface ConsentChange {
  customerId: string;
  from: boolean | undefined;
  to: boolean;
  at: string;
}

export interface ImportPlan {
  newCustomers: number;
  updatedCustomers: number;
  unchangedCustomers: number;
  /** Events the profiles have not seen, and ones they have (a re-import). */
  applied: number;
  alreadyThere: number;
  /** Rows about an erased address: ingest drops them (only a fresh sign-up brings a person back). */
  erased: number;
  consentChanges: ConsentChange[];
}

/** What a profile is for the customer, without the bookkeeping an applied event always changes. */
const substance = (p: CustomerProfile) => {
  const { version: _v, updatedAt: _u, recentEventKeys: _k, stage: _s, stageSince: _ss, createdAt: _c, ...rest } = p;
  return JSON.stringify(rest);
};

/**
 * Folds the events into the current profiles in memory, with the same pure function ingest
 * uses: what the import would change, before anything is written. With the identities table,
 * each row's customer is resolved as ingest resolves it (by storefront id, else by address; a
 * dry-run view that writes nothing), so a customer already known under another id or by address
 * is not counted as new.
 */
export async function planImport(
  events: readonly MappedEvent[],
  current: (customerId: string) => Promise<CustomerProfile | undefined>,
  now: string,
  identities?: Pick<IdentityStore, 'hash' | 'erasedAt' | 'customerOfSource' | 'customerOfAddress'>,
): Promise<ImportPlan> {
  const plan: ImportPlan = { newCustomers: 0, updatedCustomers: 0, unchangedCustomers: 0, applied: 0, alreadyThere: 0, erased: 0, consentChanges: [] };
  const links = identities ? new PlannedIdentities(identities) : undefined;
  const byCustomer = new Map<string, Exclude<Awaited<ReturnType<typeof resolveCustomer>>, { suppressed: string }>[]>();
  for (const e of events) {
    const event = ShopEvent.parse({ id: 'import-plan', source: SHOP_EVENT_SOURCE, time: e.time, 'detail-type': e.detailType, detail: e.detail });
    const resolved = await resolveCustomer(event, now, links);
    if ('suppressed' in resolved) {
      plan.erased++;
      continue;
    }
    const id = resolved.event.detail.customerId;
    byCustomer.set(id, [...(byCustomer.get(id) ?? []), resolved]);
  }
  for (const [customerId, list] of byCustomer) {
    const before = await current(customerId);
    let profile = before;
    for (const r of list) {
      const update = applyShopEvent(profile, r.event, now, undefined, r.identity);
      if (update.outcome === 'duplicate') plan.alreadyThere++;
      else plan.applied++;
      profile = update.profile;
    }
    if (!profile) continue;
    if (!before) plan.newCustomers++;
    else if (substance(before) !== substance(profile)) plan.updatedCustomers++;
    else plan.unchangedCustomers++;
    const consentStated = list.some((r) => 'marketingConsent' in r.event.detail && r.event.detail.marketingConsent !== undefined);
    if (consentStated && (before?.consent.marketing !== profile.consent.marketing || !before)) {
      plan.consentChanges.push({ customerId, from: before?.consent.marketing, to: profile.consent.marketing, at: profile.consent.updatedAt });
    }
  }
  return plan;
}

const MAX_LISTED = 20;
export function formatPlan(file: string, plan: ImportPlan | undefined, rejected: readonly Rejection[], what: 'customers' | 'orders'): string {
  const lines: string[] = [];
  if (plan) {
    const noun = what === 'orders' ? 'orders' : 'rows';
    lines.push(
      `${basename(file)}: customers ${plan.newCustomers} new, ${plan.updatedCustomers} updated, ${plan.unchangedCustomers} unchanged; ${noun} ${plan.applied} to apply, ${plan.alreadyThere} already there${plan.erased ? `, ${plan.erased} about erased addresses (dropped)` : ''}; ${rejected.length} rejected; consent changes ${plan.consentChanges.length}`,
    );
  } else lines.push(`${basename(file)}: ${rejected.length} rejected (current profiles not read: pass --customers-table for the plan)`);
  if (rejected.length) lines.push('  rejected:', ...rejected.slice(0, MAX_LISTED).map((r) => `    line ${r.line}: ${r.reason}`), ...(rejected.length > MAX_LISTED ? [`    … and ${rejected.length - MAX_LISTED} more`] : []));
  if (plan?.consentChanges.length) {
    const word = (v: boolean | undefined) => (v === undefined ? 'new' : v ? 'consents' : 'no consent');
    lines.push('  consent changes:', ...plan.consentChanges.slice(0, MAX_LISTED).map((c) => `    ${c.customerId}: ${word(c.from)} → ${c.to ? 'consents' : 'no consent'} (as of ${c.at})`));
    if (plan.consentChanges.length > MAX_LISTED) lines.push(`    … and ${plan.consentChanges.length - MAX_LISTED} more`);
  }
  return lines.join('\n');
}

export interface ImportResult {
  plan: ImportPlan | undefined;
  rejected: Rejection[];
  published: number;
  text: string;
}

/** Plans, and unless it is a dry run, publishes. The destination is opened and closed by the caller. */
export async function runImport(
  what: 'customers' | 'orders',
  file: string,
  options: { dryRun?: boolean; asOf?: string },
  destination: Pick<Destination, 'bus' | 'customers' | 'identities' | 'deliveries' | 'where'>,
  now = new Date().toISOString(),
): Promise<ImportResult> {
  const text = readInputFile(file);
  const { events, rejected } = what === 'customers' ? customerImportEvents(file, text, options.asOf ?? fileTime(file)) : orderImportEvents(file, text);
  const customers = destination.customers;
  const plan = customers ? await planImport(events, (id) => customers.get(id), now, destination.identities) : undefined;
  const summary = formatPlan(file, plan, rejected, what);
  if (options.dryRun) return { plan, rejected, published: 0, text: `${summary}\ndry run: nothing written\n` };
  const toPublish = plan && plan.applied === 0 ? [] : events;
  await publishAll(destination as Destination, toPublish, [], now);
  return { plan, rejected, published: toPublish.length, text: `${summary}\nwrote ${toPublish.length} events to ${destination.where}\n` };
}

/** Adds `import customers` and `import orders`. */
export function registerImportCommands(program: Command, project: () => ProjectPaths, write: Write = (t) => process.stdout.write(t)): void {
  const importCommand = program.command('import').description('import customers or order history from a CSV or JSON Lines file (re-running changes nothing)');
  for (const what of ['customers', 'orders'] as const) {
    let command = importCommand
      .command(`${what} <file>`)
      .description(
        what === 'customers'
          ? 'customers: email, names, locale, time zone, marketing consent with its source and time, topics, attributes'
          : 'order history: customer id or email, order id, time, total, currency, line items',
      )
      .option('--dry-run', 'report new, updated, rejected and consent changes against the current profiles; write nothing')
      .option('--identities-table <name>', 'with --event-bus: the deployed identities table (IdentitiesTableName output), so --dry-run finds customers by address and storefront id as ingest does')
      .option('--privacy-salt-secret <arn>', 'with --identities-table: the salt of its address hashes (PrivacySaltSecretArn output)');
    if (what === 'customers') command = command.option('--as-of <time>', 'when the file states its rows (for rows without updated_at; default: the file’s modification time)');
    withDestinationOptions(command).action(async (file: string, o: DestinationOptions & { dryRun?: boolean; asOf?: string }) => {
      if (o.dryRun && o.eventBus && !o.customersTable) throw new InvalidInputError('--dry-run', ['against a deployed stack it needs --customers-table to read the current profiles']);
      if (o.dryRun && o.eventBus && (!o.identitiesTable || !o.privacySaltSecret)) {
        throw new InvalidInputError('--dry-run', ['against a deployed stack it needs --identities-table and --privacy-salt-secret too, so each row finds its customer (by address, by storefront id) as ingest will']);
      }
      const asOf = o.asOf ? new Date(Date.parse(o.asOf)) : undefined;
      if (asOf && Number.isNaN(asOf.getTime())) throw new InvalidInputError('--as-of', [`expected a date and time like 2026-10-01T12:00:00Z, got "${o.asOf}"`]);
      const destination = await openDestination(o, project);
      try {
        const result = await runImport(what, file, { ...(o.dryRun ? { dryRun: true } : {}), ...(asOf ? { asOf: asOf.toISOString() } : {}) }, destination);
        write(result.text);
      } finally {
        await destination.close();
      }
    });
  }
}
