import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LifecycleMailer, type LifecycleMailerProps } from './lifecycle-mailer-construct.ts';

export interface LifecycleMailerStackProps extends StackProps, LifecycleMailerProps {}

/** The Lifecycle Mailer as a deployable stack: the construct plus the outputs an operator needs. */
export class LifecycleMailerStack extends Stack {
  readonly mailer: LifecycleMailer;

  constructor(scope: Construct, id: string, props: LifecycleMailerStackProps) {
    super(scope, id, props);
    this.mailer = new LifecycleMailer(this, 'Mailer', props);

    new CfnOutput(this, 'ShopEventBusName', { value: this.mailer.shopBus.eventBusName, description: 'Publish shop events here (source lifecycle-mailer.shop).' });
    new CfnOutput(this, 'ShopEventBusArn', { value: this.mailer.shopBus.eventBusArn });
    new CfnOutput(this, 'SendQueueUrl', { value: this.mailer.sendQueue.queueUrl });
    new CfnOutput(this, 'ConfigurationSetName', { value: this.mailer.configurationSet.configurationSetName });
    new CfnOutput(this, 'SenderIdentity', { value: this.mailer.senderIdentity });
    new CfnOutput(this, 'CustomersTableName', { value: this.mailer.tables.customers.tableName });
    new CfnOutput(this, 'SendLedgerTableName', { value: this.mailer.tables['send-ledger'].tableName });
    new CfnOutput(this, 'DeliverabilityTableName', { value: this.mailer.tables.deliverability.tableName, description: 'Guardrail pauses: lifecycle-mailer pauses / resume --table <this>.' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.mailer.alarmTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.mailer.dashboard.dashboardName });
    for (const [name, fn] of Object.entries(this.mailer.functions)) {
      new CfnOutput(this, `${name[0]!.toUpperCase()}${name.slice(1)}FunctionName`, { value: fn.functionName });
    }
    new CfnOutput(this, 'WebhookUrl', { value: this.mailer.shopConnector.webhookUrl.url, description: 'Shopify and WooCommerce webhooks: <this>webhooks/shopify and <this>webhooks/woocommerce.' });
    new CfnOutput(this, 'IdentitiesTableName', { value: this.mailer.tables.identities.tableName, description: 'Import dry runs against this stack: import … --dry-run --identities-table <this>.' });
    new CfnOutput(this, 'PrivacySaltSecretArn', { value: this.mailer.privacySalt.secretArn, description: 'The salt of the address hashes (never rotate it); import dry runs read it with --privacy-salt-secret <this>.' });
    new CfnOutput(this, 'PrivacyFunctionName', { value: this.mailer.privacy.privacyFunction.functionName, description: 'Privacy requests by hand: aws lambda invoke --function-name <this> with {"action":"export"|"erase",…}.' });
    new CfnOutput(this, 'WebhookSecretArn', { value: this.mailer.shopConnector.webhookSecret.secretArn, description: 'Put the signing secrets here: {"shopify": ["…"], "woocommerce": ["…"]}.' });
    if (this.mailer.unsubscribeUrl) {
      new CfnOutput(this, 'UnsubscribeUrl', { value: this.mailer.unsubscribeUrl.url, description: 'Point sending.unsubscribeBaseUrl in mailer.config.yaml here (or at a domain in front of it).' });
    }
  }
}
