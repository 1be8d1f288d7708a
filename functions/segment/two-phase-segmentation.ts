import { z } from 'zod';
import type { Clock } from '#domain/clock.ts';
import { ClvDistribution, fitValueModelOn, scoreCustomerValue } from '#domain/customer-base-value.ts';
import { scoreCustomerBase } from '#domain/customer-base-scores.ts';
import { type CustomerProfile, type CustomerValue, LIFECYCLE_STAGES, LifecycleStage } from '#domain/customer-profile.ts';
import { BgNbdParamsSchema } from '#domain/customer-value/bgnbd.ts';
import { RfmThresholdsSchema } from '#domain/customer-value/rfm.ts';
import { parseOrThrow } from '#domain/invalid-input-error.ts';
import { clvDistributionFromSummary, mergeSummaries, purchaseHistoriesOf, rfmThresholdsOf, SegmentSummary, summariseSegment } from '#domain/segment-statistics.ts';
import type { DynamoCustomerStore } from '#adapters/customer-store.ts';
import type { SegmentationRunStore } from '#adapters/segmentation-run-store.ts';
import { type CampaignRunStats, dueCampaigns, queueCampaigns, rescoreAndWrite, resolveValueModel, type SegmentDeps, SegmentRunInput, type SegmentationReport } from './run-segmentation.ts';

/**
 * The daily segmentation for a large base, as the Step Functions state machine runs it
 * (lib/segmentation-construct.ts) and the local runtime runs it in-process: plan → for every
 * parallel-scan segment, summarise → merge → for every segment, score and queue → report. Each
 * step is one function here; a step's input and output are small (the statistics go through
 * the SegmentationRunStore), so they fit Step Functions' payload limit at any table size.
 */

/** One segment should finish well inside Lambda's 15 minutes: 50,000 customers at the measured rate (README, Performance and scale) take about a minute. */
export const CUSTOMERS_PER_SEGMENT = 50_000;
/** DynamoDB allows up to 1,000,000 parallel-scan segments; more than this many would only add Lambda start-ups. */
export const MAX_SEGMENTS = 10_000;

/** The number of scan segments for a table of `customers`: ⌈customers / CUSTOMERS_PER_SEGMENT⌉, at least 1, at most MAX_SEGMENTS. */
export const segmentCount = (customers: number, perSegment = CUSTOMERS_PER_SEGMENT) => Math.min(MAX_SEGMENTS, Math.max(1, Math.ceil(customers / perSegment)));

export const SegmentationPlan = z.object({
  /** `single`: the table is small enough for one function to segment it (the construct's threshold). */
  mode: z.enum(['single', 'distributed']),
  runId: z.string().min(1),
  now: z.string(),
  totalSegments: z.number().int().positive(),
  /** The Distributed Map's items: segment numbers 0..totalSegments-1. */
  segments: z.array(z.number().int().nonnegative()),
  run: SegmentRunInput,
});
export type SegmentationPlan = z.infer<typeof SegmentationPlan>;

/** What a worker is given for one segment (the map's item selector builds it). */
export const SegmentTask = z.object({ runId: z.string().min(1), now: z.string(), segment: z.number().int().nonnegative(), totalSegments: z.number().int().positive() });
export type SegmentTask = z.infer<typeof SegmentTask>;

/** The merged statistics every phase-2 worker scores with. */
const MergedPlan = z.object({
  now: z.string(),
  run: SegmentRunInput,
  customers: z.number().int().nonnegative(),
  rfm: RfmThresholdsSchema.optional(),
  model: z.object({ bgnbd: BgNbdParamsSchema, gammaGamma: z.object({ p: z.number(), q: z.number(), v: z.number() }).optional(), fittedAt: z.string() }).optional(),
  clv: ClvDistribution.optional(),
  models: z.record(z.string(), z.unknown()).optional(),
  pausedCampaignIds: z.array(z.string()),
  coarsened: z.boolean(),
});
type MergedPlan = z.infer<typeof MergedPlan>;

const CampaignStats = z.object({ eligible: z.number(), queued: z.number(), skipped: z.record(z.string(), z.number()) });
const SegmentReport = z.object({
  customers: z.number().int().nonnegative(),
  stages: z.record(LifecycleStage, z.number()),
  stageChanges: z.number(),
  profilesUpdated: z.number(),
  campaigns: z.record(z.string(), CampaignStats),
});
type SegmentReport = z.infer<typeof SegmentReport>;

