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
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_BUNDLING } from './function-bundling.ts';
import { PRIVACY_REQUEST } from '#domain/privacy-request.ts';
import { SHOP_EVENT_SOURCE } from '#domain/shop-events.ts';
import { FUNCTION_ACCESS, type TableGrant, tableEnvironment } from './function-access.ts';
import type { TableName } from './tables.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface PrivacyProps {
  readonly tables: Readonly<Record<TableName, dynamodb.ITable>>;
  /** The shop bus: the connector puts Shopify's privacy webhooks there as `Privacy Request` events. */
  readonly shopBus: events.IEventBus;
  /** The salt of the address hashes in the identities table. */
  readonly privacySalt: secretsmanager.ISecret;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Data-subject rights in AWS: the privacy function exports or erases a person (invoke it by hand
 * with a request, or let Shopify's customers/data_request, customers/redact and shop/redact
 * webhooks reach it through the connector and the shop bus). Its grants are exactly those of
 * `privacy` in lib/function-access.ts.
 */
export class Privacy extends Construct {
  readonly privacyFunction: NodejsFunction;
  readonly rule: events.Rule;
  /** Requests the rule could not deliver. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: PrivacyProps) {
    super(scope, id);
    const access = FUNCTION_ACCESS.privacy;
    const logGroup = new logs.LogGroup(this, 'PrivacyFunctionLogs', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    const role = new iam.Role(this, 'PrivacyFunctionRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'Lifecycle Mailer privacy requests (export, erase)' });
    logGroup.grantWrite(role);
    this.privacyFunction = new NodejsFunction(this, 'PrivacyFunction', {
      entry: join(PROJECT_ROOT, 'functions', 'privacy', 'handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      // Scans every customer table: minutes on a large shop.
      timeout: Duration.minutes(15),
      role,
      logGroup,
      description: 'Lifecycle Mailer: privacy requests (export, erase)',
      environment: {
        ...tableEnvironment('privacy', (t) => props.tables[t].tableName),
        PRIVACY_SALT_SECRET_ARN: props.privacySalt.secretArn,
        POWERTOOLS_SERVICE_NAME: 'lifecycle-mailer',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: FUNCTION_BUNDLING,
    });
    Validations.of(this.privacyFunction).acknowledge({ id: 'AwsSolutions-L1', reason: 'Pinned to Node.js 22 (the runtime the code and its tests target), like the other functions.' });
    for (const [table, grants] of Object.entries(access.tables) as [TableName, readonly TableGrant[]][]) {
      for (const grant of grants) {
        iam.Grant.addToPrincipal({
          grantee: this.privacyFunction,
          actions: grant.actions.map((a) => `dynamodb:${a}`),
          resourceArns: [props.tables[table].tableArn],
          ...(grant.leadingKeys ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...grant.leadingKeys] } } } : {}),
        });
      }
    }
    props.privacySalt.grantRead(this.privacyFunction);

    this.deadLetterQueue = new sqs.Queue(this, 'PrivacyRequestsDlq', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(this.deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This is the dead-letter queue of the privacy rule; it needs no DLQ of its own.' });
    this.rule = new events.Rule(this, 'PrivacyRequestsRule', {
      description: 'Lifecycle Mailer: privacy requests (Shopify customers/data_request, customers/redact, shop/redact) → privacy function',
      eventBus: props.shopBus,
      eventPattern: { source: [SHOP_EVENT_SOURCE], detailType: [PRIVACY_REQUEST] },
    });
    this.rule.addTarget(new eventTargets.LambdaFunction(this.privacyFunction, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(24) }));
  }
}
