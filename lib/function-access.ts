import { DELIVERABILITY_KEYS } from '#adapters/deliverability-store.ts';
import { IDENTITY_KEYS } from '#adapters/identity-store.ts';
import { SEGMENTATION_RUN_PREFIX } from '#adapters/segmentation-run-store.ts';
import { ALL_MARKETING } from '#domain/deliverability-guardrail.ts';
import type { FunctionName } from './routes.ts';
import { TABLES, type TableName } from './tables.ts';

/**
 * What each function may do, declared once: the CDK construct grants exactly these DynamoDB
 * actions on exactly these tables, and gives each function the environment variables of
 * these tables only; the local runtime refuses any other call as IAM would
 * (`accessGuard`), so every integration test checks the code against this list.
 *
 * Each action is the one an adapter method sends (functions/adapters/*):
 * customers get/modify → GetItem, PutItem; updateFields → UpdateItem; scanSegment → Scan.
 * ledger get → GetItem; claim → PutItem; markSent/markSkipped/markUnknown/markHeldOut/confirmSentBySes/count/flag/attributeOrder → UpdateItem; release → DeleteItem.
 * failed events record → PutItem. Journey entries list (one customer) → Query; save → PutItem (conditional on version); get → GetItem. Stage changes record → BatchWriteItem. Model runs record → PutItem, latest → Query.
 * Deliverability counters → UpdateItem (ADD) / GetItem; event markers and pauses → PutItem; getPauses → BatchGetItem.
 * Identities: links and erased addresses → GetItem; an event's erasure and link together (lookup) → BatchGetItem; claims → PutItem; forgetErasure → DeleteItem (erased addresses only).
 */
export type DynamoAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'Scan' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem' | 'DescribeTable';

export interface TableGrant {
  readonly actions: readonly DynamoAction[];
  /** Only items whose partition key matches one of these (IAM `dynamodb:LeadingKeys`, StringLike: `*` is a wildcard). */
  readonly leadingKeys?: readonly string[];
}

export interface FunctionAccess {
  readonly tables: Partial<Record<TableName, readonly TableGrant[]>>;
  /** May put messages on the send queue. */
  readonly sendQueue?: boolean;
  /** Reads the link-signing keys from Secrets Manager. */
  readonly signingKeys?: boolean;
  /** Reads the salt of the address hashes (identity links, erased addresses) from Secrets Manager. */
  readonly privacySalt?: boolean;
  /** May put messages on the journey queue (stage changes, wake-ups due now). */
  readonly journeyQueue?: boolean;
  /** May create and delete one-time schedules in the journey schedule group (passing the Scheduler role that targets the journey queue). */
  readonly journeySchedules?: boolean;
}

export type AccessName = FunctionName | 'unsubscribe' | 'unsubscribe-mail' | 'privacy' | 'segment-coordinator' | 'segment-worker';

const any = (...actions: DynamoAction[]): TableGrant[] => [{ actions }];
// Powertools Idempotency's DynamoDB persistence layer: claim (conditional put), read, complete (update), give back after a failure (delete).
const IDEMPOTENCY = any('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem');
const PAUSES = `${DELIVERABILITY_KEYS.pause}*`;
const DAYS = `${DELIVERABILITY_KEYS.day}*`;