export interface TwoPhaseDeps extends Omit<SegmentDeps, 'scanSegments' | 'clock'> {
  runs: SegmentationRunStore;
  clock: Clock;
}

async function scanSegment(store: DynamoCustomerStore, task: Pick<SegmentTask, 'segment' | 'totalSegments'>): Promise<CustomerProfile[]> {
  const out: CustomerProfile[] = [];
  for await (const page of store.scanSegment(task.segment, task.totalSegments)) out.push(...page);
  return out;
}

/** Step 1: the run's clock time, id and segments; `single` below `singlePassLimit` customers. */
export async function planSegmentation(
  run: SegmentRunInput,
  deps: Pick<TwoPhaseDeps, 'customers' | 'clock'>,
  options: { runId?: string; singlePassLimit: number; customersPerSegment?: number; customers?: number },
): Promise<SegmentationPlan> {
  const now = deps.clock.now();
  const customers = options.customers ?? (await deps.customers.approximateCount());
  const totalSegments = segmentCount(customers, options.customersPerSegment);
  return {
    mode: customers <= options.singlePassLimit ? 'single' : 'distributed',
    runId: options.runId ?? now,
    now,
    totalSegments,
    segments: Array.from({ length: totalSegments }, (_, i) => i),
    run,
  };
}

/** Phase 1, one segment: its mergeable statistics. */
export async function summariseSegmentTask(task: SegmentTask, deps: Pick<TwoPhaseDeps, 'customers' | 'runs'>): Promise<void> {
  const profiles = await scanSegment(deps.customers, task);
  await deps.runs.putSegment(task.runId, 'summary', task.segment, summariseSegment(profiles, task.now));
}

/** The parent's merge: the whole base's statistics, the models (refitted weekly, as in one pass), the CLV ranks and the paused campaigns. */
export async function mergeSegmentation(plan: Pick<SegmentationPlan, 'runId' | 'now' | 'totalSegments' | 'run'>, deps: Pick<TwoPhaseDeps, 'runs' | 'modelRuns' | 'logger' | 'campaigns' | 'guardrail'>): Promise<void> {
  const merged = mergeSummaries(await deps.runs.segments(plan.runId, 'summary', plan.totalSegments, SegmentSummary));
  const report: Pick<SegmentationReport, 'models'> = {};
  const model = plan.run.recompute ? await resolveValueModel(() => fitValueModelOn(purchaseHistoriesOf(merged), plan.now), plan.now, deps, report) : undefined;
  if (merged.coarsened) deps.logger.warn('segment statistics rounded to fit', { customers: merged.customers });
  const paused: string[] = [];
  for (const c of dueCampaigns(plan.run, deps.campaigns)) if (await deps.guardrail.pauseFor(c)) paused.push(c.id);
  const rfm = rfmThresholdsOf(merged);
  const body: MergedPlan = {
    now: plan.now,
    run: plan.run,
    customers: merged.customers,
    ...(rfm ? { rfm } : {}),
    ...(model ? { model, clv: clvDistributionFromSummary(model, merged) } : {}),
    ...(report.models ? { models: report.models } : {}),
    pausedCampaignIds: paused,
    coarsened: merged.coarsened,
  };
  await deps.runs.put(plan.runId, 'plan', body);
}

/** Phase 2, one segment: rescores and writes its customers with the merged statistics, records stage changes, queues its sends. */
export async function scoreSegmentTask(task: SegmentTask, deps: Omit<TwoPhaseDeps, 'modelRuns' | 'guardrail'>): Promise<void> {
  const plan = await deps.runs.get(task.runId, 'plan', MergedPlan);
  const profiles = await scanSegment(deps.customers, task);
  const report: SegmentReport = { customers: profiles.length, stages: emptyStages(), stageChanges: 0, profilesUpdated: 0, campaigns: {} };
  let current = profiles;
  if (plan.run.recompute) {
    const values = plan.model ? scoreCustomerValue(plan.model, profiles, plan.now, plan.clv) : new Map<string, CustomerValue>();
    current = await rescoreAndWrite(profiles, scoreCustomerBase(profiles, plan.now, deps.config.stages, values, plan.rfm), values, plan.now, deps, report);
  }
  for (const p of current) report.stages[p.stage]++;
  const due = dueCampaigns(plan.run, deps.campaigns);
  for (const c of due) report.campaigns[c.id] = { eligible: 0, queued: 0, skipped: {} };
  const paused = due.filter((c) => plan.pausedCampaignIds.includes(c.id));
  await queueCampaigns(current, due, paused, plan.now, deps, report as Pick<SegmentationReport, 'campaigns'>);
  await deps.runs.putSegment(task.runId, 'report', task.segment, report);
}

