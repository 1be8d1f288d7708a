import { Logger } from '@aws-lambda-powertools/logger';
import type { Catalog } from '#domain/catalog.ts';
import { systemClock } from '#domain/clock.ts';
import { instanceSendRate } from '#domain/send-rate.ts';
import { createDocumentClient, createSesClient, createSqsClient } from './aws-clients.ts';
import { readCatalogFile } from './catalog-file.ts';
import { DynamoCustomerStore } from './customer-store.ts';
import { DeliverabilityStore } from './deliverability-store.ts';
import { FailedEventStore } from './failed-event-store.ts';
import { type LambdaEnvironment, lambdaEnvironment } from './lambda-environment.ts';
import { ModelRunStore } from './model-run-store.ts';
import { PauseGate } from './pause-gate.ts';
import { SesMailer } from './mailer.ts';
import { PacedMailer } from './paced-mailer.ts';
import { SendLedger } from './send-ledger.ts';
import { loadSigningKeys } from './signing-keys-secret.ts';
import { SqsSendQueue } from './send-queue.ts';
import { StageChangeLog } from './stage-change-log.ts';
import { SqsJourneyQueue } from './journey-queue.ts';
import { JourneyNotifyingStageChangeLog, journeyStages } from './journey-stage-changes.ts';

/**
 * The adapters a function gets in AWS: SDK clients built once per cold start, table names
 * and the catalog from the environment. Tests and the local runtime build their own.
 */
let shared: ReturnType<typeof build> | undefined;

type TableVariable = 'CUSTOMERS_TABLE' | 'SEND_LEDGER_TABLE' | 'FAILED_EVENTS_TABLE' | 'STAGE_CHANGES_TABLE' | 'MODEL_RUNS_TABLE' | 'DELIVERABILITY_TABLE';

/**
 * The adapter over a table, or, when this function was not given the table's name, a stand-in
 * that refuses on first use with the reason (the function's access does not include the table).
 */
function overTable<T extends object>(env: LambdaEnvironment, variable: TableVariable, make: (tableName: string) => T): T {
  const tableName = env[variable];
  if (tableName) return make(tableName);
  return new Proxy({} as T, {
    get(_target, property) {
      throw new Error(`${variable} is not set: this function's access (lib/function-access.ts) does not include that table, yet its code used ${String(property)}`);
    },
  });
}

function build() {
  const env = lambdaEnvironment();
  const db = createDocumentClient();
  const catalog: Catalog = readCatalogFile(env.CATALOG_PATH);
  const deliverability = overTable(env, 'DELIVERABILITY_TABLE', (t) => new DeliverabilityStore(db, t));
  return {
    env,
    catalog,
    logger: new Logger({ serviceName: 'lifecycle-mailer' }),
    clock: systemClock,
    customers: overTable(env, 'CUSTOMERS_TABLE', (t) => new DynamoCustomerStore(db, t)),
    ledger: overTable(env, 'SEND_LEDGER_TABLE', (t) => new SendLedger(db, t)),
    failedEvents: overTable(env, 'FAILED_EVENTS_TABLE', (t) => new FailedEventStore(db, t)),
    // With a journey queue (ingest, segmentation), stage changes also reach the journeys.
    stageChanges: overTable(env, 'STAGE_CHANGES_TABLE', (t) =>
      env.JOURNEY_QUEUE_URL ? new JourneyNotifyingStageChangeLog(db, t, new SqsJourneyQueue(createSqsClient(), env.JOURNEY_QUEUE_URL), journeyStages(catalog.journeys)) : new StageChangeLog(db, t),
    ),
    modelRuns: overTable(env, 'MODEL_RUNS_TABLE', (t) => new ModelRunStore(db, t)),
    deliverability,
    // One per process: its pause cache then serves every batch the warm function handles.
    guardrail: new PauseGate(deliverability, systemClock, catalog.config.guardrail),
    sendQueue: () => {
      if (!env.SEND_QUEUE_URL) throw new Error('SEND_QUEUE_URL is not set');
      return new SqsSendQueue(createSqsClient(), env.SEND_QUEUE_URL);
    },
    /** The link-signing keys, from Secrets Manager (cached a few minutes, so a rotation reaches every instance). */
    signingKeys: () => {
      if (!env.SIGNING_KEYS_SECRET_ARN) throw new Error("SIGNING_KEYS_SECRET_ARN is not set: this function's access (lib/function-access.ts) does not include the signing keys");
      return loadSigningKeys(env.SIGNING_KEYS_SECRET_ARN);
    },
    // No SDK retries for SendEmail (a retried timeout could mail twice); PacedMailer retries throttles
    // and holds this instance to its share of the SES rate.
    mailer: () => new PacedMailer(new SesMailer(createSesClient({ maxAttempts: 1 })), { ratePerSecond: instanceSendRate(catalog.config.sending.maxSendRate) }),
  };
}

export const lambdaDependencies = () => (shared ??= build());
