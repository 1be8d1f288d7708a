import { fileURLToPath } from 'node:url';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import type { Catalog } from '#domain/catalog.ts';
import { stepCampaignIds } from '#domain/journey.ts';
import { LifecycleMailer, type LifecycleMailerProps, LifecycleMailerPropsError } from '#lib/lifecycle-mailer-construct.ts';
import { TABLES } from '#lib/tables.ts';

/**
 * The construct's props: defaults, overrides, and the combinations it refuses at synth.
 * Bundling is skipped here (the stack test bundles for real), so each case synthesizes fast.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
let catalog: Catalog;

beforeAll(async () => {
  catalog = await buildCatalog(projectPaths(root));
});

function synth(props: Partial<LifecycleMailerProps> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'PropsTest');
  const mailer = new LifecycleMailer(stack, 'Mailer', { catalog, ...props });
  return { mailer, template: Template.fromStack(stack) };
}
const make = (props: Partial<LifecycleMailerProps>) => () => synth(props);
const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const withCampaign = (i: number, change: (c: Catalog['campaigns'][number]) => Catalog['campaigns'][number]): Catalog => ({
  ...catalog,
  campaigns: catalog.campaigns.map((c, j) => (j === i ? change(c) : c)),
});
const scheduledIndex = () => catalog.campaigns.findIndex((c) => c.enabled && c.trigger.type === 'schedule');

describe('defaults', () => {
  let mailer: LifecycleMailer;
  let template: Template;
  beforeAll(() => ({ mailer, template } = synth()));

  it('retain customer-data tables (and the pause records), take names and rates from the catalog, derive the sender domain', () => {
    for (const def of TABLES.filter((t) => t.holdsCustomerData || t.retainOnDelete)) {
      expect(template.toJSON().Resources[logicalId(mailer.tables[def.name])].DeletionPolicy, def.name).toBe('Retain');
    }
    expect(mailer.senderIdentity).toBe('shop.example.com');
    // The catalog as given, less the mailto: no mailbox receives it by default (see the mailbox tests).
    const { unsubscribeMailto: _unread, ...sending } = catalog.config.sending;
    expect(mailer.catalog).toEqual({ ...catalog, config: { ...catalog.config, sending } });
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: catalog.config.sending.configurationSet });
  });

  it('create no email identity and no alarm subscription', () => {
    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('overrides (one stack with all of them)', () => {
  let mailer: LifecycleMailer;
  let template: Template;
  beforeAll(
    () =>
      ({ mailer, template } = synth({
        removalPolicy: RemovalPolicy.DESTROY,
        maxSendRate: 95,
        configurationSetName: 'shop-lifecycle',
        segmentationSchedule: { cron: '30 3 * * MON-FRI', timeZone: 'Europe/Berlin' },
        senderIdentity: 'Hello@Shop.Example.com',
        alarmEmail: 'ops@shop.example.com',
        createEmailIdentity: true,
        eventArchiveRetention: Duration.days(30),
      })),
  );

  it('removalPolicy DESTROY deletes customer tables with the stack (for test stacks)', () => {
    expect(template.toJSON().Resources[logicalId(mailer.tables.customers)].DeletionPolicy).toBe('Delete');
  });

  it('maxSendRate sets the send concurrency cap and the catalog the functions read', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 10 } });
    expect(mailer.catalog.config.sending.maxSendRate).toBe(95);
  });

  it('configurationSetName renames the set, the SES permission, and the catalog the functions read', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: 'shop-lifecycle' });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(':configuration-set/');
    expect(mailer.catalog.config.sending.configurationSet).toBe('shop-lifecycle');
  });

  it('segmentationSchedule replaces the config cron and time zone', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 3 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      Target: Match.objectLike({ Input: JSON.stringify({ recompute: true, campaignIds: [] }) }),
    });
    expect(mailer.catalog.config.segmentation).toEqual({ cron: '30 3 * * MON-FRI', timeZone: 'Europe/Berlin' });
  });

  it('senderIdentity may be the one address every campaign sends from', () => {
    expect(mailer.senderIdentity).toBe('hello@shop.example.com');
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(':identity/hello@shop.example.com');
  });

  it('alarmEmail subscribes that address to the alarm topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@shop.example.com' });
  });

  it('createEmailIdentity creates the sender identity with the configuration set as its default', () => {
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'hello@shop.example.com',
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: logicalId(mailer.configurationSet) } },
    });
  });

  it('eventArchiveRetention sets the archive retention', () => {
    template.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 30 });
  });
});

describe('impossible combinations are refused at synth, with a message that says what to change', () => {
  it.each<[string, Partial<LifecycleMailerProps>, RegExp]>([
    ['a snapshot removal policy (DynamoDB has none)', { removalPolicy: RemovalPolicy.SNAPSHOT }, /removalPolicy.*RETAIN.*DESTROY/],
    ['a malformed alarm email', { alarmEmail: 'ops-at-example' }, /alarmEmail/],
    ['a zero send rate', { maxSendRate: 0 }, /maxSendRate/],
    ['a send rate above the schema maximum', { maxSendRate: 1_000_000 }, /maxSendRate/],
    ['a sender identity that does not cover the campaigns', { senderIdentity: 'other.example.org' }, /does not cover.*welcome/],
    ['a sender address other than the campaigns use', { senderIdentity: 'news@shop.example.com' }, /does not cover/],
    ['a sender identity that is neither domain nor address', { senderIdentity: 'not a domain' }, /neither a domain/],
    ['an invalid configuration set name', { configurationSetName: 'has spaces' }, /configurationSet/],
    ['an unknown time zone', { segmentationSchedule: { cron: '0 5 * * *', timeZone: 'Mars/Olympus' } }, /segmentation\.timeZone/],
    ['a cron Scheduler cannot express', { segmentationSchedule: { cron: '0 5 1 * MON', timeZone: 'UTC' } }, /Segmentation.*both day-of-month and day-of-week/],
  ])('%s', (_what, props, message) => {
    expect(make(props)).toThrow(LifecycleMailerPropsError);
    expect(make(props)).toThrow(message);
  });

  it('campaigns sending from several domains without an explicit identity', () => {
    const mixed = withCampaign(0, (c) => ({ ...c, from: { ...c.from, address: 'hello@news.example.org' } }));
    expect(make({ catalog: mixed })).toThrow(/several domains.*news\.example\.org/);
  });

  it('a scheduled campaign whose cron Scheduler cannot express names the campaign', () => {
    const i = scheduledIndex();
    const bad = withCampaign(i, (c) => ({ ...c, trigger: { type: 'schedule', cron: '0 9 1 * MON', timeZone: 'UTC' } }));
    expect(make({ catalog: bad })).toThrow(new RegExp(`campaigns ${catalog.campaigns[i]!.id}`));
  });

  it('a journey step constrains the sender identity although its own file says enabled: false', () => {
    const steps = new Set(catalog.journeys.flatMap(stepCampaignIds));
    const i = catalog.campaigns.findIndex((c) => !c.enabled && steps.has(c.id));
    expect(i).toBeGreaterThanOrEqual(0);
    const moved = withCampaign(i, (c) => ({ ...c, from: { ...c.from, address: 'hello@news.example.org' } }));
    expect(make({ catalog: moved })).toThrow(new RegExp(`several domains.*news\\.example\\.org`));
  });

  it('disabled campaigns do not constrain the sender identity', () => {
    const steps = new Set(catalog.journeys.flatMap(stepCampaignIds));
    const i = catalog.campaigns.findIndex((c) => !steps.has(c.id));
    expect(i).toBeGreaterThanOrEqual(0);
    const disabled = withCampaign(i, (c) => ({ ...c, enabled: false, from: { ...c.from, address: 'hello@news.example.org' } }));
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(new LifecycleMailer(new Stack(app, 'Disabled'), 'Mailer', { catalog: disabled }).senderIdentity).toBe('shop.example.com');
  });
});

describe('unsubscribe mailbox (List-Unsubscribe mailto:)', () => {
  type Statement = { Action: string | string[]; Resource: unknown };
  const statementsOf = (template: Template, role: IConstruct): Statement[] =>
    Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: logicalId(role) }]) } })).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
    );

  it('without a receiving domain: no receipt rule, no mail function, and the mailto: is not advertised', () => {
    const { mailer, template } = synth();
    expect(catalog.config.sending.unsubscribeMailto).toBeDefined(); // the config names one…
    expect(mailer.catalog.config.sending.unsubscribeMailto).toBeUndefined(); // …but nothing would read it
    expect(mailer.unsubscribeMailFunction).toBeUndefined();
    template.resourceCountIs('AWS::SES::ReceiptRule', 0);
    template.resourceCountIs('AWS::SES::ReceiptRuleSet', 0);
  });

  it('with a receiving domain: a receipt rule for the configured address hands mails to the unsubscribe-mail function', () => {
    const { mailer, template } = synth({ unsubscribeMailbox: { receivingDomain: 'mailer.shop.example.com' } });
    expect(mailer.catalog.config.sending.unsubscribeMailto).toBe('unsubscribe@mailer.shop.example.com');
    expect(mailer.unsubscribeMailAddress).toBe('unsubscribe@mailer.shop.example.com');
    const fn = mailer.unsubscribeMailFunction!;
    template.resourceCountIs('AWS::SES::ReceiptRuleSet', 1);
    template.hasResourceProperties('AWS::SES::ReceiptRule', {
      Rule: Match.objectLike({
        Enabled: true,
        Recipients: ['unsubscribe@mailer.shop.example.com'],
        ScanEnabled: true,
        TlsPolicy: 'Require',
        Actions: [{ LambdaAction: { FunctionArn: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] }, InvocationType: 'Event' } }],
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { FunctionName: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] }, Principal: 'ses.amazonaws.com', SourceAccount: Match.anyValue() });
    const props = template.toJSON().Resources[logicalId(fn)].Properties;
    expect(Object.keys(props.Environment.Variables).filter((k) => k.endsWith('_TABLE')).sort()).toEqual(['CUSTOMERS_TABLE', 'SEND_LEDGER_TABLE']);
    expect(props.Environment.Variables.SIGNING_KEYS_SECRET_ARN).toEqual({ Ref: logicalId(mailer.unsubscribeSecret) });
    expect(props.ReservedConcurrentExecutions).toBeGreaterThan(0);
    const dynamo = statementsOf(template, fn.role!).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamo.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(statementsOf(template, fn.role!).some((s) => JSON.stringify(s.Resource).includes(logicalId(mailer.sendQueue)))).toBe(false);
  });

  it('an address of its own on the receiving domain; one elsewhere is refused', () => {
    const { mailer } = synth({ unsubscribeMailbox: { receivingDomain: 'in.shop.example.com', address: 'Leave@in.shop.example.com' } });
    expect(mailer.catalog.config.sending.unsubscribeMailto).toBe('leave@in.shop.example.com');
    expect(make({ unsubscribeMailbox: { receivingDomain: 'in.shop.example.com', address: 'leave@shop.example.com' } })).toThrow(/unsubscribeMailbox\.address.*in\.shop\.example\.com/);
    expect(make({ unsubscribeMailbox: { receivingDomain: 'not a domain' } })).toThrow(/unsubscribeMailbox\.receivingDomain/);
    expect(synth({ unsubscribeMailbox: { receivingDomain: 'in.shop.example.com', enabled: false } }).mailer.catalog.config.sending.unsubscribeMailto).toBeUndefined();
  });
});
