/**
 * `lifecycle-mailer connect serve` (the webhook endpoint on this machine) and
 * `lifecycle-mailer connect backfill` (a platform's export file through the same mapping,
 * to fill what webhooks missed). Both work on the local runtime under --data-dir; the
 * backfill can also publish to a deployed stack's shop bus (--event-bus).
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { type Command, Option } from 'commander';
import type { ProjectPaths } from '#authoring/catalog-files.ts';
import { InvalidInputError } from '#domain/invalid-input-error.ts';
import type { CustomerStore } from '#adapters/customer-store.ts';
import type { IdentityStore } from '#adapters/identity-store.ts';
import { inOrderPerKey } from '#lib/local/in-order-per-key.ts';
import type { LocalRuntime } from '#lib/local/local-runtime.ts';
import { DeliveryLog } from '../functions/connector/delivery-log.ts';
import type { MappedEvent, OrderOwner } from '../functions/connector/mapped-event.ts';
import { publishShopEvents, type PutEventsTarget } from '../functions/connector/shop-event-publisher.ts';
import { type ExportEvents, isShopifyCustomersExport, isShopifyOrdersExport, shopifyCustomersExport, shopifyOrdersExport, wooCommerceExport } from './shop-exports.ts';
import { csvRows } from './csv-records.ts';

// The AWS clients, the catalog and the local runtime are loaded where a command uses them: `connect --help`,
// `import --help` and a bad option answer without loading MJML and the SDK.

/** The local runtime on the project's catalog, clock at now. */
async function startLocalRuntime(project: () => ProjectPaths, options: { dataDir: string; serveUnsubscribe?: boolean }): Promise<LocalRuntime> {
  const [{ LocalRuntime }, { buildCatalog }] = await Promise.all([import('#lib/local/local-runtime.ts'), import('#authoring/catalog-files.ts')]);
  return LocalRuntime.start({ catalog: await buildCatalog(project()), start: new Date().toISOString(), ...options });
}

type Write = (text: string) => void;

/** Where events go and profiles are read: the local runtime on a data dir, or a deployed stack. */
export interface DestinationOptions {
  dataDir: string;
  eventBus?: string;
  customersTable?: string;
  /** Import dry runs against a deployed stack (cli/import-commands.ts adds the options). */
  identitiesTable?: string;
  privacySaltSecret?: string;
  connectorTable?: string;
  region?: string;
}

export interface Destination {
  bus: PutEventsTarget;
  /** For dry runs; absent against a deployed stack without --customers-table. */
  customers?: Pick<CustomerStore, 'get'>;
  /** For dry runs: resolves each row's customer as ingest does (read only). */
  identities?: Pick<IdentityStore, 'hash' | 'erasedAt' | 'customerOfSource' | 'customerOfAddress'>;
  deliveries?: Pick<DeliveryLog, 'rememberOwners'>;
  where: string;
  close(): Promise<void>;
}

export async function openDestination(o: DestinationOptions, project: () => ProjectPaths): Promise<Destination> {
  if (o.eventBus) {
    const clientConfig = o.region ? { region: o.region } : {};
    const [{ EventBridgeClient }, { createDocumentClient }, { DynamoCustomerStore }, { IdentityStore }, { eventBridgeTarget }] = await Promise.all([
      import('@aws-sdk/client-eventbridge'),
      import('#adapters/aws-clients.ts'),
      import('#adapters/customer-store.ts'),
      import('#adapters/identity-store.ts'),
      import('../functions/connector/shop-event-publisher.ts'),
    ]);
    const eventBridge = new EventBridgeClient(clientConfig);
    const db = o.customersTable || o.connectorTable || o.identitiesTable ? createDocumentClient(clientConfig) : undefined;
    const identities = db && o.identitiesTable && o.privacySaltSecret ? new IdentityStore(db, o.identitiesTable, await readPrivacySalt(o.privacySaltSecret, clientConfig)) : undefined;
    return {
      bus: eventBridgeTarget(eventBridge, o.eventBus),
      ...(db && o.customersTable ? { customers: new DynamoCustomerStore(db, o.customersTable) } : {}),
      ...(identities ? { identities } : {}),
      ...(db && o.connectorTable ? { deliveries: new DeliveryLog(db, o.connectorTable) } : {}),
      where: `event bus ${o.eventBus}`,
      close: async () => {
        eventBridge.destroy();
        db?.destroy();
      },
    };
  }
  const runtime = await startLocalRuntime(project, { dataDir: o.dataDir });
  return runtimeDestination(runtime, `local tables in ${o.dataDir}`);
}

