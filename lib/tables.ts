/**
 * The DynamoDB tables, described once: the CDK stack and the local runtime both build
 * them from this list, so a key cannot differ between the cloud and a laptop.
 */
export interface TableDefinition {
  /** Logical name; the physical name is `${prefix}-${name}` locally and chosen by CloudFormation in AWS. */
  name: TableName;
  partitionKey: string;
  sortKey?: string;
  /** Attribute holding an epoch-seconds expiry, for items that should age out. */
  timeToLiveAttribute?: string;
  /** Customer data: retained when the stack is deleted. */
  holdsCustomerData: boolean;
  /** Retained like customer data although it holds none: records a person must act on. */
  retainOnDelete?: boolean;
  /** Environment variable through which the functions learn the physical name. */
  envVar: string;
}

export type TableName = 'customers' | 'send-ledger' | 'failed-events' | 'stage-changes' | 'model-runs' | 'deliverability' | 'shop-connector' | 'idempotency' | 'journey-entries';

export const TABLES: readonly TableDefinition[] = [
  { name: 'customers', partitionKey: 'customerId', holdsCustomerData: true, envVar: 'CUSTOMERS_TABLE' },
  { name: 'send-ledger', partitionKey: 'sendId', holdsCustomerData: true, envVar: 'SEND_LEDGER_TABLE' },
  { name: 'failed-events', partitionKey: 'failureId', timeToLiveAttribute: 'expiresAt', holdsCustomerData: true, envVar: 'FAILED_EVENTS_TABLE' },
  { name: 'stage-changes', partitionKey: 'customerId', sortKey: 'changedAt', timeToLiveAttribute: 'expiresAt', holdsCustomerData: true, envVar: 'STAGE_CHANGES_TABLE' },
  { name: 'model-runs', partitionKey: 'model', sortKey: 'fittedAt', holdsCustomerData: false, envVar: 'MODEL_RUNS_TABLE' },
  // Per-day send, bounce and complaint counts (they expire) and the guardrail's pause records:
  // counts and SES message ids, no customer data. Retained all the same, because losing an
  // active pause with the table would resume sending without anyone deciding to.
  { name: 'deliverability', partitionKey: 'id', timeToLiveAttribute: 'expiresAt', holdsCustomerData: false, retainOnDelete: true, envVar: 'DELIVERABILITY_TABLE' },
  // The shop connector's webhook delivery ids (a redelivery changes nothing) and order → customer
  // links (a refund names only its order); both expire. The links are customer data.
  { name: 'shop-connector', partitionKey: 'id', timeToLiveAttribute: 'expiresAt', holdsCustomerData: true, envVar: 'SHOP_CONNECTOR_TABLE' },
  // One record per shop or SES event handled (Powertools Idempotency: hashed key, status, outcome),
  // kept 400 days, longer than the bus archive's 365-day replay horizon, so no replay applies twice.
  { name: 'idempotency', partitionKey: 'id', timeToLiveAttribute: 'expiration', holdsCustomerData: false, envVar: 'IDEMPOTENCY_TABLE' },
  // One item per customer and journey: the entry's state (where it waits, its timeline). A re-entry overwrites it.
  { name: 'journey-entries', partitionKey: 'customerId', sortKey: 'journeyId', holdsCustomerData: true, envVar: 'JOURNEY_ENTRIES_TABLE' },
];

export type TableNames = Record<TableName, string>;

export const localTableNames = (prefix: string): TableNames =>
  Object.fromEntries(TABLES.map((t) => [t.name, `${prefix}-${t.name}`])) as TableNames;
