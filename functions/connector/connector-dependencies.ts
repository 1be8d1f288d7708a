import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { systemClock } from '#domain/clock.ts';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { FailedEventStore } from '#adapters/failed-event-store.ts';
import { connectorEnvironment } from './connector-environment.ts';
import { DeliveryLog } from './delivery-log.ts';
import type { ConnectorDeps } from './receive-webhook.ts';
import { eventBridgeTarget } from './shop-event-publisher.ts';

/** The connector's adapters in AWS: SDK clients built once per cold start, names from the environment. */
let shared: ConnectorDeps | undefined;
export function connectorDependencies(): ConnectorDeps {
  if (shared) return shared;
  const env = connectorEnvironment();
  const db = createDocumentClient();
  shared = {
    deliveries: new DeliveryLog(db, env.SHOP_CONNECTOR_TABLE),
    bus: eventBridgeTarget(new EventBridgeClient({}), env.SHOP_EVENT_BUS_NAME),
    failedEvents: new FailedEventStore(db, env.FAILED_EVENTS_TABLE),
    clock: systemClock,
    logger: new Logger({ serviceName: 'lifecycle-mailer' }),
  };
  return shared;
}
