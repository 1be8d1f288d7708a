import { type EngagementDeps, type EngagementOutcome, recordEngagement } from './record-engagement.ts';
import { lambdaDependencies } from '#adapters/lambda-dependencies.ts';

/** EventBridge target for SES events (default bus, source aws.ses). */
export const createEngagementHandler =
  (deps: EngagementDeps) =>
  (event: unknown): Promise<EngagementOutcome> =>
    recordEngagement(event, deps);

let instance: ReturnType<typeof createEngagementHandler> | undefined;
export const handler = (event: unknown) => {
  if (!instance) {
    const d = lambdaDependencies();
    instance = createEngagementHandler({ ...d, config: d.catalog.config });
  }
  return instance(event);
};
