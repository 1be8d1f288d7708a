import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { Catalog } from '#domain/catalog.ts';
import { toSchedulerCron } from '#lib/cron-expression.ts';
import { CLAIM_LEASE_SECONDS } from '../../functions/send/deliver-send.ts';
import { METRIC_NAMESPACE, SES_BOUNCE_RATE_ALARM, SES_COMPLAINT_RATE_ALARM, sendConcurrency, UNSUBSCRIBE_RESERVED_CONCURRENCY } from '#lib/lifecycle-mailer-construct.ts';
import { type AccessName, FUNCTION_ACCESS } from '#lib/function-access.ts';
import { PAUSE_LOG_MESSAGE } from '#domain/deliverability-guardrail.ts';
import { LifecycleMailerStack } from '#lib/lifecycle-mailer-stack.ts';
import { EVENT_ROUTES, type FunctionName, QUEUE_ROUTES, scheduleRoutes } from '#lib/routes.ts';
import { TABLES, type TableName } from '#lib/tables.ts';

/**
 * The stack synthesized once, with real esbuild bundling (local, no Docker), and checked
 * property by property against the routes and tables it is built from.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

let catalog: Catalog;
let stack: LifecycleMailerStack;
let template: Template;
let assemblyDir: string;

const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const ref = (c: IConstruct) => ({ Ref: logicalId(c) });
const arnOf = (c: IConstruct) => ({ 'Fn::GetAtt': [logicalId(c), 'Arn'] });
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resources = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
/** The four pipeline functions and the unsubscribe endpoint (and any other the construct adds), by name. */
const allFunctions = (): [string, IConstruct][] => [
  ...Object.entries(stack.mailer.functions),
  ...(stack.mailer.unsubscribeFunction ? [['unsubscribe', stack.mailer.unsubscribeFunction] as [string, IConstruct]] : []),
];

/** Statements of the policies attached to a role. */
function statementsOf(role: IConstruct): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([ref(role)]) } });
  return Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

/** The bundled asset directory of a function. */
function assetDir(fn: IConstruct): string {
  const props = template.toJSON().Resources[logicalId(fn)].Properties as { Code: { S3Key: string } };
  return join(assemblyDir, `asset.${props.Code.S3Key.replace(/\.zip$/, '')}`);
}

beforeAll(async () => {
  catalog = await buildCatalog(projectPaths(root));
  const app = new App();
  stack = new LifecycleMailerStack(app, 'LifecycleMailerTest', { catalog });
  template = Template.fromStack(stack);
  assemblyDir = app.synth().directory;
}, 120_000);

describe('DynamoDB tables (from TABLES)', () => {
  it.each(TABLES.map((t) => [t.name, t] as const))('%s: on-demand, PITR, encrypted, keys and TTL as declared, retained if it holds customer data or records to act on', (_name, def) => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: def.partitionKey, KeyType: 'HASH' },
          ...(def.sortKey ? [{ AttributeName: def.sortKey, KeyType: 'RANGE' }] : []),
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: def.timeToLiveAttribute ? { AttributeName: def.timeToLiveAttribute, Enabled: true } : Match.absent(),
      }),
      ...(def.holdsCustomerData || def.retainOnDelete ? { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' } : {}),
    });
  });

  it('each function learns the names of its own tables only, through their envVars', () => {
    const named: Record<string, TableName[]> = {};
    for (const [name, fn] of allFunctions()) {
      const env = template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables as Record<string, unknown>;
      const given = TABLES.filter((t) => env[t.envVar] !== undefined);
      named[name] = given.map((t) => t.name);
      for (const t of given) expect(env[t.envVar], `${name} ${t.envVar}`).toEqual(ref(stack.mailer.tables[t.name]));
    }
    expect(named).toEqual({
      ingest: ['customers', 'send-ledger', 'failed-events', 'stage-changes', 'identities', 'idempotency'],
      segment: ['customers', 'stage-changes', 'model-runs', 'deliverability'],
      send: ['customers', 'send-ledger', 'failed-events', 'deliverability', 'journey-entries'],
      engagement: ['customers', 'send-ledger', 'failed-events', 'deliverability', 'idempotency'],
      journey: ['customers', 'failed-events', 'identities', 'journey-entries'],
      unsubscribe: ['customers', 'send-ledger', 'failed-events'],
    });
  });
});