export const FUNCTION_ACCESS: Readonly<Record<AccessName, FunctionAccess>> = {
  ingest: {
    tables: {
      customers: any('GetItem', 'PutItem'),
      'stage-changes': any('BatchWriteItem'),
      'failed-events': any('PutItem'),
      // Last-touch attribution: an order is credited to its send with one conditional UpdateItem (SendLedger.attributeOrder).
      'send-ledger': any('UpdateItem'),
      identities: [
        // An event's erasure and link in one BatchGetItem (IdentityStore.lookup); a link alone, or a claim's read-back, by GetItem.
        { actions: ['BatchGetItem'], leadingKeys: [`${IDENTITY_KEYS.source}*`, `${IDENTITY_KEYS.erased}*`] },
        { actions: ['GetItem'], leadingKeys: [`${IDENTITY_KEYS.email}*`, `${IDENTITY_KEYS.source}*`] },
        { actions: ['PutItem'], leadingKeys: [`${IDENTITY_KEYS.email}*`, `${IDENTITY_KEYS.source}*`] },
        { actions: ['DeleteItem'], leadingKeys: [`${IDENTITY_KEYS.erased}*`] },
      ],
      idempotency: IDEMPOTENCY,
    },
    sendQueue: true,
    privacySalt: true,
    // Stage changes an order causes (e.g. into stable) go to the journeys.
    journeyQueue: true,
  },
  // The only function that scans customers. It reads pauses (paused campaigns are not queued), never writes one.
  segment: {
    tables: {
      customers: any('Scan', 'GetItem', 'PutItem', 'UpdateItem'),
      'stage-changes': any('BatchWriteItem'),
      'model-runs': any('PutItem', 'Query'),
      deliverability: [{ actions: ['BatchGetItem'], leadingKeys: [PAUSES] }],
    },
    sendQueue: true,
    journeyQueue: true,
  },
  // Two-phase segmentation (lib/segmentation-construct.ts). The coordinator sizes the run (DescribeTable), merges the
  // segments' statistics, fits and records the models, reads pauses; it never reads or writes a customer.
  'segment-coordinator': {
    tables: {
      customers: any('DescribeTable'),
      'model-runs': any('PutItem', 'GetItem', 'Query', 'BatchWriteItem'),
      deliverability: [{ actions: ['BatchGetItem'], leadingKeys: [PAUSES] }],
    },
  },
  // A worker scans and rescores one segment: the customers, their stage changes, its sends, and only the run's own
  // items of the model-runs table (never a fit).
  'segment-worker': {
    tables: {
      customers: any('Scan', 'GetItem', 'PutItem', 'UpdateItem'),
      'stage-changes': any('BatchWriteItem'),
      'model-runs': [{ actions: ['PutItem', 'GetItem'], leadingKeys: [`${SEGMENTATION_RUN_PREFIX}*`] }],
    },
    sendQueue: true,
    // Its stage changes reach the journeys, as the one-pass segment function's do.
    journeyQueue: true,
  },
  // Puts back sends that must wait. Adds to the day's counters; reads pauses; writes only the
  // all-marketing pause an SES account-level refusal calls for.
  send: {
    tables: {
      customers: any('GetItem', 'PutItem'),
      'send-ledger': any('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
      'failed-events': any('PutItem'),
      // A journey step's send re-reads its entry: an exit since it was queued stops it.
      'journey-entries': any('GetItem'),
      deliverability: [
        { actions: ['BatchGetItem'], leadingKeys: [PAUSES] },
        { actions: ['UpdateItem'], leadingKeys: [DAYS] },
        { actions: ['PutItem'], leadingKeys: [`${DELIVERABILITY_KEYS.pause}${ALL_MARKETING}`] },
      ],
    },
    sendQueue: true,
    signingKeys: true,
  },
  engagement: {
    tables: {
      customers: any('GetItem', 'PutItem'),
      'send-ledger': any('UpdateItem'),
      'failed-events': any('PutItem'),
      deliverability: any('GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'),
      idempotency: IDEMPOTENCY,
    },
  },
  // Public (Function URL): reads and updates customers, nothing else of that table. A confirmed
  // sign-up queues its welcome, or sets it aside when the queue fails. An unsubscribe is counted
  // on the send whose link it came through (SendLedger.markUnsubscribed: one UpdateItem).
  unsubscribe: {
    tables: { customers: any('GetItem', 'PutItem'), 'send-ledger': any('UpdateItem'), 'failed-events': any('PutItem') },
    sendQueue: true,
    signingKeys: true,
    // A double opt-in confirmation enters the registration journeys (the welcome series).
    journeyQueue: true,
  },
  // Data-subject requests (lib/privacy-construct.ts): scans every table holding customer data for
  // the person's records and deletes them; the ledger is read only (kept, nothing personal in it).
  privacy: {
    tables: {
      customers: any('Scan', 'GetItem', 'DeleteItem'),
      'send-ledger': any('Scan'),
      'failed-events': any('Scan', 'DeleteItem'),
      'stage-changes': any('Scan', 'DeleteItem'),
      'shop-connector': any('Scan', 'DeleteItem'),
      identities: any('Scan', 'GetItem', 'PutItem', 'DeleteItem'),
      'journey-entries': any('Scan', 'DeleteItem'),
      // Read for the export only: an event's outcome names its customer; a sent message's bounce marker.
      idempotency: any('Scan'),
      deliverability: any('Scan'),
    },
    privacySalt: true,
  },
  // Journey steps: reads and writes its entries, reads the customer it acts for, queues the step's
  // send. Its waits are Scheduler one-time schedules (granted by lib/journeys-construct.ts).
  // Journeys: reads the customer, reads and conditionally writes its entries (Query: all of one
  // customer's entries for an event), queues step sends, schedules and cancels wake-ups.
  journey: {
    tables: {
      customers: any('GetItem'),
      'journey-entries': any('Query', 'PutItem'),
      'failed-events': any('PutItem'),
      // A storefront id's profile (one customer across storefronts), an erased address.
      identities: [{ actions: ['GetItem'], leadingKeys: [`${IDENTITY_KEYS.source}*`, `${IDENTITY_KEYS.erased}*`] }],
    },
    sendQueue: true,
    journeyQueue: true,
    journeySchedules: true,
    privacySalt: true,
  },
  // Unsubscribe mails (List-Unsubscribe mailto:) through an SES receipt rule: customers only.
  'unsubscribe-mail': {
    tables: { customers: any('GetItem', 'PutItem'), 'send-ledger': any('UpdateItem') },
    signingKeys: true,
  },
};

/** The environment variables naming the tables a function may use, and only those. */
export function tableEnvironment(name: AccessName, physicalName: (table: TableName) => string): Record<string, string> {
  const tables = FUNCTION_ACCESS[name].tables;
  return Object.fromEntries(TABLES.filter((t) => tables[t.name]).map((t) => [t.envVar, physicalName(t.name)]));
}

/** Whether a function's declared access allows `action` on `table` for an item with partition key `key`. */
export function allows(name: AccessName, table: TableName, action: DynamoAction, keys: readonly string[]): boolean {
  return (FUNCTION_ACCESS[name].tables[table] ?? []).some(
    (g) => g.actions.includes(action) && (!g.leadingKeys || (keys.length > 0 && keys.every((k) => g.leadingKeys!.some((p) => likeMatch(k, p))))),
  );
}

/** IAM StringLike: `*` matches any run of characters, `?` one character. */
function likeMatch(value: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value);
}