/** The deployed stack's address-hash salt (PrivacySaltSecretArn output), so a dry run finds customers by address as ingest does. */
async function readPrivacySalt(secretId: string, clientConfig: { region?: string }): Promise<string> {
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient(clientConfig);
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new InvalidInputError('--privacy-salt-secret', [`secret ${secretId} holds no SecretString`]);
    return SecretString;
  } finally {
    client.destroy();
  }
}

/** The local runtime as a destination: its bus (so events reach ingest), its customers and connector tables. */
export function runtimeDestination(runtime: LocalRuntime, where: string): Destination {
  return {
    bus: { putEvents: (entries) => runtime.bus.putEvents('shop', entries) },
    customers: runtime.customers,
    identities: runtime.identities,
    deliveries: new DeliveryLog(runtime.db, runtime.tables['shop-connector']),
    where,
    close: () => runtime.stop(),
  };
}

/** Publishes events per customer in order (customers at once), remembering order owners first so refunds resolve. */
export async function publishAll(destination: Destination, events: readonly MappedEvent[], owners: readonly OrderOwner[], now: string): Promise<void> {
  if (owners.length) await destination.deliveries?.rememberOwners(owners, now);
  await inOrderPerKey(events, (e) => String(e.detail.customerId ?? ''), 8, (e) => publishShopEvents(destination.bus, [e]));
}

export const withDestinationOptions = (command: Command) =>
  command
    .option('--data-dir <dir>', 'the local data dir (tables under <dir>/dynamodb)', '.local')
    .option('--event-bus <name>', "a deployed stack's shop bus (ShopEventBusName output) instead of the local tables; default AWS credentials")
    .option('--customers-table <name>', 'the deployed customers table (CustomersTableName output), read by --dry-run')
    .option('--connector-table <name>', "the deployed shop-connector table, so later refunds find their orders' customers")
    .option('--region <region>', 'AWS region of the deployed stack');

export function readInputFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(file, [`cannot read the file (${error instanceof Error ? error.message : String(error)})`], { cause: error });
  }
}

export function exportEvents(platform: 'shopify' | 'woocommerce', files: readonly string[], exportedAt: string | undefined): ExportEvents[] {
  if (platform === 'woocommerce') return files.map((f) => ({ ...wooCommerceExport(readInputFile(f)), kind: `woocommerce ${basename(f)}` }));
  const texts = files.map((file) => ({ file, text: readInputFile(file), header: csvRows(readInputFile(file).split(/\r?\n/, 1)[0] ?? '').header }));
  const customerFiles = texts.filter((t) => isShopifyCustomersExport(t.header) && !isShopifyOrdersExport(t.header));
  const orderFiles = texts.filter((t) => isShopifyOrdersExport(t.header));
  for (const t of texts) {
    if (!customerFiles.includes(t) && !orderFiles.includes(t)) throw new InvalidInputError(t.file, ["header: neither Shopify's orders export (Name, Lineitem name…) nor its customers export (Customer ID, Email…)"]);
  }
  if (customerFiles.length && !exportedAt) {
    throw new InvalidInputError(customerFiles[0]!.file, ['--exported-at is required with a customers export: its consent is stated as of that time, so that it never overrides a newer choice']);
  }
  const idsByEmail = new Map<string, string>();
  const out: ExportEvents[] = [];
  for (const t of customerFiles) {
    const result = shopifyCustomersExport(t.text, exportedAt!);
    for (const [email, id] of result.idsByEmail) idsByEmail.set(email, id);
    out.push({ ...result, kind: `shopify customers ${basename(t.file)}` });
  }
  for (const t of orderFiles) out.push({ ...shopifyOrdersExport(t.text, idsByEmail), kind: `shopify orders ${basename(t.file)}` });
  return out;
}

const MAX_LISTED = 20;
function listed(title: string, entries: readonly { line: number; reason: string }[]): string[] {
  if (!entries.length) return [];
  return [`  ${title} (${entries.length}):`, ...entries.slice(0, MAX_LISTED).map((e) => `    line ${e.line}: ${e.reason}`), ...(entries.length > MAX_LISTED ? [`    … and ${entries.length - MAX_LISTED} more`] : [])];
}

