import { ingestShopEvent, type IngestDeps, type IngestOutcome } from './ingest-shop-event.ts';
import { lambdaDependencies } from '#adapters/lambda-dependencies.ts';

/** EventBridge target for shop events. Invalid events are set aside, not thrown, so EventBridge does not retry them. */
export const createIngestHandler =
  (deps: IngestDeps) =>
  (event: unknown): Promise<IngestOutcome> =>
    ingestShopEvent(event, deps);

let instance: Promise<ReturnType<typeof createIngestHandler>> | undefined;
export const handler = async (event: unknown) => {
  instance ??= (async () => {
    const d = lambdaDependencies();
    return createIngestHandler({ ...d, sendQueue: d.sendQueue(), identities: await d.identities(), campaigns: d.catalog.campaigns, config: d.catalog.config });
  })().catch((error: unknown) => {
    instance = undefined; // a failed cold start (the salt unreadable) is tried again on the next event
    throw error;
  });
  return (await instance)(event);
};
