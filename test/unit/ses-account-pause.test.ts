/** The all-marketing pause an SES account-level refusal writes: its DynamoDB writes and races (aws-sdk-client-mock). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DeliverabilityStore } from '#adapters/deliverability-store.ts';
import { PauseGate } from '#adapters/pause-gate.ts';
import type { Clock } from '#domain/clock.ts';
import { ALL_MARKETING, DEFAULT_GUARDRAIL, type PauseRecord, sesAccountPause } from '#domain/deliverability-guardrail.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLE = 'deliverability';
const now = '2026-10-05T10:00:00.000Z';
const refusal = { sesError: 'AccountSuspendedException', message: 'AccountSuspendedException: Your account is suspended.' };
const gate = (enabled = true) =>
  new PauseGate(new DeliverabilityStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE), ({ now: () => now } satisfies Clock), { ...DEFAULT_GUARDRAIL, enabled });
const marketing = { id: 'win-back', kind: 'marketing' as const };
const stored = (record: PauseRecord) => ({ Responses: { [TABLE]: [{ id: `pause#${record.scope}`, ...record }] } });

describe('sesAccountPause (pure)', () => {
  it('pauses all marketing on the error alone, keeping an earlier resumed pause in the history', () => {
    const first = sesAccountPause(undefined, refusal, now)!;
    expect(first).toMatchObject({ scope: ALL_MARKETING, status: 'active', cause: 'ses-account', day: '2026-10-05', version: 1, history: [] });
    expect(first.reason).toContain('AccountSuspendedException: Your account is suspended.');
    const resumed = { ...first, status: 'resumed' as const, resumedAt: now, rearmsAfter: '2026-10-05', version: 2 };
    const again = sesAccountPause(resumed, refusal, now)!;
    expect(again).toMatchObject({ status: 'active', version: 3 }); // a resume the same day does not stop it: the account still refuses
    expect(again.history).toHaveLength(1);
    expect(sesAccountPause(first, refusal, now)).toBeUndefined(); // paused already
  });
});

describe('PauseGate.pauseAllMarketing', () => {
  beforeEach(() => ddb.reset());

  it('writes the pause only if none is stored, and holds this instance at once', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
    ddb.on(PutCommand).resolves({});
    const g = gate();
    const started = await g.pauseAllMarketing(refusal);
    expect(started).toMatchObject({ scope: ALL_MARKETING, cause: 'ses-account', version: 1 });
    const put = ddb.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ TableName: TABLE, Item: { id: 'pause#all-marketing', status: 'active' }, ConditionExpression: 'attribute_not_exists(id)' });
    expect(await g.pauseFor(marketing)).toMatchObject({ cause: 'ses-account' });
    // The cache took the new record: the next read asks for the campaign's own record only.
    expect(ddb.commandCalls(BatchGetCommand)[1]!.args[0].input.RequestItems?.[TABLE]?.Keys).toEqual([{ id: 'pause#campaign#win-back' }]);
  });

  it('lost a race to another instance: reads again and finds the pause, writes nothing more', async () => {
    const other = sesAccountPause(undefined, refusal, now)!;
    ddb.on(BatchGetCommand).resolvesOnce({ Responses: { [TABLE]: [] } }).resolves(stored(other));
    ddb.on(PutCommand).rejects(Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' }));
    expect(await gate().pauseAllMarketing(refusal)).toBeUndefined();
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(2);
  });

  it('a DynamoDB failure surfaces (the send path logs it and still retries the send)', async () => {
    ddb.on(BatchGetCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(gate().pauseAllMarketing(refusal)).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
  });

  it('with the guardrail off nothing is stored', async () => {
    expect(await gate(false).pauseAllMarketing(refusal)).toBeUndefined();
    expect(ddb.calls()).toHaveLength(0);
  });
});
