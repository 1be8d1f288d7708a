import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { DELIVERABILITY_KEYS } from '#adapters/deliverability-store.ts';
import { IDENTITY_KEYS, type IdentityStore, normalizeAddress } from '#adapters/identity-store.ts';
import { CustomerProfile } from '#domain/customer-profile.ts';
import { storefrontOf } from '#domain/identity.ts';
import { Email } from '#domain/shop-events.ts';
import { TABLES, type TableName } from '#lib/tables.ts';

/**
 * Data-subject rights over every table that holds customer data: find what is held about a
 * person (by address or by any of their customer ids), export it, or erase it. The tables
 * are scanned whole: a failed event carries its data only inside its payload, and a table
 * added later (journey entries) is covered without a change here.
 */
export interface PrivacyDeps {
  db: DynamoDBDocumentClient;
  /** Physical names of the tables this deployment has. */
  tables: Partial<Record<TableName, string>>;
  identities: IdentityStore;
}

/** An address, or a customer id (ours or a storefront's). */
export const PrivacySubject = z.union([Email, z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, 'an email address or a customer id (letters, digits, _ and -)')]);

export interface Person {
  customerId: string;
  /** Every customer id that names them: ours and each storefront's. */
  ids: string[];
  /** Their addresses, normalized. */
  emails: string[];
}

/**
 * The tables searched for a person: every one holding customer data, and two that only point at
 * one: the idempotency records (a handled event's outcome names its customer id) and the
 * deliverability markers of their SES messages (`event#<message id>#…`, found from their sends).
 */
export const SEARCHED_TABLES = TABLES.filter((t) => t.holdsCustomerData || t.name === 'idempotency' || t.name === 'deliverability');

async function* scanTable(db: DynamoDBDocumentClient, tableName: string): AsyncIterable<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }));
    yield* page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

async function profileOf(deps: PrivacyDeps, customerId: string): Promise<CustomerProfile | undefined> {
  if (!deps.tables.customers) return undefined;
  const { Item } = await deps.db.send(new GetCommand({ TableName: deps.tables.customers, Key: { customerId }, ConsistentRead: true }));
  return Item ? CustomerProfile.parse(Item) : undefined;
}

/** Who `subject` is: the profile an address or id leads to (through the identity links), or just what was given when no profile is left. */
export async function findPerson(subject: string, deps: PrivacyDeps, alsoEmail?: string): Promise<Person> {
  const parsed = PrivacySubject.parse(subject);
  const isAddress = parsed.includes('@');
  let customerId = isAddress ? await deps.identities.customerOfAddress(parsed) : ((await deps.identities.customerOfSource(storefrontOf(parsed), parsed)) ?? parsed);
  if (isAddress && !customerId && deps.tables.customers) {
    // Profiles from before the identities table: find the address on the profile itself.
    for await (const item of scanTable(deps.db, deps.tables.customers)) {
      if (typeof item.email === 'string' && normalizeAddress(item.email) === parsed) customerId = String(item.customerId);
    }
  }
  const profile = customerId ? await profileOf(deps, customerId) : undefined;
  const ids = new Set<string>(customerId ? [customerId] : []);
  for (const identity of profile?.identities ?? []) ids.add(identity.id);
  const emails = new Set<string>(isAddress ? [parsed] : []);
  if (profile?.email) emails.add(normalizeAddress(profile.email));
  if (alsoEmail) emails.add(normalizeAddress(alsoEmail));
  return { customerId: customerId ?? parsed, ids: [...ids], emails: [...emails] };
}

const ID_CHAR = /[A-Za-z0-9_-]/;
/** `text` names `id` as a whole token (`shopify-1` is not in `shopify-12`). */
function namesId(text: string, id: string): boolean {
  for (let at = text.indexOf(id); at >= 0; at = text.indexOf(id, at + 1)) {
    const before = text[at - 1];
    const after = text[at + id.length];
    if ((before === undefined || !ID_CHAR.test(before)) && (after === undefined || !ID_CHAR.test(after))) return true;
  }
  return false;
}

/** Whether a stored item is about the person: names one of their ids or addresses anywhere (payloads included). */
export function isAbout(item: unknown, person: Person): boolean {
  if (typeof item === 'string') {
    const lower = item.toLowerCase();
    return person.emails.some((e) => lower.includes(e)) || person.ids.some((id) => namesId(item, id));
  }
  if (Array.isArray(item)) return item.some((v) => isAbout(v, person));
  if (item && typeof item === 'object') return Object.values(item).some((v) => isAbout(v, person));
  return false;
}

