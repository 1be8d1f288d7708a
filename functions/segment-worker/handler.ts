import { lambdaDependencies } from '#adapters/lambda-dependencies.ts';
import { SegmentationRunStore } from '#adapters/segmentation-run-store.ts';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { parseWorkerInput, scoreSegmentTask, summariseSegmentTask } from '../segment/two-phase-segmentation.ts';

/** One Distributed Map child: summarise (phase 1) or score and queue (phase 2) one parallel-scan segment. */
export const handler = async (input: unknown): Promise<{ segment: number }> => {
  const d = lambdaDependencies();
  const runs = new SegmentationRunStore(createDocumentClient(), process.env.MODEL_RUNS_TABLE ?? '');
  const step = parseWorkerInput(input);
  if (step.step === 'summarise') await summariseSegmentTask(step.task, { ...d, runs });
  else await scoreSegmentTask(step.task, { ...d, runs, sendQueue: d.sendQueue(), campaigns: d.catalog.campaigns, config: d.catalog.config });
  return { segment: step.task.segment };
};
