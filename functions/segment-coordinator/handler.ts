import { lambdaDependencies } from '#adapters/lambda-dependencies.ts';
import { SegmentationRunStore } from '#adapters/segmentation-run-store.ts';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { mergeSegmentation, parseCoordinatorInput, planSegmentation, reportSegmentation, type SegmentationPlan } from '../segment/two-phase-segmentation.ts';
import type { SegmentationReport } from '../segment/run-segmentation.ts';

/** The construct's threshold (SINGLE_PASS_LIMIT): at or below it, the single segment function runs the whole base. */
const singlePassLimit = () => {
  const value = Number(process.env.SINGLE_PASS_LIMIT);
  if (!Number.isInteger(value) || value < 0) throw new Error(`SINGLE_PASS_LIMIT must be a whole number, got '${process.env.SINGLE_PASS_LIMIT}'`);
  return value;
};

/** The segmentation state machine's plan, merge and report steps (lib/segmentation-construct.ts). */
export const handler = async (input: unknown): Promise<SegmentationPlan | SegmentationReport | { merged: true }> => {
  const d = lambdaDependencies();
  const runs = new SegmentationRunStore(createDocumentClient(), process.env.MODEL_RUNS_TABLE ?? '');
  const step = parseCoordinatorInput(input);
  const deps = { ...d, runs, campaigns: d.catalog.campaigns, config: d.catalog.config };
  switch (step.step) {
    case 'plan':
      return planSegmentation(step.run, deps, { singlePassLimit: singlePassLimit(), ...(step.runId ? { runId: step.runId } : {}) });
    case 'merge':
      await mergeSegmentation(step.plan, deps);
      return { merged: true };
    case 'report':
      return reportSegmentation(step.plan, deps);
  }
};
