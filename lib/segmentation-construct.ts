import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { CUSTOMERS_PER_SEGMENT } from '../functions/segment/two-phase-segmentation.ts';

/**
 * Customers one function scores and writes per second against DynamoDB, a conservative figure
 * below the one `npm run bench` measures for a segment (README, Performance and scale).
 */
export const SEGMENT_CUSTOMERS_PER_SECOND = 500;

/**
 * The largest table the single segment function takes on its own: a quarter of what it could
 * score in its timeout at SEGMENT_CUSTOMERS_PER_SECOND (the rest is head room for the scan, the
 * fit and a slow day). Above it the run fans out over scan segments.
 */
export const singlePassLimit = (timeout: Duration) => Math.floor((timeout.toSeconds() * SEGMENT_CUSTOMERS_PER_SECOND) / 4);

export interface SegmentationProps {
  /** The one-pass segment function (small tables). */
  readonly singlePass: lambda.IFunction;
  readonly singlePassTimeout: Duration;
  /** Made by the parent like every function (bundling, log group, the grants of lib/function-access.ts), with this environment added. */
  readonly createFunction: (name: 'segment-coordinator' | 'segment-worker', environment: Record<string, string>, sizing: { memorySize: number; timeout: Duration }) => NodejsFunction;
  /** A dead-letter queue with its depth alarm (the parent's, so every DLQ is watched alike). */
  readonly deadLetterQueue: (scope: Construct, id: string, holds: string) => sqs.Queue;
  readonly logRetention: logs.RetentionDays;
  /**
   * How many segments a phase runs at once: Distributed Map allows up to 10,000 children; DynamoDB
   * on-demand and Lambda's account concurrency are the real limits.
   * @default 100
   */
  readonly maxConcurrency?: number;
}

/**
 * The daily segmentation on Step Functions: plan (table size → segments), then a Distributed Map
 * over the parallel-scan segments summarising each, a merge step, a second Distributed Map scoring
 * each segment and queueing its sends, and a report step (functions/segment/two-phase-segmentation.ts).
 * A table at or below singlePassLimit goes to the one-pass segment function instead.
 */
