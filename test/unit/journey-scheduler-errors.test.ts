/** Error paths of the journey wake-ups on EventBridge Scheduler, which has no local stand-in. */
import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { JourneyMessage } from '#adapters/journey-queue.ts';
import { AwsJourneyScheduler, wakeName } from '#adapters/journey-scheduler.ts';

const scheduler = mockClient(SchedulerClient);
const failure = (name: string) => Object.assign(new Error(`${name} happened`), { name });
const target = { groupName: 'journey-waits', queueArn: 'arn:aws:sqs:us-east-1:1:journey', roleArn: 'arn:aws:iam::1:role/scheduler', deadLetterArn: 'arn:aws:sqs:us-east-1:1:wake-dlq' };
const now = new Date('2026-11-02T10:00:00.000Z');
const message: JourneyMessage = { customerId: 'c-1', journeyId: 'welcome-series', input: { kind: 'woken', at: '2026-11-05T10:00:00.000Z', step: 'steps[1]' } };
const queued: JourneyMessage[][] = [];
const make = () => new AwsJourneyScheduler(new SchedulerClient({ region: 'us-east-1' }), target, { enqueue: async (m) => void queued.push([...m]) }, () => now);

afterEach(() => {
  scheduler.reset();
  queued.length = 0;
});

describe('AwsJourneyScheduler', () => {
  it('a schedule that exists already (a retried input) is what was wanted: no error', async () => {
    scheduler.on(CreateScheduleCommand).rejects(failure('ConflictException'));
    await expect(make().schedule('jw-1', message.input.at, message)).resolves.toBeUndefined();
    const sent = scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input;
    // One-time, deleted after it fires, and a wake-up it cannot deliver lands in the watched DLQ.
    expect(sent.ScheduleExpression).toBe('at(2026-11-05T10:00:00)');
    expect(sent.ActionAfterCompletion).toBe('DELETE');
    expect(sent.Target?.DeadLetterConfig).toEqual({ Arn: target.deadLetterArn });
    expect(JSON.parse(sent.Target!.Input!)).toEqual(message);
  });

  it('any other refusal is thrown, so the input is retried', async () => {
    scheduler.on(CreateScheduleCommand).rejects(failure('ThrottlingException'));
    await expect(make().schedule('jw-1', message.input.at, message)).rejects.toThrow('ThrottlingException happened');
  });

  it('a wake-up due within the minute goes straight to the queue, not to Scheduler', async () => {
    await make().schedule('jw-1', '2026-11-02T10:00:30.000Z', message);
    expect(scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(0);
    expect(queued).toEqual([[message]]);
  });

  it('cancelling a schedule already fired or deleted is fine; other errors are thrown', async () => {
    scheduler.on(DeleteScheduleCommand).rejectsOnce(failure('ResourceNotFoundException')).rejectsOnce(failure('AccessDeniedException'));
    await expect(make().cancel('jw-1')).resolves.toBeUndefined();
    await expect(make().cancel('jw-1')).rejects.toThrow('AccessDeniedException');
  });

  it('names are Scheduler-safe and stable per entry and step', () => {
    const name = wakeName('c-1', 'e-1', 'steps[1]');
    expect(name).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
    expect(wakeName('c-1', 'e-1', 'steps[1]')).toBe(name);
    expect(wakeName('c-1', 'e-1', 'steps[2]')).not.toBe(name);
  });
});
