import { fileURLToPath } from 'node:url';
import { App, Stack, Validations } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import type { Catalog } from '#domain/catalog.ts';
import { LifecycleMailerStack } from '#lib/lifecycle-mailer-stack.ts';
import { ShopConnectorPropsError } from '#lib/shop-connector-construct.ts';

/** The connector's resources and exact permissions; bundling skipped (the templates are what is checked). */
const root = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE = 'aws.partner/shopify.com/71018463553/lifecycle-mailer';
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

let catalog: Catalog;
let app: App;
let stack: LifecycleMailerStack;
let template: Template;

const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
function statementsOf(role: IConstruct): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: logicalId(role) }]) } });
  return Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}
const actionsOf = (role: IConstruct) => statementsOf(role).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
const resourceOf = (role: IConstruct, action: string) => statementsOf(role).filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action)).map((s) => s.Resource);

beforeAll(async () => {
  catalog = await buildCatalog(projectPaths(root));
  app = newApp();
  stack = new LifecycleMailerStack(app, 'ConnectorTest', { catalog, shopify: { partnerEventSourceName: SOURCE } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  template = Template.fromStack(stack);
}, 120_000);

describe('shop connector construct', () => {
  it('creates the Shopify partner event bus for the partner event source', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: SOURCE, EventSourceName: SOURCE });
  });

  it('routes the partner source on that bus to the mapping function, with a dead-letter queue and retries', () => {
    const connector = stack.mailer.shopConnector;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(connector.partnerBus!) },
      EventPattern: { source: [SOURCE] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(connector.partnerFunction!), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(connector.partnerDeadLetterQueue!), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21_600 },
        }),
      ],
    });
  });

  it('serves the webhook function on a public Function URL (the HMAC is the auth)', () => {
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [logicalId(stack.mailer.shopConnector.webhookFunction), 'Arn'] } });
    template.hasOutput('WebhookUrl', {});
  });

  it('gives the webhook function exactly: PutEvents on the shop bus, single items of its table, PutItem on failed events, the secret, its logs', () => {
    const role = stack.mailer.shopConnector.webhookFunction.role!;
    expect(actionsOf(role)).toEqual(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'events:PutEvents', 'logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'].sort(),
    );
    expect(resourceOf(role, 'events:PutEvents')).toEqual([{ 'Fn::GetAtt': [logicalId(stack.mailer.shopBus), 'Arn'] }]);
    expect(resourceOf(role, 'dynamodb:UpdateItem')).toEqual([{ 'Fn::GetAtt': [logicalId(stack.mailer.tables['shop-connector']), 'Arn'] }]);
    expect(resourceOf(role, 'dynamodb:PutItem')).toEqual([
      { 'Fn::GetAtt': [logicalId(stack.mailer.tables['shop-connector']), 'Arn'] },
      { 'Fn::GetAtt': [logicalId(stack.mailer.tables['failed-events']), 'Arn'] },
    ]);
    expect(resourceOf(role, 'secretsmanager:GetSecretValue')).toEqual([{ Ref: logicalId(stack.mailer.shopConnector.webhookSecret) }]);
  });

  it('gives the partner mapping function the same, without the secret', () => {
    expect(actionsOf(stack.mailer.shopConnector.partnerFunction!.role!)).toEqual(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'events:PutEvents', 'logs:CreateLogStream', 'logs:PutLogEvents'].sort(),
    );
  });

  it('tells the functions their table, bus and secret', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SHOP_CONNECTOR_TABLE: { Ref: logicalId(stack.mailer.tables['shop-connector']) },
          FAILED_EVENTS_TABLE: { Ref: logicalId(stack.mailer.tables['failed-events']) },
          SHOP_EVENT_BUS_NAME: { Ref: logicalId(stack.mailer.shopBus) },
          WEBHOOK_SECRET_ARN: { Ref: logicalId(stack.mailer.shopConnector.webhookSecret) },
        }),
      },
    });
  });

  it('passes cdk-nag with the partner source on', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('without the shopify prop there is no partner bus, and a malformed source name is refused at synth', () => {
    const plain = Template.fromStack(new LifecycleMailerStack(newApp(), 'NoPartner', { catalog }));
    expect(plain.findResources('AWS::Events::EventBus', { Properties: { EventSourceName: Match.anyValue() } })).toEqual({});
    plain.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    expect(() => new LifecycleMailerStack(newApp(), 'BadPartner', { catalog, shopify: { partnerEventSourceName: 'shopify-events' } })).toThrow(ShopConnectorPropsError);
  });
});
