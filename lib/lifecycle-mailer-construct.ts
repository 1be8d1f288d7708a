import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sesActions from 'aws-cdk-lib/aws-ses-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Catalog } from '#domain/catalog.ts';
import { PAUSE_LOG_MESSAGE } from '#domain/deliverability-guardrail.ts';
import { SES_DETAIL_TYPES } from '#domain/ses-events.ts';
import { stepCampaignIds } from '#domain/journey.ts';
import { toSchedulerCron } from './cron-expression.ts';
import { EVENT_ROUTES, type EventPattern, type FunctionName, QUEUE_ROUTES, scheduleRoutes } from './routes.ts';
import { type AccessName, FUNCTION_ACCESS, type TableGrant, tableEnvironment } from './function-access.ts';
import { DistributedSegmentation } from './segmentation-construct.ts';
import { TABLES, type TableName } from './tables.ts';
import { ShopConnector, type ShopifyPartnerSourceProps } from './shop-connector-construct.ts';
import { Privacy } from './privacy-construct.ts';
import { FUNCTION_BUNDLING } from './function-bundling.ts';
import { Journeys } from './journeys-construct.ts';
import { sendConcurrency } from '#domain/send-rate.ts';

/** The repository root: function entry points, the lock file and tsconfig live here. */
const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface UnsubscribeMailbox {
  /** A domain SES receives mail for in this region, e.g. `mailer.shop.example.com`. */
  readonly receivingDomain: string;
  /**
   * The address in List-Unsubscribe.
   * @default - `sending.unsubscribeMailto` when it is on receivingDomain, else `unsubscribe@<receivingDomain>`
   */
  readonly address?: string;
  /**
   * Add the receipt rule to this rule set (the account's active one) instead of a new set.
   * @default - a new rule set, to be activated with `aws ses set-active-receipt-rule-set`
   */
  readonly receiptRuleSet?: ses.IReceiptRuleSet;
  /** @default true when receivingDomain is given */
  readonly enabled?: boolean;
}

/** Thrown at synth for props that cannot work together; the message says what to change. */
export class LifecycleMailerPropsError extends Error {
  override readonly name = 'LifecycleMailerPropsError';
}

export interface SegmentationSchedule {
  /** Five-field cron (minute hour day-of-month month day-of-week). */
  readonly cron: string;
  /** IANA time zone the cron is evaluated in, e.g. `Europe/Berlin`. */
  readonly timeZone: string;
}

export interface LifecycleMailerProps {
  /**
   * Config, campaigns and compiled templates, from `buildCatalog(projectPaths(root))`.
   * Bundled next to every function as `catalog.json` (with the overrides below applied),
   * so the functions never need mjml or the YAML files.
   */
  readonly catalog: Catalog;

  /**
   * The verified SES identity mail is sent from: a domain (`shop.example.com`) or one
   * email address. It must cover the `from` address of every enabled campaign: the send
   * function may call `ses:SendEmail` on this identity only.
   * @default - the one domain all enabled campaigns send from
   */
  readonly senderIdentity?: string;

  /**
   * Create the `AWS::SES::EmailIdentity` for `senderIdentity` (a domain identity then
   * needs its DKIM records published). Most accounts have verified it already.
   * @default false
   */
  readonly createEmailIdentity?: boolean;

  /**
   * Name of the SES configuration set this construct creates and every message names.
   * @default - `sending.configurationSet` from mailer.config.yaml
   */
  readonly configurationSetName?: string;

  /**
   * Base URL of the unsubscribe endpoint put in every message's List-Unsubscribe header.
   * The Function URL is known only after the first deploy: deploy, then set this to the
   * `UnsubscribeUrl` output (or a domain you serve it under) and deploy again.
   * @default - `sending.unsubscribeBaseUrl` from mailer.config.yaml
   */
  readonly unsubscribeBaseUrl?: string;

  /**
   * Receive unsubscribe mails (the List-Unsubscribe `mailto:`) with an SES receipt rule and
   * unsubscribe their senders. Without it the header carries only the https URL: a mailbox
   * nobody reads is not advertised. The receiving domain needs an MX record pointing to SES
   * inbound (`inbound-smtp.<region>.amazonaws.com`), and the rule set must be the active one.
   * @default - no mailbox; `sending.unsubscribeMailto` is left out of every message
   */
  readonly unsubscribeMailbox?: UnsubscribeMailbox;

  /**
   * When the daily segmentation runs.
   * @default - `segmentation` from mailer.config.yaml
   */
  readonly segmentationSchedule?: SegmentationSchedule;

  /**
   * The SES account's maximum send rate (messages per second). Caps the send function's
   * concurrency on the queue: max(2, ceil(rate / 10)).
   * @default - `sending.maxSendRate` from mailer.config.yaml
   */
  readonly maxSendRate?: number;