/** Everything held about the person, table by table. */
async function recordsOf(person: Person, deps: PrivacyDeps): Promise<Partial<Record<TableName, Record<string, unknown>[]>>> {
  const out: Partial<Record<TableName, Record<string, unknown>[]>> = {};
  // TABLES lists the ledger before deliverability: their sends' message ids are known by then.
  const messageMarkers = () => (out['send-ledger'] ?? []).flatMap((e) => (typeof e.messageId === 'string' ? [`${DELIVERABILITY_KEYS.event}${e.messageId}#`] : []));
  for (const table of SEARCHED_TABLES) {
    const tableName = deps.tables[table.name];
    if (!tableName) continue;
    const items: Record<string, unknown>[] = [];
    const markers = table.name === 'deliverability' ? messageMarkers() : [];
    for await (const item of scanTable(deps.db, tableName)) {
      // The identities table's own bookkeeping about erasures is not the person's data.
      if (table.name === 'identities' && (String(item.id).startsWith(IDENTITY_KEYS.erased) || String(item.id).startsWith(IDENTITY_KEYS.receipt))) continue;
      if (table.name === 'deliverability' ? markers.some((m) => String(item.id).startsWith(m)) : isAbout(item, person)) items.push(item);
    }
    out[table.name] = items;
  }
  return out;
}

export interface PrivacyExport {
  subject: string;
  customerId: string;
  ids: string[];
  exportedAt: string;
  profile: Record<string, unknown> | null;
  /** Every item that is about them, per table (the failed events with their payloads, the identity links, the ledger's sends and their events). */
  records: Partial<Record<TableName, Record<string, unknown>[]>>;
}

export async function exportPerson(subject: string, deps: PrivacyDeps, now: string, alsoEmail?: string): Promise<PrivacyExport> {
  const person = await findPerson(subject, deps, alsoEmail);
  const records = await recordsOf(person, deps);
  const profile = records.customers?.find((c) => c.customerId === person.customerId) ?? null;
  return { subject, customerId: person.customerId, ids: person.ids, exportedAt: now, profile, records };
}

export const ErasureReceipt = z.object({
  id: z.string(),
  customerId: z.string(),
  erasedAt: z.string(),
  /** Who asked for it (a person, or the storefront's redact webhook). */
  by: z.string(),
  /** Items removed (or stripped of personal fields) per table. */
  removed: z.record(z.string(), z.number().int().nonnegative()),
  /** How many addresses were kept as salted hashes in the suppression list. */
  suppressedAddresses: z.number().int().nonnegative(),
});
export type ErasureReceipt = z.infer<typeof ErasureReceipt>;

/**
 * Kept, with nothing personal in them (only the customer id, whose profile is gone, or an SES
 * message id): the ledger (never mail twice, the counts of past sends), the idempotency records
 * (a replayed event is not applied again) and the deliverability counters' markers.
 */
const KEEP_TABLES: ReadonlySet<TableName> = new Set(['send-ledger', 'idempotency', 'deliverability']);

/**
 * Removes the person's personal data from every table, keeps their addresses only as salted
 * hashes (a later import or event does not bring them back unless they sign up anew), and
 * stores a receipt of what was removed.
 */
export async function erasePerson(subject: string, deps: PrivacyDeps, now: string, by: string, alsoEmail?: string): Promise<ErasureReceipt> {
  const person = await findPerson(subject, deps, alsoEmail);
  const records = await recordsOf(person, deps);
  const removed: Record<string, number> = {};
  for (const table of SEARCHED_TABLES) {
    const tableName = deps.tables[table.name];
    const items = records[table.name] ?? [];
    if (!tableName || KEEP_TABLES.has(table.name)) continue;
    for (const item of items) {
      const key = { [table.partitionKey]: item[table.partitionKey], ...(table.sortKey ? { [table.sortKey]: item[table.sortKey] } : {}) };
      await deps.db.send(new DeleteCommand({ TableName: tableName, Key: key }));
    }
    removed[table.name] = items.length;
  }
  for (const email of person.emails) await deps.identities.markErased(email, now);
  const receipt: ErasureReceipt = {
    id: `${IDENTITY_KEYS.receipt}${now}#${person.customerId}`,
    customerId: person.customerId,
    erasedAt: now,
    by,
    removed,
    suppressedAddresses: person.emails.length,
  };
  if (deps.tables.identities) await deps.db.send(new PutCommand({ TableName: deps.tables.identities, Item: receipt }));
  return receipt;
}

/**
 * A storefront's customers, erased (Shopify's shop/redact: the shop removed us). A customer also
 * known from another storefront is kept: that storefront's data is not this one's to erase.
 */
export async function eraseStorefront(source: string, deps: PrivacyDeps, now: string, by: string): Promise<{ erased: ErasureReceipt[]; keptElsewhere: number }> {
  const erased: ErasureReceipt[] = [];
  let keptElsewhere = 0;
  if (!deps.tables.customers) return { erased, keptElsewhere };
  const candidates: CustomerProfile[] = [];
  for await (const item of scanTable(deps.db, deps.tables.customers)) {
    const profile = CustomerProfile.parse(item);
    const sources = new Set([storefrontOf(profile.customerId), ...profile.identities.map((i) => i.source)]);
    if (!sources.has(source)) continue;
    if (sources.size > 1) keptElsewhere++;
    else candidates.push(profile);
  }
  for (const profile of candidates) erased.push(await erasePerson(profile.customerId, deps, now, by));
  return { erased, keptElsewhere };
}