const emptyStages = () => Object.fromEntries(LIFECYCLE_STAGES.map((s) => [s, 0])) as SegmentationReport['stages'];

/** The last step: the run's report, summed over the segments (the same report one pass writes); the run's items are deleted. */
export async function reportSegmentation(plan: Pick<SegmentationPlan, 'runId' | 'now' | 'totalSegments'>, deps: Pick<TwoPhaseDeps, 'runs' | 'logger'>): Promise<SegmentationReport> {
  const merged = await deps.runs.get(plan.runId, 'plan', MergedPlan);
  const parts = await deps.runs.segments(plan.runId, 'report', plan.totalSegments, SegmentReport);
  const report: SegmentationReport = { at: plan.now, customers: 0, stages: emptyStages(), stageChanges: 0, profilesUpdated: 0, campaigns: {} };
  if (merged.models) report.models = merged.models as SegmentationReport['models'];
  for (const part of parts) {
    report.customers += part.customers;
    report.stageChanges += part.stageChanges;
    report.profilesUpdated += part.profilesUpdated;
    for (const s of LIFECYCLE_STAGES) report.stages[s] += part.stages[s] ?? 0;
    for (const [id, stats] of Object.entries(part.campaigns)) {
      const into: CampaignRunStats = (report.campaigns[id] ??= { eligible: 0, queued: 0, skipped: {} });
      into.eligible += stats.eligible;
      into.queued += stats.queued;
      for (const [reason, n] of Object.entries(stats.skipped)) into.skipped[reason as keyof CampaignRunStats['skipped']] = (into.skipped[reason as keyof CampaignRunStats['skipped']] ?? 0) + n;
    }
  }
  await deps.runs.deleteRun(plan.runId, plan.totalSegments);
  deps.logger.info('segmentation run', { customers: report.customers, segments: plan.totalSegments, stages: report.stages, stageChanges: report.stageChanges, campaigns: report.campaigns });
  return report;
}

/** The coordinator function's steps (plan, merge, report), as the state machine invokes them. */
export const CoordinatorInput = z.discriminatedUnion('step', [
  z.object({ step: z.literal('plan'), run: SegmentRunInput.default({ recompute: true, campaignIds: [] }), runId: z.string().min(1).optional() }),
  z.object({ step: z.literal('merge'), plan: SegmentationPlan }),
  z.object({ step: z.literal('report'), plan: SegmentationPlan }),
]);
/** The worker function's steps, one segment each. */
export const WorkerInput = z.discriminatedUnion('step', [z.object({ step: z.literal('summarise'), task: SegmentTask }), z.object({ step: z.literal('score'), task: SegmentTask })]);

export const parseCoordinatorInput = (input: unknown) => parseOrThrow(CoordinatorInput, input, 'segmentation coordinator input');
export const parseWorkerInput = (input: unknown) => parseOrThrow(WorkerInput, input, 'segmentation worker input');

/**
 * The whole run in-process (the local runtime, tests): the same steps the state machine runs,
 * the segments of each phase concurrently, as the Distributed Map runs its children.
 */
export async function runTwoPhaseSegmentation(
  run: SegmentRunInput,
  deps: TwoPhaseDeps,
  options: { totalSegments: number; runId?: string; asWorker?: <R>(step: () => Promise<R>) => Promise<R>; asCoordinator?: <R>(step: () => Promise<R>) => Promise<R> },
): Promise<SegmentationReport> {
  const worker = options.asWorker ?? ((step) => step());
  const coordinator = options.asCoordinator ?? ((step) => step());
  const plan = await coordinator(() => planSegmentation(run, deps, { singlePassLimit: -1, customers: options.totalSegments * CUSTOMERS_PER_SEGMENT, ...(options.runId ? { runId: options.runId } : {}) }));
  const tasks = plan.segments.map((segment) => ({ runId: plan.runId, now: plan.now, segment, totalSegments: plan.totalSegments }));
  await Promise.all(tasks.map((task) => worker(() => summariseSegmentTask(task, deps))));
  await coordinator(() => mergeSegmentation(plan, deps));
  await Promise.all(tasks.map((task) => worker(() => scoreSegmentTask(task, deps))));
  return coordinator(() => reportSegmentation(plan, deps));
}

