import { Logger } from '@aws-lambda-powertools/logger';
import type { Catalog } from '#domain/catalog.ts';
import { systemClock } from '#domain/clock.ts';
import { instanceSendRate } from '#domain/send-rate.ts';
import { createDocumentClient, createSesClient, createSqsClient } from './aws-clients.ts';
import { readCatalogFile } from './catalog-file.ts';
import { DynamoCustomerStore } from './customer-store.ts';
import { DeliverabilityStore } from './deliverability-store.ts';
import { FailedEventStore } from './failed-event-store.ts';
import { lambdaEnvironment } from './lambda-environment.ts';
import { ModelRunStore } from './model-run-store.ts';
import { PauseGate } from './pause-gate.ts';
import { SesMailer } from './mailer.ts';
import { PacedMailer } from './paced-mailer.ts';
import { SendLedger } from './send-ledger.ts';
import { SqsSendQueue } from './send-queue.ts';
import { StageChangeLog } from './stage-change-log.ts';

/**
 * The adapters a function gets in AWS: SDK clients built once per cold start, table names
 * and the catalog from the environment. Tests and the local runtime build their own.
 */
let shared: ReturnType<typeof build> | undefined;

function build() {
  const env = lambdaEnvironment();
  const db = createDocumentClient();
  const catalog: Catalog = readCatalogFile(env.CATALOG_PATH);
  const deliverability = new DeliverabilityStore(db, env.DELIVERABILITY_TABLE);
  return {
    env,
    catalog,
    logger: new Logger({ serviceName: 'lifecycle-mailer' }),
    clock: systemClock,
    customers: new DynamoCustomerStore(db, env.CUSTOMERS_TABLE),
    ledger: new SendLedger(db, env.SEND_LEDGER_TABLE),
    failedEvents: new FailedEventStore(db, env.FAILED_EVENTS_TABLE),
    stageChanges: new StageChangeLog(db, env.STAGE_CHANGES_TABLE),
    modelRuns: new ModelRunStore(db, env.MODEL_RUNS_TABLE),
    deliverability,
    // One per process: its pause cache then serves every batch the warm function handles.
    guardrail: new PauseGate(deliverability, systemClock, catalog.config.guardrail),
    sendQueue: () => {
      if (!env.SEND_QUEUE_URL) throw new Error('SEND_QUEUE_URL is not set');
      return new SqsSendQueue(createSqsClient(), env.SEND_QUEUE_URL);
    },
    // No SDK retries for SendEmail (a retried timeout could mail twice); PacedMailer retries throttles
    // and holds this instance to its share of the SES rate.
    mailer: () => new PacedMailer(new SesMailer(createSesClient({ maxAttempts: 1 })), { ratePerSecond: instanceSendRate(catalog.config.sending.maxSendRate) }),
  };
}

export const lambdaDependencies = () => (shared ??= build());
