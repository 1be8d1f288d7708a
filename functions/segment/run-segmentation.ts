import type { Logger } from '@aws-lambda-powertools/logger';
import pLimit from 'p-limit';
import { z } from 'zod';
import type { Campaign } from '#domain/campaign.ts';
import { checkEligibility, chooseCampaign, type SkipReason } from '#domain/campaign-choice.ts';
import type { Clock } from '#domain/clock.ts';
import { customerFacts } from '#domain/customer-facts.ts';
import { type CustomerProfile, LIFECYCLE_STAGES, type LifecycleStage } from '#domain/customer-profile.ts';
import { rescoreCustomer, scoreCustomerBase } from '#domain/customer-base-scores.ts';
import { fitValueModel, scoreCustomerValue, type ValueModel, type ValueModelFit } from '#domain/customer-base-value.ts';
import { daysBetween } from '#domain/lifecycle-stage.ts';
import type { CustomerValue } from '#domain/customer-profile.ts';
import type { ModelRunStore } from '#adapters/model-run-store.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import { releaseTime } from '#domain/quiet-hours.ts';
import { buildSendRequest, type SendRequest } from '#domain/send-request.ts';
import { type DynamoCustomerStore, ProfileConflictError } from '#adapters/customer-store.ts';
import type { PauseGate } from '#adapters/pause-gate.ts';
import type { SendQueue } from '#adapters/send-queue.ts';
import type { StageChange, StageChangeLog } from '#adapters/stage-change-log.ts';

/** What a schedule passes to the segment function. */
export const SegmentRunInput = z
  .object({
    /** Recompute stage, RFM and loyalty for every customer. */
    recompute: z.boolean().default(true),
    /** Scheduled campaigns due in this run; a customer gets at most one of them. */
    campaignIds: z.array(z.string()).default([]),
  })
  .strict();
export type SegmentRunInput = z.infer<typeof SegmentRunInput>;

export interface SegmentDeps {
  customers: DynamoCustomerStore;
  stageChanges: StageChangeLog;
  modelRuns: ModelRunStore;
  sendQueue: SendQueue;
  campaigns: readonly Campaign[];
  config: MailerConfig;
  clock: Clock;
  logger: Logger;
  /** Deliverability guardrail: paused campaigns are not queued. */
  guardrail: Pick<PauseGate, 'pauseFor'>;
  /** Parallel scan segments (DynamoDB reads them concurrently). */
  scanSegments?: number;
  writeConcurrency?: number;
  /** Told each customer's outcome for each due campaign (the local run's summary counts customers, not runs). */
  onDecision?: (decision: CampaignDecision) => void;
}

/** What one run decided for one customer and one due campaign: queued, or why not. */
export interface CampaignDecision {
  campaignId: string;
  customerId: string;
  outcome: 'queued' | SkipReason;
}

export interface CampaignRunStats {
  eligible: number;
  queued: number;
  skipped: Partial<Record<SkipReason, number>>;
}

export interface SegmentationReport {
  at: string;
  customers: number;
  stages: Record<LifecycleStage, number>;
  stageChanges: number;
  profilesUpdated: number;
  /** The purchase and spend models fitted in this run, or why not. */
  models?: { bgnbd?: { r: number; alpha: number; a: number; b: number }; gammaGamma?: { p: number; q: number; v: number }; skipped?: string; /** A fit of this run (or of this week) that is not used, and what scores instead. */ warning?: string };
  campaigns: Record<string, CampaignRunStats>;
}

async function scanAll(store: DynamoCustomerStore, segments: number): Promise<CustomerProfile[]> {
  const parts = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      const out: CustomerProfile[] = [];
      for await (const page of store.scanSegment(segment, segments)) out.push(...page);
      return out;
    }),
  );
  return parts.flat();
}

/**
 * The scheduled run: rescores every customer (lifecycle stage, RFM, loyalty), writes the
 * ones that changed, records stage changes, and queues one send per customer for the
 * highest-priority due campaign they are eligible for.
 */
