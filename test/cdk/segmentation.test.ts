import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { LifecycleMailerStack } from '#lib/lifecycle-mailer-stack.ts';
import { scheduleRoutes } from '#lib/routes.ts';
import { singlePassLimit } from '#lib/segmentation-construct.ts';
import { Duration } from 'aws-cdk-lib';

/**
 * The daily segmentation on Step Functions: a Distributed Map over the parallel-scan segments in
 * two phases, retried steps, a DLQ and alarms, and roles that may do exactly their part.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
let stack: LifecycleMailerStack;
let template: Template;
type State = { Type: string; Next?: string; End?: boolean; ItemProcessor?: { ProcessorConfig?: { Mode?: string; ExecutionType?: string }; StartAt: string; States: Record<string, State> }; ItemsPath?: string; ItemSelector?: Record<string, unknown>; Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[]; ToleratedFailurePercentage?: number; Parameters?: Record<string, unknown>; Choices?: unknown[]; Default?: string; MaxConcurrency?: number };
let definition: { StartAt: string; States: Record<string, State> };

const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
function statementsOf(role: IConstruct): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: logicalId(role) }]) } });
  return Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}
const actionsOf = (role: IConstruct) => [...new Set(statementsOf(role).flatMap((s) => list(s.Action)))].sort();

/** The definition string with its Fn::Join parts flattened (ARNs become <logical id>). */
function stateMachineDefinition(): { StartAt: string; States: Record<string, State> } {
  const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as { Properties: { DefinitionString: unknown } };
  const d = sm.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const token = (p: { 'Fn::GetAtt'?: [string, string]; Ref?: string }) => `<${p['Fn::GetAtt']?.[0] ?? p.Ref ?? 'token'}>`;
  const text = typeof d === 'string' ? d : d['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : token(p as { Ref?: string }))).join('');
  return JSON.parse(text);
}

beforeAll(async () => {
  const catalog = await buildCatalog(projectPaths(root));
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new LifecycleMailerStack(app, 'SegmentationTest', { catalog });
  template = Template.fromStack(stack);
  definition = stateMachineDefinition();
}, 120_000);

describe('segmentation state machine', () => {
  it('plans, then fans out over the scan segments in two Distributed Map phases around a merge, or runs one pass for a small table', () => {
    expect(definition.StartAt).toBe('Plan');
    expect(definition.States.Plan!.Next).toBe('SmallTable');
    const choice = definition.States.SmallTable!;
    expect(choice.Type).toBe('Choice');
    expect(JSON.stringify(choice.Choices)).toContain('"StringEquals":"single"');
    expect(definition.States.SinglePass!.Type).toBe('Task');
    expect(choice.Default).toBe('Summarise');
    const order = ['Summarise', 'Merge', 'Score', 'Report'];
    for (let i = 0; i < order.length - 1; i++) expect(definition.States[order[i]!]!.Next).toBe(order[i + 1]);
    expect(definition.States.Report!.End).toBe(true);
    for (const [phase, step] of [['Summarise', 'summarise'], ['Score', 'score']] as const) {
      const map = definition.States[phase]!;
      expect(map.Type).toBe('Map');
      expect(map.ItemProcessor?.ProcessorConfig?.Mode).toBe('DISTRIBUTED');
      // Items are the segment numbers 0..N-1 the plan step derived from the table's size.
      expect(map.ItemsPath).toBe('$.segments');
      expect(map.ItemSelector).toEqual({ step, task: { 'runId.$': '$.runId', 'now.$': '$.now', 'segment.$': '$$.Map.Item.Value', 'totalSegments.$': '$.totalSegments' } });
      // Absent means 0: one failed segment fails the phase.
      expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
      expect(map.MaxConcurrency).toBeGreaterThan(0);
      expect(map.MaxConcurrency).toBeLessThanOrEqual(10_000);
      const child = Object.values(map.ItemProcessor!.States)[0]!;
      expect(JSON.stringify(child)).toContain(logicalId(stack.mailer.segmentation.worker));
    }
  });

  it('retries every Lambda step, in the map children too', () => {
    const tasks = [...Object.values(definition.States), ...Object.values(definition.States).flatMap((s) => Object.values(s.ItemProcessor?.States ?? {}))].filter((s) => s.Type === 'Task');
    expect(tasks).toHaveLength(6);
    for (const t of tasks) expect(t.Retry?.some((r) => r.ErrorEquals.includes('States.TaskFailed') && (r.MaxAttempts ?? 0) >= 2)).toBe(true);
  });

  it('tells the coordinator the single-pass limit the construct computed from the segment function timeout', () => {
    expect(singlePassLimit(Duration.minutes(15))).toBe(112_500);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SINGLE_PASS_LIMIT: '112500' }) } });
  });

  it('failed runs go to a DLQ with a depth alarm, and failures and time-outs raise alarms', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [Match.anyValue()] } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack.mailer.segmentation.failedRuns), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.mailer.segmentation.failedRuns), 'QueueName'] } }] });
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/States', MetricName: metric });
    for (const fn of [stack.mailer.segmentation.coordinator, stack.mailer.segmentation.worker]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }] });
    }
  });

  it('every schedule starts the state machine', () => {
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')) as { Properties: { Target: { Arn: unknown } } }[];
    expect(schedules).toHaveLength(scheduleRoutes(stack.mailer.catalog).length);
    for (const s of schedules) expect(s.Properties.Target.Arn).toEqual({ Ref: logicalId(stack.mailer.segmentation.stateMachine) });
  });
});

