import { fileURLToPath } from 'node:url';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { LifecycleMailerStack } from '#lib/lifecycle-mailer-stack.ts';

/**
 * cdk-nag 3 (AWS Solutions pack) over the whole stack, every optional part switched on.
 * cdk-nag 3 is a policy-validation plugin: findings are acknowledged with
 * `Validations.of(construct).acknowledge({ id, reason })` next to the resource.
 * Bundling is skipped: nag reads the templates, not the code.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

let app: App;
let stack: LifecycleMailerStack;

beforeAll(async () => {
  const catalog = await buildCatalog(projectPaths(root));
  app = newApp();
  stack = new LifecycleMailerStack(app, 'NagTest', { catalog, alarmEmail: 'ops@shop.example.com', createEmailIdentity: true });
  // As bin/app.ts does: the pack runs on every synth.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
});

describe('cdk-nag AwsSolutionsChecks', () => {
  it('finds nothing unacknowledged, errors or warnings', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('lets synth pass as a synth-time plugin', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it('every acknowledgment carries a written reason', () => {
    const acknowledgments = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledgments.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgments) expect(reason.length, id).toBeGreaterThan(40);
  });

  it('(control) the same plugin does fail synth on an unacknowledged finding', () => {
    const control = newApp();
    new sqs.Queue(new Stack(control, 'NagControl'), 'BareQueue');
    Validations.of(control).addPlugins(new AwsSolutionsChecks(control));
    expect(() => control.synth()).toThrow(/AwsSolutions/);
  });
});
