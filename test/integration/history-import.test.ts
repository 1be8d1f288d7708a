import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import { runJob } from '#cli/run/run-job.ts';
import type { RunSummary } from '#cli/run/run-summary.ts';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { DynamoCustomerStore } from '#adapters/customer-store.ts';
import { SendLedger } from '#adapters/send-ledger.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#lib/local/dynamodb-local.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;

interface Outcome {
  summary: RunSummary;
  profiles: CustomerProfile[];
  ledger: { sendId: string; status: string }[];
  queued: string[];
  stageChanges: unknown[];
  idempotencyKeys: string[];
  /** The engagement function's records, by status (their keys name the stand-in's message ids). */
  engagementRecords: Record<string, number>;
  links: string[];
}

async function scanAll(db: DynamoDBDocumentClient, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * The whole demo replay on 150 customers, then read back from the dynalite server: as AWS runs it
 * (each event's own read-modify-write, every call a round trip to the table), or as the local
 * runtime does by default (the history buffered, reads of items just read or written answered from
 * memory, the engagement function's idempotency records written behind at each day's end, the
 * busiest tables held in process and written behind).
 */
async function replayWith(historyImport: 'buffered' | 'per-event'): Promise<Outcome> {
  const reads = historyImport === 'buffered' ? 'cached' : 'table';
  const writes = historyImport === 'buffered' ? 'behind' : 'table';
  const catalog = await buildCatalog(projectPaths(repoRoot));
  const dataDir = mkdtempSync(join(tmpdir(), `lm-import-${historyImport}-`));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    // serve keeps the runtime up to read it back; the sends are still paced in simulated seconds.
    const { summary, runtime } = await runJob({ catalog, dataDir, customers: 150, seed: 'import-check', quiet: true, serve: true, realtime: false, serveUnsubscribe: false, historyImport, reads, writes });
    // What the server's tables hold, once everything kept in memory is written behind.
    await runtime!.writeBehind();
    const server = createDocumentClient({ endpoint: runtime!.services.dynamodb.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    try {
      const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      const profiles: CustomerProfile[] = [];
      for await (const page of new DynamoCustomerStore(server, runtime!.tables.customers).scanSegment(0, 1)) profiles.push(...page);
      profiles.sort((a, b) => byKey(a.customerId, b.customerId));
      // The SES stand-in makes up its message ids: an engagement event's key names one, the rest of it is the run's.
      for (const p of profiles) p.recentEventKeys = p.recentEventKeys.map((k) => k.replace(/^ses:[^:]+:/, 'ses:(message):'));
      const ledger: { sendId: string; status: string }[] = [];
      for await (const e of new SendLedger(server, runtime!.tables['send-ledger']).all()) ledger.push({ sendId: e.sendId, status: e.status });
      ledger.sort((a, b) => byKey(a.sendId, b.sendId));
      const stageChanges = (await scanAll(server, runtime!.tables['stage-changes'])).sort((a, b) => byKey(`${String(a.customerId)}|${String(a.changedAt)}`, `${String(b.customerId)}|${String(b.changedAt)}`));
      // The shop events' records (the engagement function's are keyed by the stand-in's message ids).
      const records = await scanAll(server, runtime!.tables.idempotency);
      const idempotencyKeys = records.map((r) => `${String(r.id)} ${String(r.status)}`).filter((k) => k.startsWith('ingest#')).sort();
      const engagementRecords: Record<string, number> = {};
      for (const r of records) if (String(r.id).startsWith('engagement#')) engagementRecords[String(r.status)] = (engagementRecords[String(r.status)] ?? 0) + 1;
      // The storefront ids' links (the addresses' items are hashed under each data dir's own salt).
      const links = (await scanAll(server, runtime!.tables.identities)).filter((i) => String(i.id).startsWith('source#')).map((i) => `${String(i.id)} → ${String(i.customerId)} (${String(i.reason)}, ${String(i.linkedAt)})`).sort();
      return { summary, profiles, ledger, queued: [...runtime!.sendQueue.enqueuedSendIds].sort(), stageChanges, idempotencyKeys, engagementRecords, links };
    } finally {
      server.destroy();
      await runtime!.stop();
    }
  } finally {
    stderr.mockRestore();
  }
}

describe('the buffered history import, the read cache and the held tables decide as per-event round trips do', () => {
  let buffered: Outcome;
  let perEvent: Outcome;

  beforeAll(async () => {
    perEvent = await replayWith('per-event');
    buffered = await replayWith('buffered');
  }, 600_000);

  it('leaves the same profiles: stages, scores, loyalty, version and the events they hold', () => {
    expect(buffered.profiles.length).toBe(150);
    expect(buffered.profiles.filter((p) => p.stage !== 'prospect').length).toBeGreaterThan(50);
    expect(buffered.profiles).toEqual(perEvent.profiles);
  });

  it('queues and sends the same send ids, and the ledger ends the same', () => {
    expect(buffered.queued.length).toBeGreaterThan(50);
    expect(buffered.queued).toEqual(perEvent.queued);
    expect(buffered.ledger).toEqual(perEvent.ledger);
    expect(buffered.summary.guarantees.sent).toBe(perEvent.summary.guarantees.sent);
  });

  it('records the same stage changes and idempotency records, and sums up the same', () => {
    expect(buffered.stageChanges.length).toBeGreaterThan(0);
    expect(buffered.stageChanges).toEqual(perEvent.stageChanges);
    expect(buffered.idempotencyKeys.length).toBeGreaterThan(buffered.profiles.length);
    expect(buffered.idempotencyKeys).toEqual(perEvent.idempotencyKeys);
    expect(buffered.engagementRecords.COMPLETED).toBeGreaterThan(50);
    expect(buffered.engagementRecords).toEqual(perEvent.engagementRecords);
    expect(buffered.summary.campaigns).toEqual(perEvent.summary.campaigns);
    expect(buffered.summary.stages).toEqual(perEvent.summary.stages);
  });

  it('links the same storefront ids to the same profiles', () => {
    expect(buffered.links.length).toBe(150);
    expect(buffered.links).toEqual(perEvent.links);
  });
});