describe('EventBridge (from EVENT_ROUTES)', () => {
  it.each(EVENT_ROUTES.map((r) => [r.id, r] as const))('rule %s has the routes-table pattern, its bus, and a target with DLQ and retry policy', (_id, route) => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.exact(JSON.parse(JSON.stringify(route.pattern))),
      EventBusName: route.bus === 'shop' ? ref(stack.mailer.shopBus) : Match.absent(), // absent = the account's default bus
      Targets: [
        Match.objectLike({
          Arn: arnOf(stack.mailer.functions[route.target]),
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: { MaximumRetryAttempts: Match.anyValue(), MaximumEventAgeInSeconds: Match.anyValue() },
        }),
      ],
    });
  });

  it('rule DLQs are real queues of this stack', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as { Properties: { Targets: { DeadLetterConfig: { Arn: { 'Fn::GetAtt': [string, string] } } }[] } }[];
    const queues = template.findResources('AWS::SQS::Queue');
    for (const rule of rules) for (const t of rule.Properties.Targets) expect(queues[t.DeadLetterConfig.Arn['Fn::GetAtt'][0]]).toBeDefined();
  });

  it('the shop bus has an archive for replay', () => {
    template.hasResourceProperties('AWS::Events::Archive', { SourceArn: arnOf(stack.mailer.shopBus), RetentionDays: 365 });
  });

  it('functions invoked asynchronously send failures to an on-failure queue', () => {
    for (const name of ['ingest', 'segment', 'engagement', 'journey'] as const) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(stack.mailer.functions[name]),
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      });
    }
  });
});

describe('EventBridge Scheduler (from scheduleRoutes)', () => {
  it('has one schedule per route: cron converted, time zone, input, DLQ, dedicated role', () => {
    const routes = scheduleRoutes(catalog);
    expect(routes.length).toBeGreaterThan(1); // segmentation + scheduled campaigns
    for (const route of routes) {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: toSchedulerCron(route.cron),
        ScheduleExpressionTimezone: route.timeZone,
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: Match.objectLike({
          // Every scheduled run goes through the segmentation state machine (test/cdk/segmentation.test.ts).
          Arn: ref(stack.mailer.segmentation.stateMachine),
          Input: JSON.stringify(route.input),
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: Match.anyValue(),
          RoleArn: Match.anyValue(),
        }),
      });
    }
    expect(Object.keys(template.findResources('AWS::Scheduler::Schedule'))).toHaveLength(routes.length);
  });

  it('the segmentation schedule is the config cron in Scheduler form', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 5 * * ? *)',
      ScheduleExpressionTimezone: catalog.config.segmentation.timeZone,
      Target: Match.objectLike({ Input: JSON.stringify({ recompute: true, campaignIds: [] }) }),
    });
  });

  it('the scheduler role may start the segmentation state machine and write its DLQ, nothing else', () => {
    const role = stack.mailer.node.findChild('SchedulerRole');
    const statements = statementsOf(role);
    const machine = logicalId(stack.mailer.segmentation.stateMachine);
    expect(statements.filter((s) => actions(s).includes('states:StartExecution'))).toHaveLength(1);
    for (const s of statements) {
      if (actions(s).includes('states:StartExecution')) {
        expect(actions(s)).toEqual(['states:StartExecution']);
        for (const r of resources(s)) expect(JSON.stringify(r)).toContain(machine);
      } else {
        expect(actions(s)).toEqual(['sqs:SendMessage']);
      }
    }
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })] },
    });
  });
});