export async function runSegmentation(input: SegmentRunInput, deps: SegmentDeps): Promise<SegmentationReport> {
  const now = deps.clock.now();
  const profiles = await scanAll(deps.customers, deps.scanSegments ?? 4);
  const report: SegmentationReport = {
    at: now,
    customers: profiles.length,
    stages: Object.fromEntries(LIFECYCLE_STAGES.map((s) => [s, 0])) as Record<LifecycleStage, number>,
    stageChanges: 0,
    profilesUpdated: 0,
    campaigns: {},
  };

  let current = profiles;
  if (input.recompute) {
    const model = await resolveValueModel(() => fitValueModel(profiles, now), now, deps, report);
    const values = model ? scoreCustomerValue(model, profiles, now) : new Map<string, CustomerValue>();
    current = await rescoreAndWrite(profiles, scoreCustomerBase(profiles, now, deps.config.stages, values), values, now, deps, report);
  }
  for (const p of current) report.stages[p.stage]++;

  const due = dueCampaigns(input, deps.campaigns);
  for (const c of due) report.campaigns[c.id] = { eligible: 0, queued: 0, skipped: {} };
  // A paused campaign is left out of the choice (a lower-priority one may go instead); the
  // customers it would have reached are counted as skipped 'paused'.
  const paused: Campaign[] = [];
  for (const c of due) if (await deps.guardrail.pauseFor(c)) paused.push(c);
  await queueCampaigns(current, due, paused, now, deps, report);
  deps.logger.info('segmentation run', { customers: report.customers, stages: report.stages, stageChanges: report.stageChanges, campaigns: report.campaigns });
  return report;
}

/** The scheduled campaigns this run is for. */
export const dueCampaigns = (input: SegmentRunInput, campaigns: readonly Campaign[]) =>
  campaigns.filter((c) => c.enabled && c.trigger.type === 'schedule' && input.campaignIds.includes(c.id));

/**
 * Writes the changed customers' new scores (a customer an event changed meanwhile is rescored
 * from the fresh profile), records their stage changes, and returns the profiles as they now are.
 */
export async function rescoreAndWrite(
  profiles: readonly CustomerProfile[],
  scored: ReturnType<typeof scoreCustomerBase>,
  values: ReadonlyMap<string, CustomerValue>,
  now: string,
  deps: Pick<SegmentDeps, 'customers' | 'stageChanges' | 'config' | 'writeConcurrency'>,
  report: Pick<SegmentationReport, 'profilesUpdated' | 'stageChanges'>,
): Promise<CustomerProfile[]> {
  const changes: StageChange[] = [];
  const limit = pLimit(deps.writeConcurrency ?? 16);
  const current = await Promise.all(
    profiles.map((profile) =>
      limit(async () => {
        const update = scored.updates.get(profile.customerId);
        if (!update) return profile;
        if (update.stage && update.stage !== profile.stage) changes.push({ customerId: profile.customerId, from: profile.stage, to: update.stage, changedAt: now });
        report.profilesUpdated++;
        try {
          await deps.customers.updateFields(profile.customerId, profile.version, update);
          return { ...profile, ...update, version: profile.version + 1 };
        } catch (error) {
          if (!(error instanceof ProfileConflictError)) throw error;
          // An event changed the customer meanwhile: rescore from the fresh profile.
          const fresh = await deps.customers.modify(profile.customerId, (p) => {
            if (!p) return undefined;
            const again = rescoreCustomer(p, scored.rfm.get(p.customerId), now, deps.config.stages, values.get(p.customerId) ?? p.value);
            return again ? { ...p, ...again, version: p.version + 1 } : undefined;
          });
          return fresh ?? profile;
        }
      }),
    ),
  );
  await deps.stageChanges.record(changes);
  report.stageChanges += changes.length;
  return current;
}

/** Queues one send per customer for the highest-priority due campaign they are eligible for, counting why the others were not. */
export async function queueCampaigns(
  current: readonly CustomerProfile[],
  due: readonly Campaign[],
  paused: readonly Campaign[],
  now: string,
  deps: Pick<SegmentDeps, 'sendQueue' | 'config' | 'onDecision'>,
  report: Pick<SegmentationReport, 'campaigns'>,
): Promise<void> {
  const sendable = due.filter((c) => !paused.includes(c));
  if (!due.length) return;
  const requests: SendRequest[] = [];
  for (const profile of current) {
    const facts = customerFacts(profile, now);
    for (const c of paused) {
      const eligibility = checkEligibility(c, profile, facts, now, deps.config.frequency);
      deps.onDecision?.({ campaignId: c.id, customerId: profile.customerId, outcome: eligibility.eligible ? 'paused' : eligibility.reason });
      if (!eligibility.eligible) continue;
      const stats = report.campaigns[c.id]!;
      stats.skipped.paused = (stats.skipped.paused ?? 0) + 1;
    }
    const choice = chooseCampaign(sendable, profile, facts, now, deps.config.frequency);
    for (const s of choice.skipped) {
      const stats = report.campaigns[s.campaignId]!;
      stats.skipped[s.reason] = (stats.skipped[s.reason] ?? 0) + 1;
      if (s.reason === 'lower-priority') stats.eligible++;
      deps.onDecision?.({ campaignId: s.campaignId, customerId: profile.customerId, outcome: s.reason });
    }
    if (choice.chosen) {
      deps.onDecision?.({ campaignId: choice.chosen.id, customerId: profile.customerId, outcome: 'queued' });
      const stats = report.campaigns[choice.chosen.id]!;
      stats.eligible++;
      stats.queued++;
      const notBefore = releaseTime(choice.chosen.id, profile.timeZone, now, deps.config.quietHours);
      requests.push(buildSendRequest(choice.chosen, profile.customerId, now, 'schedule', notBefore, profile.timeZone));
    }
  }
  for (let i = 0; i < requests.length; i += 500) await deps.sendQueue.enqueue(requests.slice(i, i + 500));
}

