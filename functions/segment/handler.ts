import { parseOrThrow } from '#domain/invalid-input-error.ts';
import { runSegmentation, type SegmentDeps, SegmentRunInput, type SegmentationReport } from './run-segmentation.ts';
import { lambdaDependencies } from '#adapters/lambda-dependencies.ts';

/** EventBridge Scheduler target: the daily segmentation, and the runs of scheduled campaigns. */
export const createSegmentHandler =
  (deps: SegmentDeps) =>
  (input: unknown): Promise<SegmentationReport> =>
    runSegmentation(parseOrThrow(SegmentRunInput, input ?? {}, 'segment run input'), deps);

let instance: ReturnType<typeof createSegmentHandler> | undefined;
export const handler = (input: unknown) => {
  if (!instance) {
    const d = lambdaDependencies();
    instance = createSegmentHandler({ ...d, sendQueue: d.sendQueue(), campaigns: d.catalog.campaigns, config: d.catalog.config });
  }
  return instance(input);
};
