import { ingestShopEvent, type IngestDeps, type IngestOutcome } from './ingest-shop-event.ts';
import { lambdaDependencies } from '#adapters/lambda-dependencies.ts';

/** EventBridge target for shop events. Invalid events are set aside, not thrown, so EventBridge does not retry them. */
export const createIngestHandler =
  (deps: IngestDeps) =>
  (event: unknown): Promise<IngestOutcome> =>
    ingestShopEvent(event, deps);

let instance: ReturnType<typeof createIngestHandler> | undefined;
export const handler = (event: unknown) => {
  if (!instance) {
    const d = lambdaDependencies();
    instance = createIngestHandler({ ...d, sendQueue: d.sendQueue(), campaigns: d.catalog.campaigns, config: d.catalog.config });
  }
  return instance(event);
};