/** Models are refitted weekly; in between, the stored parameters score the base every day. */
const REFIT_AFTER_DAYS = 7;

/**
 * The purchase and spend models to score with, refitting them (and storing the
 * parameters with the date) when the last fit is a week old or missing. A fit that did not
 * converge or is degenerate is recorded as rejected and never scores: the previous usable
 * fit does (or none), with a warning in the report.
 */
export async function resolveValueModel(
  fitNow: () => ValueModelFit,
  now: string,
  deps: Pick<SegmentDeps, 'modelRuns' | 'logger'>,
  report: Pick<SegmentationReport, 'models'>,
): Promise<ValueModel | undefined> {
  const lastBgNbd = await deps.modelRuns.latest('bgnbd');
  let model: ValueModel | undefined;
  let warning: string | undefined;
  if (lastBgNbd && daysBetween(lastBgNbd.fittedAt, now) < REFIT_AFTER_DAYS) {
    if (lastBgNbd.rejected) warning = `BG/NBD fit of ${lastBgNbd.fittedAt} not used: ${lastBgNbd.rejected}`;
    model = await usableStoredModel(deps.modelRuns);
  } else {
    const fit = fitNow();
    if (!fit.fitted && !fit.rejected) {
      report.models = { skipped: fit.reason };
      deps.logger.info('customer value models not fitted', { reason: fit.reason });
      return undefined;
    }
    const run = (f: { logLikelihood: number; iterations: number; converged: boolean; customers: number }) => ({ fittedAt: now, logLikelihood: f.logLikelihood, iterations: f.iterations, converged: f.converged, customers: f.customers });
    if (!fit.fitted) {
      const { bgnbd, problems } = fit.rejected!;
      await deps.modelRuns.record({ ...run(bgnbd), model: 'bgnbd', params: { r: bgnbd.r, alpha: bgnbd.alpha, a: bgnbd.a, b: bgnbd.b }, rejected: problems.join('; ') });
      warning = fit.reason;
      model = await usableStoredModel(deps.modelRuns);
    } else {
      model = fit.model;
      await deps.modelRuns.record({ ...run(fit.bgnbd), model: 'bgnbd', params: { ...fit.model.bgnbd } });
      if (fit.gammaGamma && fit.model.gammaGamma) await deps.modelRuns.record({ ...run(fit.gammaGamma), model: 'gamma-gamma', params: { ...fit.model.gammaGamma } });
      if (fit.rejectedGammaGamma) {
        const { fit: gg, problems } = fit.rejectedGammaGamma;
        await deps.modelRuns.record({ ...run(gg), model: 'gamma-gamma', params: { p: gg.p, q: gg.q, v: gg.v }, rejected: problems.join('; ') });
        warning = `Gamma-Gamma fit not used (CLV uses each customer's mean order value): ${problems.join('; ')}`;
      }
    }
  }
  if (warning) deps.logger.warn('customer value model fit not used', { warning, scoringWith: model?.fittedAt ?? 'none' });
  if (!model) {
    report.models = { skipped: `${warning ?? 'no usable fit'}; no earlier usable fit to score with`, ...(warning ? { warning } : {}) };
    return undefined;
  }
  const previous = model.fittedAt !== now ? `; scoring with the fit of ${model.fittedAt}` : '';
  report.models = { bgnbd: model.bgnbd, ...(model.gammaGamma ? { gammaGamma: model.gammaGamma } : {}), ...(warning ? { warning: `${warning}${previous}` } : {}) };
  return model;
}

/** The newest usable fits, as a model (the spend model only if fitted in the same run). */
async function usableStoredModel(runs: ModelRunStore): Promise<ValueModel | undefined> {
  const [bgnbd, gammaGamma] = await Promise.all([runs.latestUsable('bgnbd'), runs.latestUsable('gamma-gamma')]);
  if (!bgnbd) return undefined;
  const p = bgnbd.params;
  const g = gammaGamma?.fittedAt === bgnbd.fittedAt ? gammaGamma.params : undefined;
  return {
    bgnbd: { r: p.r!, alpha: p.alpha!, a: p.a!, b: p.b! },
    ...(g ? { gammaGamma: { p: g.p!, q: g.q!, v: g.v! } } : {}),
    fittedAt: bgnbd.fittedAt,
  };
}