  /**
   * Email address subscribed to the alarm topic (it must confirm the subscription).
   * @default - no subscription; alarms still publish to `alarmTopic`
   */
  readonly alarmEmail?: string;

  /**
   * What happens to tables holding customer data when the stack is deleted.
   * `RETAIN` keeps them (delete by hand); `DESTROY` is for throwaway test stacks.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * How long the shop bus archive keeps events for replay. Events carry email addresses:
   * keep this no longer than your privacy policy allows.
   * @default Duration.days(365)
   */
  readonly eventArchiveRetention?: Duration;

  /**
   * Retention of the functions' log groups.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Shopify through its Amazon EventBridge partner event source (see lib/shop-connector-construct.ts).
   * @default - HTTPS webhooks only
   */
  readonly shopify?: ShopifyPartnerSourceProps;
}

/** Per-function sizing. The send timeout follows the queue's visibility timeout instead. */
const FUNCTION_SIZING: Record<Exclude<FunctionName, 'send' | 'journey'>, { memorySize: number; timeout: Duration }> = {
  ingest: { memorySize: 512, timeout: Duration.seconds(30) },
  segment: { memorySize: 1024, timeout: Duration.minutes(15) },
  engagement: { memorySize: 512, timeout: Duration.seconds(30) },
};

/** The queues a function may be given (lib/function-access.ts `sendQueue`, `journeyQueue`). */
interface FunctionQueues {
  send: sqs.Queue;
  journey: sqs.Queue;
}

const SERVICE_NAME = 'lifecycle-mailer';
const CATALOG_PATH = '/var/task/catalog.json';

/** SES bounce and complaint rates that raise an alarm, below the 5% and 0.1% at which SES reviews an account. */
/** Where the stack's own metrics (from log metric filters) live. */
export const METRIC_NAMESPACE = 'LifecycleMailer';
export const SES_BOUNCE_RATE_ALARM = 0.04;
/** The public unsubscribe function's reserved concurrency: enough for bursts of clicks, a cap on abuse. */
export const UNSUBSCRIBE_RESERVED_CONCURRENCY = 10;
export const SES_COMPLAINT_RATE_ALARM = 0.0008;

export { sendConcurrency };

/**
 * The Lifecycle Mailer on AWS: shop events and SES engagement events in through
 * EventBridge, segmentation on EventBridge Scheduler, sends through an SQS queue to SES v2,
 * state in DynamoDB. Every rule, schedule and queue comes from `lib/routes.ts` and every
 * table from `lib/tables.ts`, the same tables the local runtime runs on.
 */
export class LifecycleMailer extends Construct {
  /** The catalog as bundled: the input catalog with this construct's overrides applied. */
  readonly catalog: Catalog;
  readonly senderIdentity: string;
  readonly tables: Readonly<Record<TableName, dynamodb.Table>>;
  /** The bus shops publish their events to (source `lifecycle-mailer.shop`). */
  readonly shopBus: events.EventBus;
  readonly sendQueue: sqs.Queue;
  readonly functions: Readonly<Record<FunctionName, NodejsFunction>>;
  readonly configurationSet: ses.ConfigurationSet;
  readonly emailIdentity?: ses.EmailIdentity;
  /** Holds the HMAC key for unsubscribe links. */
  readonly unsubscribeSecret: secretsmanager.Secret;
  /** The salt of the address hashes (identity links, erased addresses). */
  readonly privacySalt: secretsmanager.Secret;
  /** Every dead-letter queue; each has a depth alarm. */
  readonly deadLetterQueues: readonly sqs.Queue[];
  /** The segmentation state machine, its coordinator and worker functions. */
  readonly segmentation: DistributedSegmentation;
  readonly alarmTopic: sns.Topic;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;
  /** The unsubscribe function and its public URL, when `functions/unsubscribe/handler.ts` exists. */
  readonly unsubscribeFunction?: NodejsFunction;
  readonly unsubscribeUrl?: lambda.FunctionUrl;
  /** The journey function's queue, wait schedule group and Scheduler role (lib/journeys-construct.ts). */
  readonly journeys: Journeys;
  /** Shopify and WooCommerce webhooks (and the optional Shopify partner source) into the shop bus. */
  readonly shopConnector: ShopConnector;
  /** Data-subject requests: export and erase (by hand, or Shopify's privacy webhooks through the connector). */
  readonly privacy: Privacy;
  /** The function SES hands unsubscribe mails to, and the address it receives them at (with `unsubscribeMailbox`). */
  readonly unsubscribeMailFunction?: NodejsFunction;
  readonly unsubscribeMailAddress?: string;