const parseInstant = (value: string) => {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidInputError('--exported-at', [`expected a date and time like 2026-10-01T12:00:00Z, got "${value}"`]);
  return new Date(t).toISOString();
};

/** Adds `connect serve` and `connect backfill`. */
export function registerConnectCommands(program: Command, project: () => ProjectPaths, write: Write = (t) => process.stdout.write(t)): void {
  const connect = program.command('connect').description('connect a shop: the webhook endpoint (Shopify, WooCommerce) and backfills from export files');

  connect
    .command('serve')
    .description('run the local pipeline with the webhook endpoint at /webhooks/shopify and /webhooks/woocommerce until stopped')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', (v) => Number.parseInt(v, 10), 8787)
    .option('--data-dir <dir>', 'where the local tables live', '.local')
    .action(async (o: { port: number; dataDir: string }) => {
      const [{ secretsFromEnvironment }, { startWebhookServer }] = await Promise.all([import('../functions/connector/webhook-secrets.ts'), import('./webhook-server.ts')]);
      const secrets = secretsFromEnvironment(process.env);
      const runtime = await startLocalRuntime(project, { dataDir: o.dataDir, serveUnsubscribe: true });
      const server = await startWebhookServer({ runtime, secrets, port: o.port, beforeRequest: () => runtime.clock.set(Date.now()) });
      // The runtime's clock follows the wall clock here: queued sends (a welcome, a cart reminder) go out when due.
      const tick = setInterval(() => {
        runtime.clock.set(Date.now());
        void runtime.drainSendQueue().then(() => runtime.deliverSesEvents(Date.now()));
      }, 5_000);
      const missing = (['shopify', 'woocommerce'] as const).filter((p) => secrets[p].length === 0);
      write(
        [
          `Shopify webhooks:     ${server.url}/webhooks/shopify`,
          `WooCommerce webhooks: ${server.url}/webhooks/woocommerce`,
          `Local SES inbox:      ${runtime.services.ses.endpoint}/`,
          `Tables in ${o.dataDir}. Ctrl-C to stop.`,
          ...missing.map((p) => `warning: ${p === 'shopify' ? 'SHOPIFY_WEBHOOK_SECRET' : 'WOOCOMMERCE_WEBHOOK_SECRET'} is not set: every ${p} webhook will be refused (401)`),
          '',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      clearInterval(tick);
      await server.close();
      await runtime.stop();
    });

  withDestinationOptions(
    connect
      .command('backfill <files...>')
      .description("publish what an export holds, as the webhooks would have: Shopify's orders/customers CSV exports, WooCommerce's REST JSON; re-running changes nothing")
      .addOption(new Option('--platform <platform>', 'the export files’ platform').choices(['shopify', 'woocommerce']).makeOptionMandatory())
      .option('--exported-at <time>', 'when a Shopify customers export was taken (its consent is stated as of then)')
      .option('--dry-run', 'map and count, publish nothing'),
  ).action(async (files: string[], o: DestinationOptions & { platform: 'shopify' | 'woocommerce'; exportedAt?: string; dryRun?: boolean }) => {
    const exportedAt = o.exportedAt ? parseInstant(o.exportedAt) : undefined;
    const results = exportEvents(o.platform, files, exportedAt);
    const lines: string[] = [];
    for (const r of results) {
      lines.push(`${r.kind}: ${r.events.length} events${r.skipped.length ? `, ${r.skipped.length} skipped` : ''}${r.rejected.length ? `, ${r.rejected.length} rejected` : ''}`);
      lines.push(...listed('rejected', r.rejected), ...listed('skipped', r.skipped));
    }
    const events = results.flatMap((r) => r.events);
    if (o.dryRun) {
      write([...lines, `dry run: nothing published (${events.length} events would be)`, ''].join('\n'));
      return;
    }
    const destination = await openDestination(o, project);
    try {
      await publishAll(destination, events, results.flatMap((r) => r.owners), new Date().toISOString());
    } finally {
      await destination.close();
    }
    write([...lines, `published ${events.length} events to ${destination.where}; what was already there is unchanged (events are keyed by order, refund, checkout and update time)`, ''].join('\n'));
  });
}

/** The file's modification time: the default "as of" of an import whose rows carry no time. */
export const fileTime = (file: string) => statSync(file).mtime.toISOString();