describe('SQS send queue (from QUEUE_ROUTES)', () => {
  const route = QUEUE_ROUTES.find((r) => r.target === 'send')!;

  it('is encrypted, has a DLQ after maxReceiveCount, and the route visibility timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: route.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: route.maxReceiveCount },
    });
  });

  it('every queue (dead-letter queues too) is encrypted and refuses non-TLS requests', () => {
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')) as { Properties: { Queues: unknown[]; PolicyDocument: { Statement: (Statement & { Condition?: unknown })[] } } }[];
    for (const [id, queue] of Object.entries(template.findResources('AWS::SQS::Queue'))) {
      expect((queue as { Properties: { SqsManagedSseEnabled?: boolean } }).Properties.SqsManagedSseEnabled, id).toBe(true);
      const policy = policies.find((p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: id }]));
      expect(policy, `${id} has a queue policy`).toBeDefined();
      expect(policy!.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('feeds the send function with partial batch responses, route batch size and a concurrency cap from maxSendRate', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(stack.mailer.functions.send),
      EventSourceArn: arnOf(stack.mailer.sendQueue),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: route.batchSize,
      ScalingConfig: { MaximumConcurrency: sendConcurrency(catalog.config.sending.maxSendRate) },
    });
    expect([1, 14, 20, 21, 95, 500].map(sendConcurrency)).toEqual([2, 2, 2, 3, 10, 50]);
  });

  it('the send function times out well inside the visibility timeout', () => {
    const timeout = template.toJSON().Resources[logicalId(stack.mailer.functions.send)].Properties.Timeout as number;
    expect(timeout * 6).toBeLessThanOrEqual(route.visibilityTimeoutSeconds);
    // A claim older than the function's timeout cannot belong to a running attempt (deliver-send's lease).
    expect(timeout).toBeLessThanOrEqual(CLAIM_LEASE_SECONDS);
  });
});