describe('least privilege', () => {
  it('the state machine role only invokes its three functions and runs its own map children', () => {
    const role = stack.mailer.segmentation.stateMachine.role;
    const actions = actionsOf(role);
    expect(actions.filter((a) => !a.startsWith('xray:') && !a.startsWith('logs:'))).toEqual(['lambda:InvokeFunction', 'states:DescribeExecution', 'states:RedriveExecution', 'states:StartExecution', 'states:StopExecution']);
    const invoked = statementsOf(role).filter((s) => list(s.Action).includes('lambda:InvokeFunction')).flatMap((s) => list(s.Resource));
    const ids = [stack.mailer.segmentation.coordinator, stack.mailer.segmentation.worker, stack.mailer.functions.segment].map(logicalId);
    for (const r of invoked) expect(ids.some((id) => JSON.stringify(r).includes(id)), JSON.stringify(r)).toBe(true);
    for (const s of statementsOf(role).filter((s) => list(s.Action).some((a) => a.startsWith('states:')))) expect(JSON.stringify(s.Resource)).toMatch(/StateMachine|stateMachine|execution/);
  });

  it('a worker may scan and write customers, write stage changes, queue sends and touch only its run in model-runs', () => {
    const role = stack.mailer.segmentation.worker.role!;
    const dynamo = statementsOf(role).filter((s) => list(s.Action).some((a) => a.startsWith('dynamodb:')));
    const model = dynamo.find((s) => JSON.stringify(s.Resource).includes('ModelRuns'))!;
    expect(list(model.Action).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(model.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['segmentation#*'] } });
    expect(dynamo.flatMap((s) => list(s.Action)).sort()).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem']);
    expect(actionsOf(role)).toContain('sqs:SendMessage');
    expect(actionsOf(role).some((a) => a.startsWith('lambda:') || a.startsWith('states:') || a.startsWith('secretsmanager:') || a.startsWith('scheduler:'))).toBe(false);
  });

  it('the coordinator never reads or writes a customer: it sizes the table and works in model-runs and pauses', () => {
    const role = stack.mailer.segmentation.coordinator.role!;
    const customers = statementsOf(role).filter((s) => JSON.stringify(s.Resource).includes('CustomersTable'));
    expect(customers.flatMap((s) => list(s.Action))).toEqual(['dynamodb:DescribeTable']);
    expect(actionsOf(role).some((a) => a.startsWith('sqs:'))).toBe(false);
  });
});
