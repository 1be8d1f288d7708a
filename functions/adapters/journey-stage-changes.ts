import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LifecycleStage } from '#domain/customer-profile.ts';
import type { Journey } from '#domain/journey.ts';
import type { JourneyQueue } from './journey-queue.ts';
import { type StageChange, StageChangeLog } from './stage-change-log.ts';

/** The stages some journey enters on or exits on: only changes into these concern the journeys. */
export function journeyStages(journeys: readonly Journey[]): Set<LifecycleStage> {
  const stages = new Set<LifecycleStage>();
  for (const j of journeys) {
    if (!j.enabled) continue;
    if ('stage' in j.entry) stages.add(j.entry.stage);
    for (const rule of j.exitWhen) if ('stage' in rule) for (const s of [rule.stage].flat()) stages.add(s);
  }
  return stages;
}

/**
 * The stage-change log that also tells the journeys: after the changes are recorded, each
 * change into a stage a journey cares about goes to the journey queue as a `stage-changed`
 * input. Ingest (an order moving someone to stable) and segmentation (time moving someone to
 * declining) both record through it, so neither needs to know about journeys.
 */
export class JourneyNotifyingStageChangeLog extends StageChangeLog {
  constructor(
    db: DynamoDBDocumentClient,
    tableName: string,
    private readonly journeyQueue: JourneyQueue,
    private readonly stages: ReadonlySet<LifecycleStage>,
  ) {
    super(db, tableName);
  }

  override async record(changes: readonly StageChange[]): Promise<void> {
    await super.record(changes);
    const relevant = changes.filter((c) => this.stages.has(c.to));
    if (relevant.length) await this.journeyQueue.enqueue(relevant.map((c) => ({ customerId: c.customerId, input: { kind: 'stage-changed', at: c.changedAt, stage: c.to } })));
  }
}
