import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { LifecycleMailerStack } from '#lib/lifecycle-mailer-stack.ts';
import { TABLES } from '#lib/tables.ts';
import { SEARCHED_TABLES } from '../../functions/privacy/privacy-records.ts';

/** The privacy function's wiring and exact permissions; bundling skipped (the template is what is checked). */
const root = fileURLToPath(new URL('../../', import.meta.url));
let app: App;
let stack: LifecycleMailerStack;
let template: Template;

const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
function statementsOf(role: IConstruct): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: logicalId(role) }]) } });
  return Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
/** table logical id → its DynamoDB actions. */
function tableActions(role: IConstruct): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of statementsOf(role)) {
    const ref = (s.Resource as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
    const dynamo = actions(s).filter((a) => a.startsWith('dynamodb:'));
    if (!ref || !dynamo.length) continue;
    out[ref] = [...(out[ref] ?? []), ...dynamo].sort();
  }
  return out;
}

beforeAll(async () => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new LifecycleMailerStack(app, 'PrivacyTest', { catalog: await buildCatalog(projectPaths(root)) });
  template = Template.fromStack(stack);
}, 120_000);

describe('privacy construct', () => {
  it('routes Privacy Request events on the shop bus to the privacy function, with a dead-letter queue', () => {
    const privacy = stack.mailer.privacy;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(stack.mailer.shopBus) },
      EventPattern: { source: ['lifecycle-mailer.shop'], 'detail-type': ['Privacy Request'] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(privacy.privacyFunction), 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(privacy.deadLetterQueue), 'Arn'] } } })],
    });
  });

  it('grants exactly the declared table actions, the salt and its logs', () => {
    const role = stack.mailer.privacy.privacyFunction.role!;
    const t = stack.mailer.tables;
    expect(tableActions(role)).toEqual({
      [logicalId(t.customers)]: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Scan'],
      [logicalId(t['send-ledger'])]: ['dynamodb:Scan'],
      [logicalId(t['failed-events'])]: ['dynamodb:DeleteItem', 'dynamodb:Scan'],
      [logicalId(t['stage-changes'])]: ['dynamodb:DeleteItem', 'dynamodb:Scan'],
      [logicalId(t['shop-connector'])]: ['dynamodb:DeleteItem', 'dynamodb:Scan'],
      [logicalId(t.identities)]: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'],
      [logicalId(t['journey-entries'])]: ['dynamodb:DeleteItem', 'dynamodb:Scan'],
      [logicalId(t.idempotency)]: ['dynamodb:Scan'],
      [logicalId(t.deliverability)]: ['dynamodb:Scan'],
    });
    const other = statementsOf(role).flatMap(actions).filter((a) => !a.startsWith('dynamodb:')).sort();
    expect(other).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    const secret = statementsOf(role).find((s) => actions(s).includes('secretsmanager:GetSecretValue'));
    expect(secret?.Resource).toEqual({ Ref: logicalId(stack.mailer.privacySalt) });
  });

  it('reaches every table the export searches (each table holding customer data, a table added later included), and may delete from each one an erasure clears', () => {
    const role = stack.mailer.privacy.privacyFunction.role!;
    const granted = tableActions(role);
    for (const table of SEARCHED_TABLES) {
      const acts = granted[logicalId(stack.mailer.tables[table.name])] ?? [];
      expect(acts, table.name).toContain('dynamodb:Scan');
      // Kept by an erasure, with nothing personal in them: the ledger, idempotency records, deliverability markers.
      expect(acts.includes('dynamodb:DeleteItem'), table.name).toBe(!['send-ledger', 'idempotency', 'deliverability'].includes(table.name));
    }
    expect(TABLES.filter((t) => t.holdsCustomerData).every((t) => SEARCHED_TABLES.includes(t))).toBe(true);
  });

  it('tells the function its tables and the salt secret, never the salt', () => {
    const fn = template.findResources('AWS::Lambda::Function', { Properties: { Description: 'Lifecycle Mailer: privacy requests (export, erase)' } });
    const vars = (Object.values(fn)[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
    expect(Object.keys(vars).sort()).toEqual([
      'CUSTOMERS_TABLE',
      'DELIVERABILITY_TABLE',
      'FAILED_EVENTS_TABLE',
      'IDEMPOTENCY_TABLE',
      'IDENTITIES_TABLE',
      'JOURNEY_ENTRIES_TABLE',
      'NODE_OPTIONS',
      'POWERTOOLS_SERVICE_NAME',
      'PRIVACY_SALT_SECRET_ARN',
      'SEND_LEDGER_TABLE',
      'SHOP_CONNECTOR_TABLE',
      'STAGE_CHANGES_TABLE',
    ]);
    expect(vars.PRIVACY_SALT_SECRET_ARN).toEqual({ Ref: logicalId(stack.mailer.privacySalt) });
  });

  it('gives ingest the identities table (links and erased addresses only) and the salt', () => {
    const role = stack.mailer.functions.ingest.role!;
    const identities = statementsOf(role).filter((s) => JSON.stringify(s.Resource).includes(logicalId(stack.mailer.tables.identities)));
    expect(identities.map((s) => [actions(s), s.Condition])).toEqual([
      [['dynamodb:BatchGetItem'], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['source#*', 'erased#*'] } }],
      [['dynamodb:GetItem'], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['email#*', 'source#*'] } }],
      [['dynamodb:PutItem'], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['email#*', 'source#*'] } }],
      [['dynamodb:DeleteItem'], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['erased#*'] } }],
    ]);
    expect(statementsOf(role).some((s) => actions(s).includes('secretsmanager:GetSecretValue') && JSON.stringify(s.Resource) === JSON.stringify({ Ref: logicalId(stack.mailer.privacySalt) }))).toBe(true);
  });

  it('passes cdk-nag', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