describe('Lambda functions', () => {
  it('all run Node.js 22 on arm64 with the bundled catalog and service name', () => {
    for (const fn of Object.values(stack.mailer.functions)) {
      expect(template.toJSON().Resources[logicalId(fn)].Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Environment: { Variables: { CATALOG_PATH: '/var/task/catalog.json', POWERTOOLS_SERVICE_NAME: 'lifecycle-mailer' } },
      });
    }
  });

  it('ingest, segment, send (which puts back sends that must wait) and journey get the send queue URL', () => {
    const env = (name: FunctionName) => template.toJSON().Resources[logicalId(stack.mailer.functions[name])].Properties.Environment.Variables as Record<string, unknown>;
    for (const name of ['ingest', 'segment', 'send', 'journey'] as const) expect(env(name).SEND_QUEUE_URL).toEqual(ref(stack.mailer.sendQueue));
    expect(env('engagement').SEND_QUEUE_URL).toBeUndefined();
  });

  it('no environment variable of any function holds the signing secret or a dynamic reference to it; send and unsubscribe get its ARN and read it', () => {
    const secret = stack.mailer.unsubscribeSecret;
    const withArn: string[] = [];
    for (const [name, fn] of allFunctions()) {
      const env = template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables as Record<string, unknown>;
      for (const [key, value] of Object.entries(env)) {
        const text = JSON.stringify(value);
        expect(text, `${name} ${key}`).not.toMatch(/\{\{resolve:/);
        expect(text, `${name} ${key}`).not.toContain('SecretString');
        if (text.includes(`"${logicalId(secret)}"`)) {
          expect([key, value], name).toEqual(['SIGNING_KEYS_SECRET_ARN', ref(secret)]); // a Ref to a secret is its ARN
          withArn.push(name);
        }
      }
    }
    expect(withArn.sort()).toEqual(['send', 'unsubscribe']);
    // Nowhere in the template is the value resolved (the secret's own generator aside).
    expect(JSON.stringify(template.toJSON())).not.toMatch(/resolve:secretsmanager/);
    const readers = allFunctions()
      .filter(([, fn]) => statementsOf((fn as { role?: IConstruct }).role!).some((st) => actions(st).includes('secretsmanager:GetSecretValue') && resources(st).some((r) => JSON.stringify(r) === JSON.stringify(ref(secret)))))
      .map(([n]) => n);
    expect(readers.sort()).toEqual(['send', 'unsubscribe']);
  });

  it('bundles are ESM with a require shim, and carry a valid catalog.json', () => {
    for (const [name, fn] of Object.entries(stack.mailer.functions)) {
      const dir = assetDir(fn);
      expect(existsSync(join(dir, 'index.mjs')), `${name} index.mjs`).toBe(true);
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8').slice(0, 200)).toContain('createRequire');
      const bundled = Catalog.parse(JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')));
      expect(bundled.campaigns.map((c) => c.id)).toEqual(catalog.campaigns.map((c) => c.id));
      expect(bundled.templates.length).toBe(catalog.templates.length);
    }
  });

  // Fails while functions/adapters/lambda-dependencies.ts imports readCatalogFile from
  // catalog-files.ts, which pulls in template-files.ts → template-compiler.ts → mjml.
  it('the send bundle does not contain mjml (templates are compiled at synth)', () => {
    // The source map lists every file esbuild put in the bundle.
    const map = JSON.parse(readFileSync(join(assetDir(stack.mailer.functions.send), 'index.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources.length).toBeGreaterThan(10);
    const mjml = map.sources.filter((s) => /node_modules\/mjml/.test(s));
    expect(mjml.length, `mjml files in the send bundle, e.g. ${mjml.slice(0, 3).join(', ')}`).toBe(0);
  });
});

describe.runIf(existsSync(join(root, 'functions/unsubscribe/handler.ts')))('unsubscribe endpoint', () => {
  it('is a public Function URL (mail clients post without credentials; tokens are HMAC-signed)', () => {
    const fn = stack.mailer.unsubscribeFunction!;
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', TargetFunctionArn: arnOf(fn) });
    expect(template.toJSON().Resources[logicalId(fn)].Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    const env = template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables as Record<string, unknown>;
    expect(env.SIGNING_KEYS_SECRET_ARN).toEqual(ref(stack.mailer.unsubscribeSecret));
  });

  it('may read and write customers, count an unsubscribe on its send, set a send aside, and queue the welcome a confirmation earns; nothing else', () => {
    const statements = statementsOf(stack.mailer.unsubscribeFunction!.role!).filter((s) => actions(s).some((a) => !a.startsWith('logs:')));
    const on = (resource: IConstruct) => statements.filter((s) => resources(s).some((r) => JSON.stringify(r).includes(`"${logicalId(resource)}"`)));
    const actionsOn = (resource: IConstruct) => [...new Set(on(resource).flatMap(actions))].sort();
    expect(actionsOn(stack.mailer.tables.customers)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(actionsOn(stack.mailer.tables['failed-events'])).toEqual(['dynamodb:PutItem']);
    // SendLedger.markUnsubscribed: one conditional UpdateItem, never a read.
    expect(actionsOn(stack.mailer.tables['send-ledger'])).toEqual(['dynamodb:UpdateItem']);
    expect(actionsOn(stack.mailer.sendQueue)).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    // A confirmation enters the welcome series through the journey queue.
    expect(actionsOn(stack.mailer.journeys.queue)).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    const reached = new Set(statements.flatMap(resources).map((r) => JSON.stringify(r)));
    const allowed = [stack.mailer.tables.customers, stack.mailer.tables['send-ledger'], stack.mailer.tables['failed-events'], stack.mailer.sendQueue, stack.mailer.journeys.queue, stack.mailer.unsubscribeSecret].map(logicalId);
    for (const r of reached) expect(allowed.some((id) => r.includes(`"${id}"`)), r).toBe(true);
    const env = template.toJSON().Resources[logicalId(stack.mailer.unsubscribeFunction!)].Properties.Environment.Variables as Record<string, unknown>;
    expect(env.SEND_QUEUE_URL).toEqual(ref(stack.mailer.sendQueue));
    expect(env.JOURNEY_QUEUE_URL).toEqual(ref(stack.mailer.journeys.queue));
  });
});

describe('IAM: least privilege through grants', () => {
  type Conditioned = Statement & { Condition?: Record<string, Record<string, string[]>> };
  const leadingKeys = (s: Conditioned) => s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
  /** Per table, the exact DynamoDB actions granted, each with the partition-key patterns it is limited to (`*`: any item). */
  function dynamoGrants(fn: IConstruct): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const s of statementsOf((fn as { role?: IConstruct }).role!) as Conditioned[]) {
      const dynamo = actions(s).filter((a) => a.startsWith('dynamodb:'));
      if (!dynamo.length) continue;
      for (const r of resources(s)) {
        const table = TABLES.find((t) => JSON.stringify(r) === JSON.stringify(arnOf(stack.mailer.tables[t.name])));
        if (!table) throw new Error(`DynamoDB grant on something other than a table: ${JSON.stringify(r)}`);
        const scope = leadingKeys(s)?.join('|') ?? '*';
        out[table.name] = [...(out[table.name] ?? []), ...dynamo.map((a) => `${a.slice('dynamodb:'.length)} ${scope}`)].sort();
      }
    }
    return out;
  }
  /** The exact grants, spelled out: an over-grant (an action, a table, a wider key) fails as surely as a missing one. */
  const expected: Record<string, Record<string, string[]>> = {
    ingest: {
      customers: ['GetItem *', 'PutItem *'],
      'stage-changes': ['BatchWriteItem *'],
      // Last-touch attribution credits an order to its send (SendLedger.attributeOrder, one conditional update).
      'send-ledger': ['UpdateItem *'],
      'failed-events': ['PutItem *'],
      identities: ['BatchGetItem source#*|erased#*', 'DeleteItem erased#*', 'GetItem email#*|source#*', 'PutItem email#*|source#*'],
      idempotency: ['DeleteItem *', 'GetItem *', 'PutItem *', 'UpdateItem *'],
    },
    segment: {
      customers: ['GetItem *', 'PutItem *', 'Scan *', 'UpdateItem *'],
      'stage-changes': ['BatchWriteItem *'],
      'model-runs': ['PutItem *', 'Query *'],
      deliverability: ['BatchGetItem pause#*'],
    },
    send: {
      customers: ['GetItem *', 'PutItem *'],
      'send-ledger': ['DeleteItem *', 'GetItem *', 'PutItem *', 'UpdateItem *'],
      'failed-events': ['PutItem *'],
      // A journey step's send re-reads its entry: an exit since it was queued stops it.
      'journey-entries': ['GetItem *'],
      deliverability: ['BatchGetItem pause#*', 'PutItem pause#all-marketing', 'UpdateItem day#*'],
    },
    engagement: {
      customers: ['GetItem *', 'PutItem *'],
      'send-ledger': ['UpdateItem *'],
      'failed-events': ['PutItem *'],
      deliverability: ['BatchGetItem *', 'GetItem *', 'PutItem *', 'UpdateItem *'],
      idempotency: ['DeleteItem *', 'GetItem *', 'PutItem *', 'UpdateItem *'],
    },
    journey: { customers: ['GetItem *'], 'journey-entries': ['PutItem *', 'Query *'], 'failed-events': ['PutItem *'], identities: ['GetItem source#*|erased#*'] },
    unsubscribe: { customers: ['GetItem *', 'PutItem *'], 'send-ledger': ['UpdateItem *'], 'failed-events': ['PutItem *'] },
  };

  it.each(Object.keys(expected))('%s has exactly the DynamoDB actions it calls, on exactly its tables', (name) => {
    const fn = allFunctions().find(([n]) => n === name)?.[1];
    expect(fn, name).toBeDefined();
    expect(dynamoGrants(fn!)).toEqual(expected[name]);
  });

  it('every function is checked: none has grants this test does not spell out', () => {
    expect(allFunctions().map(([n]) => n).sort()).toEqual(Object.keys(expected).sort());
  });

  it('the grants are the declaration in lib/function-access.ts, action for action', () => {
    for (const [name, fn] of allFunctions()) {
      const declared: Record<string, string[]> = {};
      for (const [table, grants] of Object.entries(FUNCTION_ACCESS[name as AccessName].tables)) {
        declared[table] = grants!.flatMap((g) => g.actions.map((a) => `${a} ${g.leadingKeys?.join('|') ?? '*'}`)).sort();
      }
      expect(dynamoGrants(fn), name).toEqual(declared);
    }
  });

  it('only segmentation scans customers; DeleteItem and BatchWriteItem only where the code calls them', () => {
    // The idempotency records are Powertools' own bookkeeping (it deletes a record when the handler failed); every other table counts.
    const holders = (action: string) => allFunctions().filter(([, fn]) => Object.entries(dynamoGrants(fn)).some(([table, acts]) => table !== 'idempotency' && acts.some((a) => a.startsWith(`${action} `)))).map(([n]) => n);
    expect(holders('Scan')).toEqual(['segment']);
    expect(holders('DeleteItem')).toEqual(['ingest', 'send']); // an erased address signing up anew (IdentityStore.forgetErasure); a claim given back (SendLedger.release)
    expect(holders('BatchWriteItem').sort()).toEqual(['ingest', 'segment']); // stage changes
    expect(holders('Query').sort()).toEqual(['journey', 'segment']); // the latest model run; a customer's journey entries
  });

  it('the public unsubscribe function has reserved concurrency', () => {
    expect(UNSUBSCRIBE_RESERVED_CONCURRENCY).toBe(10);
    expect(template.toJSON().Resources[logicalId(stack.mailer.unsubscribeFunction!)].Properties.ReservedConcurrentExecutions).toBe(10);
  });

  it('engagement writes pauses on rates; send may write the all-marketing pause only (SES refusing the account); segment and unsubscribe none', () => {
    const pauseWriters = allFunctions()
      .map(([name, fn]) => [name, (dynamoGrants(fn).deliverability ?? []).filter((a) => a.startsWith('PutItem '))] as const)
      .filter(([, puts]) => puts.length);
    expect(Object.fromEntries(pauseWriters)).toEqual({ send: ['PutItem pause#all-marketing'], engagement: ['PutItem *'] });
  });

  it('only ingest, segment, send (deferrals), journey (its steps) and unsubscribe (confirmed sign-ups) may send to the send queue', () => {
    const queueId = logicalId(stack.mailer.sendQueue);
    for (const [name, fn] of Object.entries(stack.mailer.functions)) {
      const sends = statementsOf(fn.role!).some((s) => actions(s).includes('sqs:SendMessage') && resources(s).some((r) => JSON.stringify(r).includes(`"${queueId}"`)));
      expect(sends, name).toBe(name === 'ingest' || name === 'segment' || name === 'send' || name === 'journey');
    }
  });

  it('only ingest and segment (stage changes), journey (wake-ups due now) and unsubscribe (confirmed sign-ups) may send to the journey queue', () => {
    const queueId = logicalId(stack.mailer.journeys.queue);
    const senders = allFunctions()
      .filter(([, fn]) => statementsOf((fn as { role?: IConstruct }).role!).some((s) => actions(s).includes('sqs:SendMessage') && resources(s).some((r) => JSON.stringify(r).includes(`"${queueId}"`))))
      .map(([n]) => n)
      .sort();
    expect(senders).toEqual(['ingest', 'journey', 'segment', 'unsubscribe']);
    for (const name of senders) {
      const fn = allFunctions().find(([n]) => n === name)![1];
      expect(template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables.JOURNEY_QUEUE_URL, name).toEqual(ref(stack.mailer.journeys.queue));
    }
  });

  it('ses:SendEmail is allowed on the sender identity and the configuration set only', () => {
    const statements = Object.values(stack.mailer.functions).flatMap((fn) => statementsOf(fn.role!).map((s) => ({ fn, s })));
    const ses = statements.filter(({ s }) => actions(s).some((a) => a.startsWith('ses:')));
    expect(ses).toHaveLength(1);
    const { fn, s } = ses[0]!;
    expect(fn).toBe(stack.mailer.functions.send);
    expect(actions(s)).toEqual(['ses:SendEmail']);
    const rendered = resources(s).map((r) => JSON.stringify(r)).sort();
    expect(rendered).toHaveLength(2);
    expect(rendered.find((r) => r.includes(':configuration-set/'))).toContain(logicalId(stack.mailer.configurationSet));
    expect(rendered.find((r) => r.includes(':identity/'))).toContain(':identity/shop.example.com');
  });

  it('no policy grants on Resource "*"', () => {
    for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
      for (const s of (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement) {
        expect(resources(s), id).not.toContain('*');
      }
    }
  });
});

describe('SES', () => {
  it('configuration set: the catalog name, reputation metrics, sending enabled', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      Name: catalog.config.sending.configurationSet,
      ReputationOptions: { ReputationMetricsEnabled: true },
      SendingOptions: { SendingEnabled: true },
    });
  });

  it('publishes every engagement event type to the default event bus (open and click turn tracking on)', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: ref(stack.mailer.configurationSet),
      EventDestination: Match.objectLike({
        Enabled: true,
        EventBridgeDestination: { EventBusArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':event-bus/default'])] }) },
      }),
    });
    const [destination] = Object.values(template.findResources('AWS::SES::ConfigurationSetEventDestination')) as { Properties: { EventDestination: { MatchingEventTypes: string[] } } }[];
    expect([...destination!.Properties.EventDestination.MatchingEventTypes].sort()).toEqual(
      ['send', 'delivery', 'open', 'click', 'bounce', 'complaint', 'reject', 'deliveryDelay', 'renderingFailure', 'subscription'].sort(),
    );
  });

  it('creates no email identity by default', () => {
    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
  });
});

