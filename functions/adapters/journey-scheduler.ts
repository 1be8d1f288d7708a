import { createHash } from 'node:crypto';
import { CreateScheduleCommand, DeleteScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { JourneyMessage, JourneyQueue } from './journey-queue.ts';

/**
 * Wakes journey entries: one one-time schedule per wait, which delivers its message to the
 * journey queue at its time and then deletes itself. Nothing runs while an entry waits.
 */
export interface JourneyScheduler {
  /** Idempotent: scheduling the same name again changes nothing. */
  schedule(name: string, at: string, message: JourneyMessage): Promise<void>;
  /** Idempotent: a schedule already fired or deleted is fine (a late wake-up is ignored by the engine anyway). */
  cancel(name: string): Promise<void>;
}

/** A Scheduler-safe name (≤ 64 of [0-9A-Za-z-_.]) derived from the entry and the step it waits at. */
export function wakeName(customerId: string, entryId: string, step: string): string {
  return `jw-${createHash('sha256').update(`${customerId}\u0000${entryId}\u0000${step}`).digest('hex').slice(0, 48)}`;
}

export interface SchedulerTarget {
  groupName: string;
  /** The journey queue's ARN, and the role Scheduler assumes to send to it. */
  queueArn: string;
  roleArn: string;
  /** Where Scheduler puts a wake-up it could not deliver after its retries (watched like every DLQ). */
  deadLetterArn: string;
}

/** Closer than this, Scheduler's minute granularity would only delay: the message goes to the queue at once. */
const NOW_SLACK_MS = 60_000;

/** EventBridge Scheduler: `at(...)` in UTC, ActionAfterCompletion DELETE, target the journey queue. */
export class AwsJourneyScheduler implements JourneyScheduler {
  constructor(
    private readonly scheduler: SchedulerClient,
    private readonly target: SchedulerTarget,
    /** Wake-ups due now go straight to the queue. */
    private readonly queue: JourneyQueue,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async schedule(name: string, at: string, message: JourneyMessage): Promise<void> {
    if (Date.parse(at) - this.now().getTime() < NOW_SLACK_MS) return this.queue.enqueue([message]);
    try {
      await this.scheduler.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.target.groupName,
          // Rounded up to the second: never before the engine's wakeAt (an early wake is ignored).
          ScheduleExpression: `at(${new Date(Math.ceil(Date.parse(at) / 1000) * 1000).toISOString().slice(0, 19)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: { Arn: this.target.queueArn, RoleArn: this.target.roleArn, Input: JSON.stringify(message), RetryPolicy: { MaximumRetryAttempts: 10 }, DeadLetterConfig: { Arn: this.target.deadLetterArn } },
        }),
      );
    } catch (error) {
      // A retried input creates the same schedule again: it exists already, which is what we want.
      if (error instanceof Error && error.name === 'ConflictException') return;
      throw error;
    }
  }

  async cancel(name: string): Promise<void> {
    try {
      await this.scheduler.send(new DeleteScheduleCommand({ Name: name, GroupName: this.target.groupName }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return;
      throw error;
    }
  }
}
