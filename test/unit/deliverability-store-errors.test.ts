/** Error paths of the guardrail's DynamoDB writes, which dynalite cannot be made to produce on cue. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeliverabilityStore } from '#adapters/deliverability-store.ts';
import { DEFAULT_GUARDRAIL as DEFAULTS, judgeDay, PAUSE_LOG_MESSAGE, type PauseRecord, pausedRecord } from '#domain/deliverability-guardrail.ts';

// Single events are judged here (the minEvents floor is tested with the decisions).
const DEFAULT_GUARDRAIL = { ...DEFAULTS, minEvents: 1 };
import type { SesEventDetail } from '#domain/ses-events.ts';
import { judgeDeliverability } from '../../functions/engagement/judge-deliverability.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const failure = (name: string) => Object.assign(new Error(`${name} happened`), { name });
const TABLE = 'deliverability';
const day = '2026-10-05';
const store = () => new DeliverabilityStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE);
const logger = new Logger({ logLevel: 'SILENT' });

const complaint: Extract<SesEventDetail, { eventType: 'Complaint' }> = {
  eventType: 'Complaint',
  mail: { timestamp: `${day}T09:00:00.000Z`, messageId: 'm-1', destination: [], tags: { campaign: ['win-back'] } },
  complaint: { timestamp: `${day}T10:00:00.000Z` },
};

function activePause(scope: 'campaign#win-back' | 'all-marketing'): PauseRecord {
  const verdict = judgeDay(scope, day, { sends: 300, hardBounces: 0, softBounces: 0, suppressedBounces: 0, complaints: 1 }, DEFAULT_GUARDRAIL);
  if (!verdict.pause) throw new Error('expected a pause');
  return pausedRecord(undefined, scope, day, verdict, `${day}T10:00:00.000Z`);
}

describe('DeliverabilityStore error paths', () => {
  beforeEach(() => ddb.reset());

  it('a pause write that lost a race returns false instead of throwing; other failures throw', async () => {
    ddb.on(PutCommand).rejects(failure('ConditionalCheckFailedException'));
    expect(await store().putPause(activePause('all-marketing'))).toBe(false);
    ddb.on(PutCommand).rejects(failure('ProvisionedThroughputExceededException'));
    await expect(store().putPause(activePause('all-marketing'))).rejects.toThrow(/ProvisionedThroughputExceeded/);
  });

  it('an SES event counted before adds nothing to the counters', async () => {
    ddb.on(PutCommand).rejects(failure('ConditionalCheckFailedException'));
    expect(await store().countOutcome({ messageId: 'm-1', eventType: 'Complaint', outcome: 'complaint', campaignId: 'win-back', day }, `${day}T10:00:00.000Z`)).toBe(false);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('a stored item that does not parse is an error naming the record, not a silent default', async () => {
    ddb.on(GetCommand).resolves({ Item: { id: 'pause#all-marketing', status: 'paused?' } });
    await expect(store().getPause('all-marketing')).rejects.toThrow(/pause record pause#all-marketing/);
  });
});

describe('judgeDeliverability when another evaluation wins the race', () => {
  beforeEach(() => ddb.reset());

  it('re-reads after a conflicting write and does not pause twice', async () => {
    ddb.on(PutCommand, { Item: { id: 'event#m-1#Complaint' } as Record<string, unknown> }).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ddb.on(GetCommand).resolves({ Item: { sends: 300, complaints: 1, 'campaign#win-back#sends': 300, 'campaign#win-back#complaints': 1 } });
    // First read: nothing paused. The write then finds that someone paused both meanwhile.
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [] } })
      .resolves({ Responses: { [TABLE]: [{ id: 'pause#campaign#win-back', ...activePause('campaign#win-back') }, { id: 'pause#all-marketing', ...activePause('all-marketing') }] } });
    ddb.on(PutCommand, { ConditionExpression: 'attribute_not_exists(id)', Item: { id: 'pause#campaign#win-back' } as Record<string, unknown> }).rejects(failure('ConditionalCheckFailedException'));
    ddb.on(PutCommand, { ConditionExpression: 'attribute_not_exists(id)', Item: { id: 'pause#all-marketing' } as Record<string, unknown> }).rejects(failure('ConditionalCheckFailedException'));

    const started = await judgeDeliverability(complaint, { deliverability: store(), config: { guardrail: DEFAULT_GUARDRAIL }, logger }, `${day}T10:00:00.000Z`);
    expect(started).toEqual([]);
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(2);
    const pauseWrites = ddb.commandCalls(PutCommand).filter((c) => String(c.args[0].input.Item?.id).startsWith('pause#'));
    expect(pauseWrites).toHaveLength(2); // one attempt per scope, none after the re-read
  });
});

describe('the log line the pause alarm counts', () => {
  beforeEach(() => ddb.reset());
  afterEach(() => vi.restoreAllMocks());

  it('a new pause writes one JSON line per scope whose message is what the metric filter matches', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ddb.on(GetCommand).resolves({ Item: { sends: 300, complaints: 1, 'campaign#win-back#sends': 300, 'campaign#win-back#complaints': 1 } });
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
    const written: string[] = [];
    const capture = (chunk: string | Uint8Array) => (written.push(String(chunk)), true);
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    const started = await judgeDeliverability(complaint, { deliverability: store(), config: { guardrail: DEFAULT_GUARDRAIL }, logger: new Logger({ serviceName: 'lifecycle-mailer', logLevel: 'WARN' }) }, `${day}T10:00:00.000Z`);
    vi.restoreAllMocks();
    expect(started.map((p) => p.scope)).toEqual(['campaign#win-back', 'all-marketing']);
    // CloudWatch's `{ $.message = "..." }` pattern: the field must be `message`, the text exact.
    const lines = written.flatMap((w) => w.split('\n')).filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
    const pauses = lines.filter((l) => l.message === PAUSE_LOG_MESSAGE);
    expect(pauses.map((l) => [l.level, l.scope])).toEqual([['WARN', 'campaign#win-back'], ['WARN', 'all-marketing']]);
  });
});
