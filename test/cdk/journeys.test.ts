import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { FUNCTION_ACCESS } from '#lib/function-access.ts';
import { JOURNEY_ENVIRONMENT, JOURNEY_SCHEDULE_GROUP } from '#lib/journeys-construct.ts';
import { LifecycleMailerStack } from '#lib/lifecycle-mailer-stack.ts';
import { EVENT_ROUTES, QUEUE_ROUTES } from '#lib/routes.ts';
import { TABLES } from '#lib/tables.ts';

/**
 * Journeys on AWS: the journey-entries table, the journey queue and its DLQ, the wait schedule
 * group, the role Scheduler delivers wake-ups with, and the journey function's exact rights.
 * Bundling is skipped: these read the template, not the code (the stack test bundles).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

let stack: LifecycleMailerStack;
let template: Template;
let resourcesById: Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;

const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const ref = (c: IConstruct) => ({ Ref: logicalId(c) });
const arnOf = (c: IConstruct) => ({ 'Fn::GetAtt': [logicalId(c), 'Arn'] });
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** Statements of every inline policy attached to a role. */
function statementsOf(role: IConstruct): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([ref(role)]) } });
  return Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

/** A statement as `action on <logical id or rendered ARN>`, one line per action and resource. */
function grantsOf(role: IConstruct): string[] {
  const name = (r: unknown) => {
    const getAtt = (r as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (getAtt) return getAtt[0];
    const join = (r as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map((p) => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join('');
    return JSON.stringify(r);
  };
  return statementsOf(role)
    .flatMap((s) => list(s.Action).flatMap((a) => list(s.Resource).map((r) => `${a} on ${name(r)}${s.Condition ? ` if ${JSON.stringify(s.Condition)}` : ''}`)))
    .sort();
}

beforeAll(async () => {
  const catalog = await buildCatalog(projectPaths(root));
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new LifecycleMailerStack(app, 'JourneysTest', { catalog });
  template = Template.fromStack(stack);
  resourcesById = template.toJSON().Resources;
}, 120_000);

const journeys = () => stack.mailer.journeys;
const fn = () => stack.mailer.functions.journey;
const SCHEDULE_ARN = 'arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/journey-waits/*';

describe('journey-entries table', () => {
  it('is keyed by customer and journey, on-demand, PITR, encrypted, retained (customer data)', () => {
    const def = TABLES.find((t) => t.name === 'journey-entries');
    expect(def).toMatchObject({ partitionKey: 'customerId', sortKey: 'journeyId', holdsCustomerData: true });
    const table = resourcesById[logicalId(stack.mailer.tables['journey-entries'])]!;
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'customerId', KeyType: 'HASH' },
        { AttributeName: 'journeyId', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'customerId', AttributeType: 'S' },
        { AttributeName: 'journeyId', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });
});

describe('journey queue', () => {
  const route = QUEUE_ROUTES.find((r) => r.target === 'journey')!;

  it('is encrypted, has the route visibility timeout, and dead-letters after maxReceiveCount', () => {
    expect(route).toBeDefined();
    expect(resourcesById[logicalId(journeys().queue)]!.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: route.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: arnOf(journeys().deadLetterQueue), maxReceiveCount: route.maxReceiveCount },
    });
    expect(resourcesById[logicalId(journeys().deadLetterQueue)]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
  });

  it.each(['queue', 'deadLetterQueue', 'wakeDeadLetterQueue'] as const)('%s refuses requests without TLS', (which) => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(journeys()[which])],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it.each(['deadLetterQueue', 'wakeDeadLetterQueue'] as const)('%s alarms to the alarm topic as soon as it holds a message', (which) => {
    const dlq = journeys()[which];
    expect(stack.mailer.deadLetterQueues).toContain(dlq);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq), 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [ref(stack.mailer.alarmTopic)],
    });
  });

  it('feeds the journey function, with partial batch responses and the route batch size', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { EventSourceArn: arnOf(journeys().queue) } }));
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toMatchObject({ FunctionName: ref(fn()), FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: route.batchSize });
  });

  it('the journey function times out within a sixth of the visibility timeout', () => {
    const timeout = resourcesById[logicalId(fn())]!.Properties.Timeout as number;
    expect(timeout * 6).toBeLessThanOrEqual(route.visibilityTimeoutSeconds);
  });
});

