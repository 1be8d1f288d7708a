import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { LifecycleMailerStack } from '#lib/lifecycle-mailer-stack.ts';

/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`. The catalog (mailer.config.yaml,
 * campaigns/, templates/) is validated and its MJML compiled here, once, at synth.
 *
 * Optional context (`-c key=value` or cdk.json):
 *   stackName            default LifecycleMailer
 *   alarmEmail           email subscribed to the alarm topic
 *   senderIdentity       verified SES domain or address (default: the campaigns' from domain)
 *   createEmailIdentity  "true" to create the SES identity too
 *   unsubscribeBaseUrl   the deployed UnsubscribeUrl output (default: mailer.config.yaml)
 *   shopifyPartnerEventSourceName  Shopify's EventBridge partner source (aws.partner/shopify.com/…)
 *   unsubscribeMailDomain  a domain SES receives mail for: the List-Unsubscribe mailto: is then
 *                        processed there (default: none, and the header carries only the URL)
 */
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
};

const catalog = await buildCatalog(projectPaths(root));

new LifecycleMailerStack(app, context('stackName') ?? 'LifecycleMailer', {
  description: 'Lifecycle Mailer: e-commerce lifecycle email on EventBridge, Lambda, DynamoDB, SQS and SES.',
  // Environment-agnostic: no lookups, so synth needs no credentials. Deploy picks the
  // account and region from the CLI profile (AWS_PROFILE / AWS_REGION).
  catalog,
  senderIdentity: context('senderIdentity'),
  alarmEmail: context('alarmEmail'),
  createEmailIdentity: context('createEmailIdentity') === 'true',
  unsubscribeBaseUrl: context('unsubscribeBaseUrl'),
  ...(context('shopifyPartnerEventSourceName') ? { shopify: { partnerEventSourceName: context('shopifyPartnerEventSourceName')! } } : {}),
  ...(context('unsubscribeMailDomain') ? { unsubscribeMailbox: { receivingDomain: context('unsubscribeMailDomain')! } } : {}),
});

// AWS Solutions checks run on every synth; a finding fails it unless acknowledged, with a reason, next to the resource.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
