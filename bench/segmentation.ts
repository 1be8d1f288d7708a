/**
 * Segmentation against dynalite (the local DynamoDB): one pass over a synthetic table (scan,
 * score, write the changed profiles), and one segment of the two-phase path (summarise, merge,
 * score and write), then that segment's scoring in memory. 20,000 customers, not 100,000: dynalite
 * on this 2-core machine writes a few thousand items a second, and the bench must fit in 10 minutes.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { DynamoCustomerStore } from '#adapters/customer-store.ts';
import { ModelRunStore } from '#adapters/model-run-store.ts';
import { SegmentationRunStore } from '#adapters/segmentation-run-store.ts';
import { StageChangeLog } from '#adapters/stage-change-log.ts';
import type { Catalog } from '#domain/catalog.ts';
import { fitValueModelOn, scoreCustomerValue } from '#domain/customer-base-value.ts';
import { scoreCustomerBase } from '#domain/customer-base-scores.ts';
import { type CustomerProfile, newProfile } from '#domain/customer-profile.ts';
import { clvDistributionFromSummary, purchaseHistoriesOf, rfmThresholdsOf, summariseSegment } from '#domain/segment-statistics.ts';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient, startDynalite } from '#lib/local/dynamodb-local.ts';
import { localTableNames } from '#lib/tables.ts';
import { runSegmentation } from '../functions/segment/run-segmentation.ts';
import { mergeSegmentation, scoreSegmentTask, summariseSegmentTask } from '../functions/segment/two-phase-segmentation.ts';

export const SEGMENTATION_CUSTOMERS = 20_000;
const NOW = '2026-10-10T03:00:00.000Z';
const DAY = 86_400_000;

export function syntheticCustomers(n: number, prefix = 'c'): CustomerProfile[] {
  let seed = 42;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  return Array.from({ length: n }, (_, i) => {
    const orders = Math.floor(random() * 8);
    const first = Date.parse(NOW) - Math.floor(random() * 900) * DAY;
    const last = first + Math.floor(random() * ((Date.parse(NOW) - first) / DAY)) * DAY;
    const p = newProfile(`${prefix}${String(i).padStart(7, '0')}`, new Date(first).toISOString());
    return {
      ...p,
      email: `${p.customerId}@example.com`,
      consent: { ...p.consent, marketing: true },
      orderCount: orders,
      orderDays: orders,
      totalSpend: Math.round(orders * (15 + random() * 85) * 100) / 100,
      ...(orders ? { firstOrderAt: new Date(first).toISOString(), lastOrderAt: new Date(last).toISOString() } : {}),
    };
  });
}

const noQueue = { enqueue: async () => undefined };
const noPauses = { pauseFor: async () => undefined };

export async function benchSegmentation(catalog: Catalog, options: { customers: number }) {
  const dynamo = await startDynalite();
  try {
    const tables = localTableNames('bench');
    await createTables(localDynamoClient(dynamo.endpoint), tables);
    const db = createDocumentClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const seed = async (profiles: CustomerProfile[], table: string) => {
      for (let i = 0; i < profiles.length; i += 25) {
        await db.send(new BatchWriteCommand({ RequestItems: { [table]: profiles.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
      }
    };
    const customers = syntheticCustomers(options.customers);
    await seed(customers, tables.customers);
    const logger = new Logger({ serviceName: 'bench', logLevel: 'SILENT' });
    const store = new DynamoCustomerStore(db, tables.customers);
    const deps = {
      customers: store,
      stageChanges: new StageChangeLog(db, tables['stage-changes']),
      modelRuns: new ModelRunStore(db, tables['model-runs']),
      sendQueue: noQueue,
      campaigns: catalog.campaigns,
      config: catalog.config,
      clock: { now: () => NOW },
      logger,
      guardrail: noPauses,
    };
    // One pass over the whole table (what the segment function does below the single-pass limit).
    let t = performance.now();
    const report = await runSegmentation({ recompute: true, campaignIds: [] }, deps);
    const singleSeconds = (performance.now() - t) / 1000;

    // One segment of a two-phase run on a fresh copy of the same customers: 1 of 4 segments of the table.
    const fresh = syntheticCustomers(options.customers, 'd');
    await seed(fresh, tables.customers);
    const runs = new SegmentationRunStore(db, tables['model-runs']);
    const totalSegments = 8; // the table now holds both copies
    const segment = 0;
    const runId = 'bench';
    const all = Array.from({ length: totalSegments }, (_, s) => s);
    await Promise.all(all.map((s) => summariseSegmentTask({ runId, now: NOW, segment: s, totalSegments }, { customers: store, runs })));
    await mergeSegmentation({ runId, now: NOW, totalSegments, run: { recompute: true, campaignIds: [] } }, { ...deps, runs });
    const segmentProfiles: CustomerProfile[] = [];
    for await (const page of store.scanSegment(segment, totalSegments)) segmentProfiles.push(...page);
    t = performance.now();
    await summariseSegmentTask({ runId: 'bench-2', now: NOW, segment, totalSegments }, { customers: store, runs });
    await scoreSegmentTask({ runId, now: NOW, segment, totalSegments }, { ...deps, runs });
    const segmentSeconds = (performance.now() - t) / 1000;

    // The same segment's work without I/O: summarise, then score with the base's statistics.
    const whole = summariseSegment([...customers, ...fresh], NOW);
    const fit = fitValueModelOn(purchaseHistoriesOf(whole), NOW);
    const model = fit.fitted ? fit.model : undefined;
    const clv = model ? clvDistributionFromSummary(model, whole) : undefined;
    const rfm = rfmThresholdsOf(whole);
    t = performance.now();
    for (let round = 0; round < 5; round++) {
      summariseSegment(segmentProfiles, NOW);
      const values = model ? scoreCustomerValue(model, segmentProfiles, NOW, clv) : new Map();
      scoreCustomerBase(segmentProfiles, NOW, catalog.config.stages, values, rfm);
    }
    const memorySeconds = (performance.now() - t) / 1000 / 5;
    return {
      customers: options.customers,
      written: report.profilesUpdated,
      singlePass: { seconds: singleSeconds, perSecond: options.customers / singleSeconds },
      segment: { customers: segmentProfiles.length, seconds: segmentSeconds, perSecond: segmentProfiles.length / segmentSeconds, inMemoryPerSecond: segmentProfiles.length / memorySeconds },
    };
  } finally {
    await dynamo.stop();
  }
}