describe('EventBridge Scheduler for journey waits', () => {
  it('has the journey-waits schedule group and no fixed journey schedule', () => {
    expect(JOURNEY_SCHEDULE_GROUP).toBe('journey-waits');
    const groups = Object.values(template.findResources('AWS::Scheduler::ScheduleGroup'));
    expect(groups.map((g) => g.Properties)).toEqual([{ Name: 'journey-waits' }]);
    // Waits are created at run time; the stack's own schedules are segmentation and campaigns.
    for (const s of Object.values(template.findResources('AWS::Scheduler::Schedule'))) expect(s.Properties.GroupName).toBeUndefined();
  });

  it('the Scheduler role is assumed by Scheduler for this account and group only', () => {
    const role = resourcesById[logicalId(journeys().schedulerRole)]!;
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':schedule-group/journey-waits']] } },
          },
        },
      ],
    });
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('the Scheduler role may only send to the journey queue (and its own DLQ, which Scheduler writes with the same role)', () => {
    expect(grantsOf(journeys().schedulerRole)).toEqual(
      [`sqs:SendMessage on ${logicalId(journeys().queue)}`, `sqs:SendMessage on ${logicalId(journeys().wakeDeadLetterQueue)}`].sort(),
    );
    expect(logicalId(journeys().schedulerRole)).not.toBe(logicalId(stack.mailer.node.findChild('SchedulerRole')));
  });
});

