import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_BUNDLING } from './function-bundling.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Thrown at synth for connector props that cannot work; the message says what to change. */
export class ShopConnectorPropsError extends Error {
  override readonly name = 'ShopConnectorPropsError';
}

export interface ShopifyPartnerSourceProps {
  /**
   * The partner event source Shopify created in your account when you added the
   * EventBridge webhook subscription, e.g. `aws.partner/shopify.com/71018463553/lifecycle-mailer`.
   * The construct creates the partner event bus of that name and a rule to the mapping function.
   */
  readonly partnerEventSourceName: string;
}

export interface ShopConnectorProps {
  /** The bus the mapped shop events are published to. */
  readonly shopBus: events.IEventBus;
  /** The `shop-connector` table (delivery ids, order owners). */
  readonly table: dynamodb.ITable;
  /** Where payloads that cannot be mapped are set aside. */
  readonly failedEventsTable: dynamodb.ITable;
  /**
   * Shopify through its Amazon EventBridge partner event source (no HMAC needed on that path).
   * @default - no partner bus; Shopify and WooCommerce reach the HTTPS webhook endpoint only
   */
  readonly shopify?: ShopifyPartnerSourceProps;
  /**
   * Retention of the connector functions' log groups.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

const PARTNER_SOURCE = /^aws\.partner\/shopify\.com\/\d+\/[A-Za-z0-9._\-/]+$/;
/** The table items the connector reads and writes: one item at a time, no scans. */
const TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

/**
 * Connects a shop: the HTTPS webhook endpoint for Shopify and WooCommerce (a Function URL,
 * authenticated by the platforms' HMAC signatures), and optionally Shopify's EventBridge
 * partner source. Both map the platforms' payloads to shop events on the shop bus.
 */
export class ShopConnector extends Construct {
  /** Verifies, dedupes, maps and publishes HTTPS webhooks. */
  readonly webhookFunction: NodejsFunction;
  /** `<url>webhooks/shopify` and `<url>webhooks/woocommerce`. */
  readonly webhookUrl: lambda.FunctionUrl;
  /**
   * The signing secrets, as JSON: `{"shopify": ["<app secret>"], "woocommerce": ["<webhook secret>"]}`;
   * two per platform during a rotation. Set its value after the first deploy.
   */
  readonly webhookSecret: secretsmanager.Secret;
  readonly partnerBus?: events.EventBus;
  readonly partnerRule?: events.Rule;
  readonly partnerFunction?: NodejsFunction;
  /** Events the partner rule could not deliver to the mapping function. */
  readonly partnerDeadLetterQueue?: sqs.Queue;

  constructor(scope: Construct, id: string, props: ShopConnectorProps) {
    super(scope, id);
    if (props.shopify && !PARTNER_SOURCE.test(props.shopify.partnerEventSourceName)) {
      throw new ShopConnectorPropsError(
        `shopify.partnerEventSourceName: "${props.shopify.partnerEventSourceName}" is not a Shopify partner event source (expected aws.partner/shopify.com/<app id>/<name>, as the EventBridge console lists it)`,
      );
    }
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const environment = {
      SHOP_CONNECTOR_TABLE: props.table.tableName,
      FAILED_EVENTS_TABLE: props.failedEventsTable.tableName,
      SHOP_EVENT_BUS_NAME: props.shopBus.eventBusName,
    };

    this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
      description: 'Lifecycle Mailer: webhook signing secrets, {"shopify": [...], "woocommerce": [...]} (two each during a rotation).',
      // A placeholder value the connector reads as "no secrets yet" (every webhook refused) until you set the real ones.
      generateSecretString: { secretStringTemplate: JSON.stringify({ shopify: [], woocommerce: [] }), generateStringKey: 'placeholder', excludePunctuation: true },
    });
    Validations.of(this.webhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The secrets are issued by Shopify and WooCommerce, not by AWS: rotate them there, then put both old and new in this secret (the connector accepts two) until the old one is retired.',
    });

    this.webhookFunction = this.connectorFunction('Webhook', 'handler.ts', { ...environment, WEBHOOK_SECRET_ARN: this.webhookSecret.secretArn }, logRetention);
    this.grantConnectorAccess(this.webhookFunction, props);
    this.webhookSecret.grantRead(this.webhookFunction);
    // Public on purpose: Shopify and WooCommerce post without AWS credentials. Every request must
    // carry the platform's HMAC of its body, which the handler verifies before anything is stored.
    this.webhookUrl = this.webhookFunction.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    if (props.shopify) {
      const { partnerEventSourceName } = props.shopify;
      this.partnerBus = new events.EventBus(this, 'ShopifyPartnerBus', { eventSourceName: partnerEventSourceName });
      this.partnerFunction = this.connectorFunction('ShopifyPartner', 'partner-handler.ts', environment, logRetention);
      this.grantConnectorAccess(this.partnerFunction, props);
      this.partnerDeadLetterQueue = new sqs.Queue(this, 'ShopifyPartnerDlq', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
      Validations.of(this.partnerDeadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This is the dead-letter queue of the Shopify partner rule (events it could not deliver); it needs no DLQ of its own.' });
      this.partnerRule = new events.Rule(this, 'ShopifyPartnerRule', {
        description: 'Lifecycle Mailer: Shopify webhooks from the partner event source → shop connector',
        eventBus: this.partnerBus,
        eventPattern: { source: [partnerEventSourceName] },
      });
      this.partnerRule.addTarget(new eventTargets.LambdaFunction(this.partnerFunction, { deadLetterQueue: this.partnerDeadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(6) }));
    }
  }

  /** Least privilege: PutEvents on the shop bus, single items of its own table, PutItem on failed events. */
  private grantConnectorAccess(fn: NodejsFunction, props: ShopConnectorProps): void {
    props.shopBus.grantPutEventsTo(fn);
    iam.Grant.addToPrincipal({ grantee: fn, actions: TABLE_ACTIONS, resourceArns: [props.table.tableArn] });
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['dynamodb:PutItem'], resourceArns: [props.failedEventsTable.tableArn] });
  }

  private connectorFunction(name: string, entry: string, environment: Record<string, string>, retention: logs.RetentionDays): NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${name}FunctionLogs`, { retention, removalPolicy: RemovalPolicy.DESTROY });
    const role = new iam.Role(this, `${name}FunctionRole`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `Lifecycle Mailer shop connector (${name})` });
    logGroup.grantWrite(role);
    const fn = new NodejsFunction(this, `${name}Function`, {
      entry: join(PROJECT_ROOT, 'functions', 'connector', entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // Shopify waits 5 s for an answer; the work is a verify, a conditional put and a PutEvents.
      timeout: Duration.seconds(10),
      role,
      logGroup,
      description: `Lifecycle Mailer: shop connector (${name})`,
      environment: { ...environment, POWERTOOLS_SERVICE_NAME: 'lifecycle-mailer', NODE_OPTIONS: '--enable-source-maps' },
      bundling: FUNCTION_BUNDLING,
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Pinned to Node.js 22 (the runtime the code and its tests target); move to 24 deliberately, with a test run, not by default.',
    });
    return fn;
  }
}
