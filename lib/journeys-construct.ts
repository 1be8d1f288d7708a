import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueRoute } from './routes.ts';

/** The schedule group every journey wait is created in; the journey function may touch no other. */
export const JOURNEY_SCHEDULE_GROUP = 'journey-waits';

/**
 * What the journey function is told about its waits. It creates each one-time schedule
 * itself (CreateSchedule names the group, the target queue, the role and the DLQ).
 */
export const JOURNEY_ENVIRONMENT = {
  scheduleGroup: 'JOURNEY_SCHEDULE_GROUP',
  schedulerRoleArn: 'JOURNEY_SCHEDULER_ROLE_ARN',
  queueArn: 'JOURNEY_QUEUE_ARN',
  wakeDeadLetterQueueArn: 'JOURNEY_WAKE_DLQ_ARN',
} as const;

export interface JourneysProps {
  /** The journey queue's route (lib/routes.ts QUEUE_ROUTES, target `journey`). */
  readonly route: QueueRoute;
  /** A dead-letter queue with its depth alarm, made by the parent so every DLQ is watched alike. */
  readonly deadLetterQueue: (scope: Construct, id: string, holds: string) => sqs.Queue;
  /**
   * The journey function, made by the parent like every other function (bundling, log group,
   * the tables and grants of lib/function-access.ts) with this environment added.
   */
  readonly createFunction: (environment: Record<string, string>, timeout: Duration, queue: sqs.Queue) => NodejsFunction;
  /** @default JOURNEY_SCHEDULE_GROUP */
  readonly scheduleGroupName?: string;
}

/**
 * Journeys on AWS: the queue the journey function reads, the Scheduler schedule group its
 * waits live in, and the role Scheduler uses to deliver a wake-up. A wait is one one-time
 * schedule (deleted after it fires), so a waiting entry costs nothing until it wakes.
 */
export class Journeys extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** Where Scheduler puts wake-ups it could not deliver to the queue. */
  readonly wakeDeadLetterQueue: sqs.Queue;
  readonly scheduleGroup: scheduler.ScheduleGroup;
  /** Assumed by Scheduler to deliver wake-ups: may send to the journey queue (and its own DLQ) only. */
  readonly schedulerRole: iam.Role;
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: JourneysProps) {
    super(scope, id);
    const { route } = props;
    const stack = Stack.of(this);
    const groupName = props.scheduleGroupName ?? JOURNEY_SCHEDULE_GROUP;

    this.deadLetterQueue = props.deadLetterQueue(this, `${route.id}Dlq`, `journey messages that failed ${route.maxReceiveCount} times`);
    this.queue = new sqs.Queue(this, route.id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(route.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: route.maxReceiveCount },
    });
    this.wakeDeadLetterQueue = props.deadLetterQueue(this, 'JourneyWakeDlq', 'journey wake-ups Scheduler could not deliver to the journey queue');

    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'WaitScheduleGroup', {
      scheduleGroupName: groupName,
      // Its schedules can only deliver to this stack's queue with this stack's role, and a retained
      // group's fixed name would block the next deploy. Each wait's time stays in journey-entries.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'Lets EventBridge Scheduler deliver journey wake-ups to the journey queue (and nothing else).',
      // Only schedules of this account's journey group may use the role (confused-deputy guard).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: groupName }) },
        },
      }),
    });
    // Scheduler delivers failed wake-ups to the DLQ with this same role, so it needs that one queue too.
    for (const queue of [this.queue, this.wakeDeadLetterQueue]) {
      this.schedulerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    }

    this.function = props.createFunction(
      {
        [JOURNEY_ENVIRONMENT.scheduleGroup]: this.scheduleGroup.scheduleGroupName,
        [JOURNEY_ENVIRONMENT.schedulerRoleArn]: this.schedulerRole.roleArn,
        [JOURNEY_ENVIRONMENT.queueArn]: this.queue.queueArn,
        [JOURNEY_ENVIRONMENT.wakeDeadLetterQueueArn]: this.wakeDeadLetterQueue.queueArn,
      },
      // A sixth of the visibility timeout, as AWS recommends for SQS consumers.
      Duration.seconds(Math.max(10, Math.floor(route.visibilityTimeoutSeconds / 6))),
      this.queue,
    );

    const scheduleArn = stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${groupName}/*` });
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'], resources: [scheduleArn] }));
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    Validations.of(this.function.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${groupName}/*]`,
      reason: `Each wait is a schedule named at run time (customer, journey, entry), so the function creates and deletes schedules in the ${groupName} group only, not one known name.`,
    });

    this.function.addEventSource(new SqsEventSource(this.queue, { batchSize: route.batchSize, reportBatchItemFailures: true }));
  }
}