  private readonly catalogFile: string;
  private readonly logRetention: logs.RetentionDays;
  private readonly dlqs: sqs.Queue[] = [];
  private readonly dlqPurpose = new Map<sqs.Queue, string>();
  private readonly alarmList: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: LifecycleMailerProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy === RemovalPolicy.SNAPSHOT) {
      throw new LifecycleMailerPropsError('removalPolicy: DynamoDB tables cannot be snapshotted on delete; use RETAIN (default) or DESTROY');
    }
    if (props.alarmEmail !== undefined && !EMAIL.test(props.alarmEmail)) {
      throw new LifecycleMailerPropsError(`alarmEmail: "${props.alarmEmail}" is not an email address`);
    }
    this.catalog = effectiveCatalog(props);
    this.senderIdentity = resolveSenderIdentity(this.catalog, props.senderIdentity);
    const schedules = scheduleRoutes(this.catalog).map((route) => ({ ...route, expression: schedulerCron(route.cron, route.id, this.catalog) }));
    this.catalogFile = writeCatalogFile(this.catalog);
    this.logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;

    // --- DynamoDB: one table per TABLES entry ----------------------------------------
    const tables = {} as Record<TableName, dynamodb.Table>;
    for (const def of TABLES) {
      tables[def.name] = new dynamodb.Table(this, `${pascal(def.name)}Table`, {
        partitionKey: { name: def.partitionKey, type: dynamodb.AttributeType.STRING },
        ...(def.sortKey ? { sortKey: { name: def.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
        ...(def.timeToLiveAttribute ? { timeToLiveAttribute: def.timeToLiveAttribute } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        // Derived data (model fits) can be rebuilt; customer data and pause records are kept unless told otherwise.
        removalPolicy: def.holdsCustomerData || def.retainOnDelete ? removalPolicy : RemovalPolicy.DESTROY,
      });
    }
    this.tables = tables;

    // --- SQS: queues from QUEUE_ROUTES, each with a dead-letter queue -----------------
    const queues = new Map<FunctionName, { queue: sqs.Queue; route: (typeof QUEUE_ROUTES)[number] }>();
    // The journey queue is the Journeys construct's.
    for (const route of QUEUE_ROUTES.filter((r) => r.target !== 'journey')) {
      const queue = new sqs.Queue(this, route.id, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: Duration.seconds(route.visibilityTimeoutSeconds),
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: this.deadLetterQueue(`${route.id}Dlq`, `messages ${route.target} failed ${route.maxReceiveCount} times`), maxReceiveCount: route.maxReceiveCount },
      });
      queues.set(route.target, { queue, route });
    }
    const send = queues.get('send');
    if (!send) throw new LifecycleMailerPropsError("lib/routes.ts: QUEUE_ROUTES has no route to 'send'");
    this.sendQueue = send.queue;

    // --- Unsubscribe secret -------------------------------------------------------------
    // Generated as a bare key (read as {"current": key}); a rotation stores {"current": new, "previous": old}.
    this.unsubscribeSecret = new secretsmanager.Secret(this, 'UnsubscribeSecret', {
      description: 'HMAC keys that sign unsubscribe and confirmation links: a bare key, or {"current": …, "previous": …} after a rotation.',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.unsubscribeSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotated by hand (README, Deploy): links verify with the current key and then the previous one, so the old key must stay as "previous" for sending.unsubscribeLinkDays; an automatic rotation Lambda would drop it too early.',
    });

    this.privacySalt = new secretsmanager.Secret(this, 'PrivacySalt', {
      description: 'Salt of the HMAC-SHA256 address hashes in the identities table (identity links, erased addresses).',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.privacySalt).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Never rotated: a new salt would make every stored address hash (erased addresses among them) unrecognisable, and an erased person could be mailed again.',
    });

    // --- Lambda functions ---------------------------------------------------------------
    const functions = {} as Record<FunctionName, NodejsFunction>;
    // The journey queue first: ingest and segmentation put stage changes on it.
    const journeyRoute = QUEUE_ROUTES.find((r) => r.target === 'journey');
    if (!journeyRoute) throw new LifecycleMailerPropsError("lib/routes.ts: QUEUE_ROUTES has no route to 'journey'");
    this.journeys = new Journeys(this, 'Journeys', {
      route: journeyRoute,
      deadLetterQueue: (scope, id, holds) => this.deadLetterQueue(id, holds, scope),
      createFunction: (environment, timeout, journeyQueue) => {
        const fn = this.createFunction('journey', {
          memorySize: 512,
          timeout,
          environment: { ...this.accessEnvironment('journey', { send: send.queue, journey: journeyQueue }), ...environment },
          // Invoked asynchronously by its EventBridge rules too.
          asyncFailureQueue: this.deadLetterQueue('JourneyAsyncFailures', 'journey invocations that failed after retries'),
        });
        this.grantAccess('journey', fn, { send: send.queue, journey: journeyQueue });
        return fn;
      },
    });
    const functionQueues = { send: send.queue, journey: this.journeys.queue };
    for (const name of ['ingest', 'segment', 'send', 'engagement'] as const satisfies readonly FunctionName[]) {
      const isSend = name === 'send';
      const sizing = isSend
        ? { memorySize: 512, timeout: Duration.seconds(sendTimeoutSeconds(send.route.visibilityTimeoutSeconds)) }
        : FUNCTION_SIZING[name];
      const fn = this.createFunction(name, {
        ...sizing,
        environment: this.accessEnvironment(name, functionQueues),
        // Invoked asynchronously (EventBridge, Scheduler): failures after Lambda's own retries land here.
        asyncFailureQueue: isSend ? undefined : this.deadLetterQueue(`${pascal(name)}AsyncFailures`, `${name} invocations that failed after retries`),
      });
      this.grantAccess(name, fn, functionQueues);
      functions[name] = fn;
    }
    functions.journey = this.journeys.function;
    this.functions = functions;

    // --- Segmentation on Step Functions (lib/segmentation-construct.ts) -------------------
    this.segmentation = new DistributedSegmentation(this, 'Segmentation', {
      singlePass: functions.segment,
      singlePassTimeout: FUNCTION_SIZING.segment.timeout,
      logRetention: this.logRetention,
      deadLetterQueue: (scope, id, holds) => this.deadLetterQueue(id, holds, scope),
      createFunction: (name, environment, sizing) => {
        const fn = this.createFunction(name, { ...sizing, environment: { ...this.accessEnvironment(name, functionQueues), ...environment } });
        this.grantAccess(name, fn, functionQueues);
        return fn;
      },
    });

    // --- Queue consumers ----------------------------------------------------------------
    const maxSendRate = this.catalog.config.sending.maxSendRate;
    for (const [target, { queue, route }] of queues) {
      functions[target].addEventSource(
        new SqsEventSource(queue, {
          batchSize: route.batchSize,
          reportBatchItemFailures: true,
          // Holds the SES send rate: each instance paces itself to maxSendRate / this (see send-rate.ts).
          maxConcurrency: sendConcurrency(maxSendRate),
        }),
      );
    }

    // --- EventBridge: the shop bus, its archive, and the rules from EVENT_ROUTES --------
    this.shopBus = new events.EventBus(this, 'ShopBus', { description: 'Lifecycle Mailer: customer and order events published by the shop.' });
    new events.Archive(this, 'ShopEventArchive', {
      sourceEventBus: this.shopBus,
      description: 'Every shop event, for replay after a fix or into a new stack.',
      eventPattern: { account: [Stack.of(this).account] },
      retention: props.eventArchiveRetention ?? Duration.days(365),
    });
    for (const route of EVENT_ROUTES) {
      const rule = new events.Rule(this, route.id, {
        description: `Lifecycle Mailer route ${route.id} → ${route.target}`,
        // 'default': the account's default bus, the only bus SES publishes events to.
        ...(route.bus === 'shop' ? { eventBus: this.shopBus } : {}),
        eventPattern: toEventPattern(route.pattern),
      });
      rule.addTarget(
        new eventTargets.LambdaFunction(functions[route.target], {
          deadLetterQueue: this.deadLetterQueue(`${route.id}Dlq`, `events ${route.id} could not deliver to ${route.target}`),
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      );
    }

    this.shopConnector = new ShopConnector(this, 'ShopConnector', {
      shopBus: this.shopBus,
      table: tables['shop-connector'],
      failedEventsTable: tables['failed-events'],
      logRetention: this.logRetention,
      ...(props.shopify ? { shopify: props.shopify } : {}),
    });
    this.privacy = new Privacy(this, 'Privacy', { tables, shopBus: this.shopBus, privacySalt: this.privacySalt, logRetention: this.logRetention });

    // --- EventBridge Scheduler: segmentation and scheduled campaigns -------------------
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'Lets EventBridge Scheduler start the segmentation state machine (and nothing else).',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    const scheduleDlq = this.deadLetterQueue('ScheduleDlq', 'scheduled runs Scheduler could not deliver');
    for (const route of schedules) {
      new scheduler.Schedule(this, `${route.id}Schedule`, {
        description: `Lifecycle Mailer: ${route.input.recompute ? 'segmentation' : `campaigns ${route.input.campaignIds.join(', ')}`} (${route.cron} ${route.timeZone})`,
        schedule: scheduler.ScheduleExpression.expression(route.expression, TimeZone.of(route.timeZone)),
        // Every scheduled run starts the segmentation state machine (one pass or fanned out, by table size).
        target: new schedulerTargets.StepFunctionsStartExecution(this.segmentation.stateMachine, {
          role: schedulerRole,
          input: scheduler.ScheduleTargetInput.fromObject(route.input),
          deadLetterQueue: scheduleDlq,
          retryAttempts: 3,
          maxEventAge: Duration.hours(6),
        }),
      });
    }

    // --- SES: configuration set, events to the default bus, optional identity ---------
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: this.catalog.config.sending.configurationSet,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    // Open and click tracking are on for every message sent with this configuration set,
    // because its event destination subscribes to Open and Click.
    this.configurationSet.addEventDestination('ToEventBridge', {
      destination: ses.EventDestination.eventBus(events.EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: sesEventTypes(),
      enabled: true,
    });
    if (props.createEmailIdentity) {
      this.emailIdentity = new ses.EmailIdentity(this, 'SenderIdentity', {
        identity: this.senderIdentity.includes('@') ? ses.Identity.email(this.senderIdentity) : ses.Identity.domain(this.senderIdentity),
        configurationSet: this.configurationSet,
      });
    }
    const stack = Stack.of(this);
    functions.send.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: this.senderIdentity }),
          stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.configurationSet.configurationSetName }),
        ],
      }),
    );

    // --- Unsubscribe endpoint (when its handler exists) --------------------------------
    if (existsSync(join(PROJECT_ROOT, 'functions/unsubscribe/handler.ts'))) {
      const fn = this.createFunction('unsubscribe', {
        memorySize: 256,
        timeout: Duration.seconds(10),
        environment: this.accessEnvironment('unsubscribe', functionQueues),
        // Public: a flood of requests must not take the account's whole concurrency from the pipeline.
        reservedConcurrentExecutions: UNSUBSCRIBE_RESERVED_CONCURRENCY,
      });
      // A double opt-in confirmation queues the welcome, or sets it aside when the queue fails.
      this.grantAccess('unsubscribe', fn, functionQueues);
      this.unsubscribeFunction = fn;
      // Public on purpose: mail clients POST here (RFC 8058) without credentials. Every
      // request must carry an HMAC-signed token, which the handler verifies before any write.
      this.unsubscribeUrl = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    }

    // --- Unsubscribe mailbox: SES receipt rule → function (when a receiving domain is given) ---
    const mailto = this.catalog.config.sending.unsubscribeMailto;
    if (mailto && props.unsubscribeMailbox) {
      const fn = this.createFunction('unsubscribe-mail', {
        memorySize: 256,
        timeout: Duration.seconds(10),
        environment: this.accessEnvironment('unsubscribe-mail', functionQueues),
        reservedConcurrentExecutions: UNSUBSCRIBE_RESERVED_CONCURRENCY,
        asyncFailureQueue: this.deadLetterQueue('UnsubscribeMailAsyncFailures', 'unsubscribe mails that failed after retries'),
      });
      this.grantAccess('unsubscribe-mail', fn, functionQueues);
      const ruleSet = props.unsubscribeMailbox.receiptRuleSet ?? new ses.ReceiptRuleSet(this, 'UnsubscribeMailRuleSet');
      new ses.ReceiptRule(this, 'UnsubscribeMailRule', {
        ruleSet,
        recipients: [mailto],
        scanEnabled: true,
        tlsPolicy: ses.TlsPolicy.REQUIRE,
        // The token is in the subject, which this action's event carries: the body is never stored.
        actions: [new sesActions.Lambda({ function: fn, invocationType: sesActions.LambdaInvocationType.EVENT })],
      });
      this.unsubscribeMailFunction = fn;
      this.unsubscribeMailAddress = mailto;
    }

    // --- Alarms, their topic, and a dashboard ------------------------------------------
    const alarmKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Lifecycle Mailer alarm topic.',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch publishes alarm notifications to the encrypted topic.
    alarmKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Lifecycle Mailer alarms', masterKey: alarmKey, enforceSSL: true });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new snsSubscriptions.EmailSubscription(props.alarmEmail));
    this.deadLetterQueues = this.dlqs;
    this.alarms = this.alarmList;
    this.createAlarms();
    this.dashboard = this.createDashboard();
  }

  /** A function's environment: the tables (and the queue) its access declares, nothing more. */
  private accessEnvironment(name: AccessName, queues: FunctionQueues): Record<string, string> {
    const access = FUNCTION_ACCESS[name];
    return {
      ...tableEnvironment(name, (t) => this.tables[t].tableName),
      ...(access.sendQueue ? { SEND_QUEUE_URL: queues.send.queueUrl } : {}),
      ...(access.journeyQueue ? { JOURNEY_QUEUE_URL: queues.journey.queueUrl } : {}),
      // The secret's ARN, never its value: the function reads the keys from Secrets Manager at cold start.
      ...(access.signingKeys ? { SIGNING_KEYS_SECRET_ARN: this.unsubscribeSecret.secretArn } : {}),
      ...(access.privacySalt ? { PRIVACY_SALT_SECRET_ARN: this.privacySalt.secretArn } : {}),
    };
  }

  /** Exactly the DynamoDB actions lib/function-access.ts declares, on exactly its tables; the queue if declared. */
  private grantAccess(name: AccessName, fn: NodejsFunction, queues: FunctionQueues): void {
    const access = FUNCTION_ACCESS[name];
    for (const [table, grants] of Object.entries(access.tables) as [TableName, readonly TableGrant[]][]) {
      for (const grant of grants) {
        iam.Grant.addToPrincipal({
          grantee: fn,
          actions: grant.actions.map((a) => `dynamodb:${a}`),
          resourceArns: [this.tables[table].tableArn],
          ...(grant.leadingKeys ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...grant.leadingKeys] } } } : {}),
        });
      }
    }
    if (access.sendQueue) queues.send.grantSendMessages(fn);
    if (access.journeyQueue) queues.journey.grantSendMessages(fn);
    if (access.signingKeys) this.unsubscribeSecret.grantRead(fn);
    if (access.privacySalt) this.privacySalt.grantRead(fn);
  }

  private allFunctions(): [string, NodejsFunction][] {
    return [
      ...Object.entries(this.functions),
      ...(this.unsubscribeFunction ? [['unsubscribe', this.unsubscribeFunction] as [string, NodejsFunction]] : []),
      ...(this.unsubscribeMailFunction ? [['unsubscribe-mail', this.unsubscribeMailFunction] as [string, NodejsFunction]] : []),
      ['segment-coordinator', this.segmentation.coordinator],
      ['segment-worker', this.segmentation.worker],
    ];
  }

  private deadLetterQueue(id: string, holds: string, scope: Construct = this): sqs.Queue {
    const queue = new sqs.Queue(scope, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: `This is a dead-letter queue (${holds}); it has a depth alarm and needs no DLQ of its own.` });
    this.dlqs.push(queue);
    this.dlqPurpose.set(queue, holds);
    return queue;
  }

  private createFunction(
    name: AccessName,
    options: { memorySize: number; timeout: Duration; environment: Record<string, string>; asyncFailureQueue?: sqs.Queue | undefined; reservedConcurrentExecutions?: number },
  ): NodejsFunction {
    const id = `${pascal(name)}Function`;
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: this.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    // An own role rather than AWSLambdaBasicExecutionRole: writes to its own log group only.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Lifecycle Mailer ${name} function`,
    });
    logGroup.grantWrite(role);
    const catalogFile = this.catalogFile;
    const fn = new NodejsFunction(this, id, {
      entry: join(PROJECT_ROOT, 'functions', name, 'handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: options.memorySize,
      timeout: options.timeout,
      ...(options.reservedConcurrentExecutions ? { reservedConcurrentExecutions: options.reservedConcurrentExecutions } : {}),
      role,
      logGroup,
      description: `Lifecycle Mailer: ${name}`,
      environment: {
        ...options.environment,
        CATALOG_PATH,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        NODE_OPTIONS: '--enable-source-maps',
      },
      ...(options.asyncFailureQueue
        ? { retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(options.asyncFailureQueue) }
        : {}),
      bundling: {
        ...FUNCTION_BUNDLING,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // The catalog (config, campaigns, compiled templates) ships next to the handler.
          afterBundling: (_inputDir: string, outputDir: string) => [`cp ${shellQuote(catalogFile)} ${shellQuote(join(outputDir, 'catalog.json'))}`],
        },
      },
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Pinned to Node.js 22 (the runtime the code and its tests target); move to 24 deliberately, with a test run, not by default.',
    });
    return fn;
  }

  private createAlarms() {
    const alarm = (id: string, props: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, id, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...props });
      a.addAlarmAction(new cloudwatchActions.SnsAction(this.alarmTopic));
      this.alarmList.push(a);
      return a;
    };
    for (const m of this.segmentation.alarmMetrics()) {
      alarm(m.id, { alarmDescription: m.description, metric: m.metric, threshold: 0, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, evaluationPeriods: 1 });
    }
    for (const dlq of this.dlqs) {
      alarm(`${dlq.node.id}DepthAlarm`, {
        alarmDescription: `Dead-letter queue ${dlq.node.id} is not empty: ${this.dlqPurpose.get(dlq)}. Inspect, fix, then redrive.`,
        metric: dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
    for (const [name, fn] of this.allFunctions()) {
      alarm(`${pascal(name)}ErrorsAlarm`, {
        alarmDescription: `The ${name} function is failing.`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
      alarm(`${pascal(name)}ThrottlesAlarm`, {
        alarmDescription: `The ${name} function is throttled (account concurrency exhausted?).`,
        metric: fn.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
    alarm('SendQueueAgeAlarm', {
      alarmDescription: 'Sends are falling behind: the oldest message has waited over an hour.',
      metric: this.sendQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 3600,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
    // The guardrail stops sending on its own; someone must look and decide to resume.
    // Engagement pauses on rates; send pauses all marketing when SES refuses the account. One metric.
    const pauses = new logs.MetricFilter(this, 'GuardrailPauseMetricFilter', {
      logGroup: this.functions.engagement.logGroup,
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', PAUSE_LOG_MESSAGE),
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'GuardrailPauses',
      metricValue: '1',
    });
    new logs.MetricFilter(this, 'SesAccountPauseMetricFilter', {
      logGroup: this.functions.send.logGroup,
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', PAUSE_LOG_MESSAGE),
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'GuardrailPauses',
      metricValue: '1',
    });
    alarm('GuardrailPauseAlarm', {
      alarmDescription: `The deliverability guardrail paused a campaign or all marketing (bounce or complaint rate near SES review, or SES refusing the account). See why with \`lifecycle-mailer pauses --table ${this.tables.deliverability.tableName}\`; resume only after fixing the cause, with \`lifecycle-mailer resume\`.`,
      metric: pauses.metric({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('SesBounceRateAlarm', {
      alarmDescription: `SES bounce rate above ${SES_BOUNCE_RATE_ALARM * 100}% (SES reviews the account at 5%). Check list hygiene and recent imports.`,
      metric: sesReputation('Reputation.BounceRate'),
      threshold: SES_BOUNCE_RATE_ALARM,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('SesComplaintRateAlarm', {
      alarmDescription: `SES complaint rate above ${SES_COMPLAINT_RATE_ALARM * 100}% (SES reviews the account at 0.1%). Check frequency caps and consent.`,
      metric: sesReputation('Reputation.ComplaintRate'),
      threshold: SES_COMPLAINT_RATE_ALARM,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  private createDashboard(): cloudwatch.Dashboard {
    const fns = this.allFunctions();
    const period = Duration.minutes(5);
    const ses5m = (metricName: string) => new cloudwatch.Metric({ namespace: 'AWS/SES', metricName, statistic: cloudwatch.Stats.SUM, period, label: metricName });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(1) });
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarmList, width: 24, height: 4 }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Invocations', left: fns.map(([n, f]) => f.metricInvocations({ period, label: n })), width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Errors and throttles', left: fns.map(([n, f]) => f.metricErrors({ period, label: `${n} errors` })), right: fns.map(([n, f]) => f.metricThrottles({ period, label: `${n} throttles` })), width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Duration p95', left: fns.map(([n, f]) => f.metricDuration({ period, statistic: 'p95', label: n })), width: 8 }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Send queue',
        left: [this.sendQueue.metricApproximateNumberOfMessagesVisible({ period, label: 'waiting' }), this.sendQueue.metricNumberOfMessagesDeleted({ period, statistic: cloudwatch.Stats.SUM, label: 'done' })],
        right: [this.sendQueue.metricApproximateAgeOfOldestMessage({ period, label: 'oldest (s)' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues',
        left: this.dlqs.map((q) => q.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM, label: q.node.id })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'SES', left: ['Send', 'Delivery', 'Open', 'Click', 'Bounce', 'Complaint'].map(ses5m), width: 8 }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'SES reputation',
        left: [sesReputation('Reputation.BounceRate'), sesReputation('Reputation.ComplaintRate')],
        leftAnnotations: [
          { value: SES_BOUNCE_RATE_ALARM, label: 'bounce alarm' },
          { value: SES_COMPLAINT_RATE_ALARM, label: 'complaint alarm' },
        ],
        width: 24,
      }),
    );
    return dashboard;
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** The input catalog with the construct's overrides, validated by the same schema the functions parse. */
function effectiveCatalog(props: LifecycleMailerProps): Catalog {
  const { config } = props.catalog;
  if (props.maxSendRate !== undefined && !(Number.isFinite(props.maxSendRate) && props.maxSendRate > 0)) {
    throw new LifecycleMailerPropsError(`maxSendRate: expected a positive number of messages per second, got ${props.maxSendRate}`);
  }
  const candidate = {
    ...props.catalog,
    config: {
      ...config,
      sending: {
        ...config.sending,
        configurationSet: props.configurationSetName ?? config.sending.configurationSet,
        maxSendRate: props.maxSendRate ?? config.sending.maxSendRate,
        unsubscribeBaseUrl: props.unsubscribeBaseUrl ?? config.sending.unsubscribeBaseUrl,
        // Advertised only when a mailbox receives it (honoured or not advertised).
        unsubscribeMailto: unsubscribeMailAddress(config.sending.unsubscribeMailto, props.unsubscribeMailbox),
      },
      segmentation: props.segmentationSchedule ? { cron: props.segmentationSchedule.cron, timeZone: props.segmentationSchedule.timeZone } : config.segmentation,
    },
  };
  const parsed = Catalog.safeParse(candidate);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new LifecycleMailerPropsError(`catalog (with configurationSetName/maxSendRate/unsubscribeBaseUrl/segmentationSchedule applied) is invalid: ${problems}`);
  }
  return parsed.data;
}

/** The List-Unsubscribe mailto: address a receipt rule will process, or undefined (not advertised). */
function unsubscribeMailAddress(configured: string | undefined, mailbox: UnsubscribeMailbox | undefined): string | undefined {
  if (!mailbox || mailbox.enabled === false) return undefined;
  const domain = mailbox.receivingDomain.toLowerCase();
  if (!DOMAIN.test(domain)) throw new LifecycleMailerPropsError(`unsubscribeMailbox.receivingDomain: "${mailbox.receivingDomain}" is not a domain (mailer.shop.example.com)`);
  const onDomain = (address: string) => address.split('@')[1]?.toLowerCase() === domain;
  if (mailbox.address !== undefined) {
    if (!EMAIL.test(mailbox.address) || !onDomain(mailbox.address)) {
      throw new LifecycleMailerPropsError(`unsubscribeMailbox.address: "${mailbox.address}" is not an address on the receiving domain ${domain}`);
    }
    return mailbox.address.toLowerCase();
  }
  return configured && onDomain(configured) ? configured.toLowerCase() : `unsubscribe@${domain}`;
}

/** The identity that covers the from address of every campaign that sends: enabled, or a step of an enabled journey. */
function resolveSenderIdentity(catalog: Catalog, explicit: string | undefined): string {
  const steps = new Set(catalog.journeys.filter((j) => j.enabled).flatMap(stepCampaignIds));
  const senders = catalog.campaigns.filter((c) => c.enabled || steps.has(c.id)).map((c) => ({ id: c.id, address: c.from.address.toLowerCase() }));
  if (explicit === undefined) {
    const domains = [...new Set(senders.map((s) => s.address.split('@')[1]!))];
    if (domains.length === 1) return domains[0]!;
    throw new LifecycleMailerPropsError(
      domains.length === 0
        ? 'senderIdentity: no campaign that sends names a from address; set senderIdentity to the verified SES domain or address'
        : `senderIdentity: the campaigns send from several domains (${domains.join(', ')}); the send function may use one SES identity — send from one domain, or set senderIdentity to it`,
    );
  }
  const identity = explicit.toLowerCase();
  const isEmail = identity.includes('@');
  if (isEmail ? !EMAIL.test(identity) : !DOMAIN.test(identity)) {
    throw new LifecycleMailerPropsError(`senderIdentity: "${explicit}" is neither a domain (shop.example.com) nor an email address`);
  }
  const uncovered = senders.filter((s) => (isEmail ? s.address !== identity : s.address.split('@')[1] !== identity));
  if (uncovered.length) {
    throw new LifecycleMailerPropsError(
      `senderIdentity: "${explicit}" does not cover the from address of ${uncovered.map((s) => `${s.id} (${s.address})`).join(', ')}; SES would refuse those sends`,
    );
  }
  return identity;
}

function schedulerCron(cron: string, routeId: string, catalog: Catalog): string {
  try {
    return toSchedulerCron(cron);
  } catch (error) {
    const campaigns = catalog.campaigns.filter((c) => c.enabled && c.trigger.type === 'schedule' && c.trigger.cron === cron).map((c) => c.id);
    const where = campaigns.length ? `campaigns ${campaigns.join(', ')}` : 'segmentation.cron / segmentationSchedule';
    throw new LifecycleMailerPropsError(`schedule ${routeId} (${where}): ${(error as Error).message}`);
  }
}

/** The routes table's raw pattern as the L2 EventPattern (which renders `detailType` back as `detail-type`). */
function toEventPattern(pattern: EventPattern): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern as Record<string, unknown>;
  return { ...rest, ...(detailType === undefined ? {} : { detailType }) } as events.EventPattern;
}

/** The SES event types the engagement function understands: every key of SES_DETAIL_TYPES. */
function sesEventTypes(): ses.EmailSendingEvent[] {
  const known = new Set<string>(Object.values(ses.EmailSendingEvent));
  return Object.keys(SES_DETAIL_TYPES).map((key) => {
    const value = key[0]!.toLowerCase() + key.slice(1);
    if (!known.has(value)) throw new Error(`SES event type ${key} has no aws-ses EmailSendingEvent`);
    return value as ses.EmailSendingEvent;
  });
}

/** Account-level SES reputation (a fraction: 0.05 is 5%). */
function sesReputation(metricName: 'Reputation.BounceRate' | 'Reputation.ComplaintRate'): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: 'AWS/SES', metricName, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(15) });
}

/** A visibility timeout of at least six times the function timeout, as AWS recommends for SQS consumers. */
function sendTimeoutSeconds(visibilityTimeoutSeconds: number): number {
  return Math.min(visibilityTimeoutSeconds, Math.max(10, Math.floor(visibilityTimeoutSeconds / 6)));
}

/** Writes the catalog once per content to a temp file the bundling step copies next to the handler. */
function writeCatalogFile(catalog: Catalog): string {
  const json = JSON.stringify(catalog);
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `lifecycle-mailer-catalog-${hash}.json`);
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, json);
    renameSync(partial, file);
  }
  return file;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const pascal = (s: string) => s.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