describe('CloudWatch alarms and notifications', () => {
  const topic = () => ref(stack.mailer.alarmTopic);

  it('every dead-letter queue alarms as soon as it holds a message', () => {
    expect(stack.mailer.deadLetterQueues.length).toBeGreaterThanOrEqual(EVENT_ROUTES.length + QUEUE_ROUTES.length + 1);
    for (const dlq of stack.mailer.deadLetterQueues) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq), 'QueueName'] } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [topic()],
      });
    }
  });

  it('the send function alarms on errors and throttles', () => {
    for (const metric of ['Errors', 'Throttles']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: ref(stack.mailer.functions.send) }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [topic()],
      });
    }
  });

  it('SES bounce and complaint rates alarm below the SES review thresholds (5%, 0.1%)', () => {
    expect(SES_BOUNCE_RATE_ALARM).toBe(0.04);
    expect(SES_COMPLAINT_RATE_ALARM).toBe(0.0008);
    for (const [metric, threshold] of [['Reputation.BounceRate', 0.04], ['Reputation.ComplaintRate', 0.0008]] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SES',
        MetricName: metric,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [topic()],
      });
    }
  });

  it('a guardrail pause alarms: metric filters on the engagement log (rates) and the send log (SES refusing the account) count the pause log line', () => {
    for (const fn of [stack.mailer.functions.engagement, stack.mailer.functions.send]) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: ref(fn.logGroup),
        FilterPattern: `{ $.message = "${PAUSE_LOG_MESSAGE}" }`,
        MetricTransformations: [{ MetricNamespace: METRIC_NAMESPACE, MetricName: 'GuardrailPauses', MetricValue: '1' }],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRIC_NAMESPACE,
      MetricName: 'GuardrailPauses',
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic()],
      AlarmDescription: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('lifecycle-mailer pauses --table ')])]) }),
    });
  });

  it('the alarm topic is KMS-encrypted and TLS-only, with no subscription unless alarmEmail is set', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic()],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it("has a dashboard: every alarm, each function's invocations, errors and duration, the queues and SES", () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as { Properties: { DashboardBody: { 'Fn::Join': [string, unknown[]] } } }[];
    expect(dashboards).toHaveLength(1);
    // The body is JSON with CloudFormation references spliced in: put each reference's logical id in its place.
    const parts = dashboards[0]!.Properties.DashboardBody['Fn::Join'][1];
    const text = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p).match(/"(?:Ref|Fn::GetAtt)":\[?"([^"]+)"/)?.[1] ?? 'REF')).join('');
    const body = JSON.parse(text) as { widgets: { properties: { title?: string; alarms?: string[]; metrics?: unknown[][] } }[] };
    const byTitle = new Map(body.widgets.map((w) => [w.properties.title, w.properties]));
    expect([...byTitle.keys()]).toEqual(['Alarms', 'Invocations', 'Errors and throttles', 'Duration p95', 'Send queue', 'Dead-letter queues', 'SES', 'SES reputation']);
    expect(byTitle.get('Alarms')!.alarms).toHaveLength(stack.mailer.alarms.length);
    for (const title of ['Invocations', 'Errors and throttles', 'Duration p95']) {
      const metrics = JSON.stringify(byTitle.get(title)!.metrics);
      for (const [name, fn] of allFunctions()) expect(metrics, `${title}: ${name}`).toContain(`"${logicalId(fn)}"`);
    }
    expect(byTitle.get('Dead-letter queues')!.metrics).toHaveLength(stack.mailer.deadLetterQueues.length);
    expect(JSON.stringify(byTitle.get('SES')!.metrics)).toContain('"Complaint"');
  });
});