export class DistributedSegmentation extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly coordinator: NodejsFunction;
  readonly worker: NodejsFunction;
  /** Failed, timed-out and aborted executions (their input, to start again). */
  readonly failedRuns: sqs.Queue;
  readonly singlePassLimit: number;

  constructor(scope: Construct, id: string, props: SegmentationProps) {
    super(scope, id);
    this.singlePassLimit = singlePassLimit(props.singlePassTimeout);
    this.coordinator = props.createFunction('segment-coordinator', { SINGLE_PASS_LIMIT: String(this.singlePassLimit) }, { memorySize: 3008, timeout: Duration.minutes(15) });
    // One segment (CUSTOMERS_PER_SEGMENT customers) takes about a minute; 15 minutes is the head room.
    this.worker = props.createFunction('segment-worker', {}, { memorySize: 1769, timeout: Duration.minutes(15) });

    const invoke = (stateId: string, fn: lambda.IFunction, payload: sfn.TaskInput, resultPath?: string) => {
      const task = new tasks.LambdaInvoke(this, stateId, {
        lambdaFunction: fn,
        payload,
        payloadResponseOnly: true,
        retryOnServiceExceptions: true,
        ...(resultPath ? { resultPath } : {}),
      });
      // A step that failed (a throttled table, a timeout) is run again: every step is safe to repeat
      // (writes are conditional or overwrite, sends are claimed in the ledger before SES).
      task.addRetry({ errors: ['States.TaskFailed', 'States.Timeout'], interval: Duration.seconds(20), maxAttempts: 3, backoffRate: 2 });
      return task;
    };
    const overSegments = (stateId: string, step: 'summarise' | 'score') =>
      new sfn.DistributedMap(this, stateId, {
        itemsPath: sfn.JsonPath.stringAt('$.segments'),
        itemSelector: {
          step,
          task: {
            runId: sfn.JsonPath.stringAt('$.runId'),
            now: sfn.JsonPath.stringAt('$.now'),
            segment: sfn.JsonPath.numberAt('$$.Map.Item.Value'),
            totalSegments: sfn.JsonPath.numberAt('$.totalSegments'),
          },
        },
        maxConcurrency: props.maxConcurrency ?? 100,
        // Every segment must be done: a merge or a report over part of the base would be wrong.
        toleratedFailurePercentage: 0,
        resultPath: sfn.JsonPath.DISCARD,
      }).itemProcessor(invoke(`${stateId}Segment`, this.worker, sfn.TaskInput.fromJsonPathAt('$')));

    const plan = invoke('Plan', this.coordinator, sfn.TaskInput.fromObject({ step: 'plan', run: sfn.JsonPath.objectAt('$'), runId: sfn.JsonPath.stringAt('$$.Execution.Name') }));
    const single = invoke('SinglePass', props.singlePass, sfn.TaskInput.fromJsonPathAt('$.run'));
    const merge = invoke('Merge', this.coordinator, sfn.TaskInput.fromObject({ step: 'merge', plan: sfn.JsonPath.objectAt('$') }), sfn.JsonPath.DISCARD);
    const report = invoke('Report', this.coordinator, sfn.TaskInput.fromObject({ step: 'report', plan: sfn.JsonPath.objectAt('$') }));
    const distributed = overSegments('Summarise', 'summarise').next(merge).next(overSegments('Score', 'score')).next(report);
    const definition = plan.next(new sfn.Choice(this, 'SmallTable').when(sfn.Condition.stringEquals('$.mode', 'single'), single).otherwise(distributed));

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(6),
    });
    Validations.of(this.stateMachine).acknowledge(
      { id: 'AwsSolutions-SF1', reason: 'Each step is a Lambda function that logs its own work to its log group; execution history keeps every state transition for 90 days. Execution logging would need logs:* on Resource "*".' },
      { id: 'AwsSolutions-SF2', reason: 'X-Ray tracing would need xray:* on Resource "*", which this stack grants nowhere; the Lambda steps are traced by their logs and metrics.' },
    );
    const stack = Stack.of(this);
    const arnOf = (fn: lambda.IFunction) => `<${stack.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*`;
    const execution = (suffix: string) => `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stack.getLogicalId(this.stateMachine.node.defaultChild as CfnElement)}"}]}]}${suffix}`;
    Validations.of(this.stateMachine.role).acknowledge(
      ...[this.coordinator, this.worker, props.singlePass].map((fn) => ({ id: `AwsSolutions-IAM5[Resource::${arnOf(fn)}]`, reason: 'Invoking this one function; the :* suffix (its versions and aliases) is what grantInvoke adds.' })),
    );
    Validations.of(this.stateMachine.node.findChild('DistributedMapPolicy')).acknowledge(
      ...[':*', '/*:*'].map((suffix) => ({ id: `AwsSolutions-IAM5[Resource::${execution(suffix)}]`, reason: "A Distributed Map runs its children as executions of this state machine: describe, stop and redrive them (CDK's grant for DistributedMap)." })),
    );

    // A run that failed after its retries: its input waits in a DLQ (with a depth alarm) to be started again.
    this.failedRuns = props.deadLetterQueue(this, 'FailedRuns', 'segmentation runs that failed, timed out or were aborted (start again with the same input)');
    const ruleDlq = props.deadLetterQueue(this, 'FailedRunRuleDlq', 'failed-run notices EventBridge could not put on the FailedRuns queue');
    new events.Rule(this, 'FailedRunRule', {
      description: 'Lifecycle Mailer: a segmentation run that did not succeed',
      eventPattern: { source: ['aws.states'], detailType: ['Step Functions Execution Status Change'], detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] } },
      targets: [new eventTargets.SqsQueue(this.failedRuns, { deadLetterQueue: ruleDlq })],
    });
  }

  /** What the parent raises an alarm on, besides the functions' errors and the DLQ depth. */
  alarmMetrics(): { id: string; description: string; metric: cloudwatch.IMetric }[] {
    return [
      { id: 'SegmentationFailedAlarm', description: 'A segmentation run failed: nobody was rescored or queued today. See the FailedRuns queue and the execution.', metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }) },
      { id: 'SegmentationTimedOutAlarm', description: 'A segmentation run timed out (6 hours).', metric: this.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }) },
    ];
  }
}

export { CUSTOMERS_PER_SEGMENT };