describe('the journey function', () => {
  it('has exactly these rights: its tables per FUNCTION_ACCESS, the send queue, its waits, the role to pass, its logs and queues', () => {
    const id = logicalId;
    const t = stack.mailer.tables;
    const passRole = `iam:PassRole on ${id(journeys().schedulerRole)} if ${JSON.stringify({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } })}`;
    const asyncFailures = statementsOf(fn().role!)
      .flatMap((s) => list(s.Resource))
      .map((r) => (r as { 'Fn::GetAtt'?: [string] })['Fn::GetAtt']?.[0])
      .find((r) => r?.includes('JourneyAsyncFailures'));
    expect(asyncFailures).toBeDefined();
    expect(grantsOf(fn().role!)).toEqual(
      [
        `dynamodb:Query on ${id(t['journey-entries'])}`,
        `dynamodb:PutItem on ${id(t['journey-entries'])}`,
        `dynamodb:GetItem on ${id(t.customers)}`,
        `dynamodb:PutItem on ${id(t['failed-events'])}`,
        // A storefront id's profile and erased addresses (one customer across storefronts), with the salt of the address hashes.
        `dynamodb:GetItem on ${id(t.identities)} if ${JSON.stringify({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['source#*', 'erased#*'] } })}`,
        ...['DescribeSecret', 'GetSecretValue'].map((a) => `secretsmanager:${a} on ${JSON.stringify({ Ref: id(stack.mailer.privacySalt) })}`),
        ...['SendMessage', 'GetQueueAttributes', 'GetQueueUrl'].map((a) => `sqs:${a} on ${id(stack.mailer.sendQueue)}`),
        // Wake-ups due within the minute go straight to the journey queue.
        ...['SendMessage', 'GetQueueAttributes', 'GetQueueUrl'].map((a) => `sqs:${a} on ${id(journeys().queue)}`),
        `scheduler:CreateSchedule on ${SCHEDULE_ARN}`,
        `scheduler:DeleteSchedule on ${SCHEDULE_ARN}`,
        passRole,
        // The event source mapping reads the journey queue with the function's role.
        ...['ReceiveMessage', 'ChangeMessageVisibility', 'GetQueueUrl', 'DeleteMessage', 'GetQueueAttributes'].map((a) => `sqs:${a} on ${id(journeys().queue)}`),
        // Async invocations (EventBridge rules) that fail after retries.
        ...['SendMessage', 'GetQueueAttributes', 'GetQueueUrl'].map((a) => `sqs:${a} on ${asyncFailures}`),
        ...['CreateLogStream', 'PutLogEvents'].map((a) => `logs:${a} on ${id(fn().logGroup)}`),
      ].sort(),
    );
  });

  it('its DynamoDB grants are the journey entry in lib/function-access.ts', () => {
    expect(FUNCTION_ACCESS.journey).toEqual({
      tables: {
        customers: [{ actions: ['GetItem'] }],
        'journey-entries': [{ actions: ['Query', 'PutItem'] }],
        'failed-events': [{ actions: ['PutItem'] }],
        identities: [{ actions: ['GetItem'], leadingKeys: ['source#*', 'erased#*'] }],
      },
      sendQueue: true,
      journeyQueue: true,
      journeySchedules: true,
      privacySalt: true,
    });
  });

  it('no other function may create or delete schedules or pass the Scheduler role', () => {
    for (const [name, other] of Object.entries(stack.mailer.functions)) {
      if (name === 'journey') continue;
      const actions = statementsOf(other.role!).flatMap((s) => list(s.Action));
      expect(actions.filter((a) => a.startsWith('scheduler:') || a === 'iam:PassRole'), name).toEqual([]);
    }
  });

  it('its environment names only its own tables, the send queue and its waits', () => {
    const env = (resourcesById[logicalId(fn())]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toEqual({
      CUSTOMERS_TABLE: ref(stack.mailer.tables.customers),
      JOURNEY_ENTRIES_TABLE: ref(stack.mailer.tables['journey-entries']),
      FAILED_EVENTS_TABLE: ref(stack.mailer.tables['failed-events']),
      IDENTITIES_TABLE: ref(stack.mailer.tables.identities),
      PRIVACY_SALT_SECRET_ARN: ref(stack.mailer.privacySalt),
      SEND_QUEUE_URL: ref(stack.mailer.sendQueue),
      JOURNEY_QUEUE_URL: ref(journeys().queue),
      [JOURNEY_ENVIRONMENT.scheduleGroup]: 'journey-waits',
      [JOURNEY_ENVIRONMENT.schedulerRoleArn]: arnOf(journeys().schedulerRole),
      [JOURNEY_ENVIRONMENT.queueArn]: arnOf(journeys().queue),
      [JOURNEY_ENVIRONMENT.wakeDeadLetterQueueArn]: arnOf(journeys().wakeDeadLetterQueue),
      CATALOG_PATH: '/var/task/catalog.json',
      POWERTOOLS_SERVICE_NAME: 'lifecycle-mailer',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('is invoked asynchronously by its rules: failures after two retries go to a queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(fn()),
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('alarms on errors and throttles', () => {
    for (const metric of ['Errors', 'Throttles']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Lambda', MetricName: metric, Dimensions: [{ Name: 'FunctionName', Value: ref(fn()) }] });
    }
  });
});

describe('events routed to the journey function (lib/routes.ts)', () => {
  const toJourney = EVENT_ROUTES.filter((r) => r.target === 'journey');

  // Stage changes reach the journeys on the journey queue (ingest, segmentation), not as events.
  it('shop events, SES opens and clicks: nothing else', () => {
    expect(toJourney.map((r) => [r.bus, r.pattern])).toEqual([
      ['shop', { source: ['lifecycle-mailer.shop'], 'detail-type': ['Customer Registered', 'Order Placed', 'Cart Abandoned', 'Customer Updated'] }],
      ['default', { source: ['aws.ses'], 'detail-type': ['Email Opened', 'Email Clicked'] }],
    ]);
  });

  it.each(toJourney.map((r) => [r.id, r] as const))('rule %s targets the journey function on its bus, with a DLQ and retries', (_id, route) => {
    const rules = Object.values(
      template.findResources('AWS::Events::Rule', { Properties: { EventPattern: Match.exact(JSON.parse(JSON.stringify(route.pattern))) } }),
    ).filter((r) => JSON.stringify(r.Properties.Targets).includes(`"${logicalId(fn())}"`));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties.EventBusName).toEqual(route.bus === 'shop' ? ref(stack.mailer.shopBus) : undefined);
    expect(rules[0]!.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: arnOf(fn()), DeadLetterConfig: { Arn: expect.anything() }, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 6 * 3600 } }),
    ]);
  });
});
