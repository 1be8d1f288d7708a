import { describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { InvalidProjectError, type ProjectProblem } from '#authoring/problems.ts';
import { checkHandlebars } from '#authoring/handlebars-check.ts';
import { validateProject } from '#authoring/project-check.ts';
import { contextShape } from '#authoring/template-fields.ts';
import { copyProject, plant, plantedProject } from '../support/project-copy.ts';

describe('campaigns validate on a project with one planted mistake per file', () => {
  it('names every file and line, with every problem at once, and builds nothing', async () => {
    const { root, expected } = plantedProject();
    const { problems, catalog } = await validateProject(projectPaths(root));
    expect(catalog).toBeUndefined();
    for (const e of expected) {
      expect(problems, `${e.file}:${e.line} ${e.message}`).toContainEqual({ file: e.file, line: e.line, message: expect.stringMatching(e.message) });
    }
    // Nothing is blamed on a file that has no mistake.
    const planted = new Set(expected.map((e) => e.file));
    expect(problems.filter((p) => !planted.has(p.file))).toEqual([]);
  });

  it('buildCatalog (build, cdk synth) refuses with the same problems, one per line in the message', async () => {
    const { root, expected } = plantedProject();
    const error: unknown = await buildCatalog(projectPaths(root)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidProjectError);
    const { problems, message } = error as InvalidProjectError;
    for (const e of expected) expect(message.split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^${e.file.replace('.', '\\.')}:${e.line}: `)));
    expect(message.split('\n')).toHaveLength(problems.length);
  });

  it('passes the shipped project with no problem', async () => {
    const { problems, catalog } = await validateProject(projectPaths(copyProject()));
    expect(problems).toEqual([]);
    expect(catalog?.templates).toHaveLength(14); // 10 and the German and Japanese welcome and abandoned-cart
  });
});

describe('template fields', () => {
  const check = async (file: string, from: string, to: string) => {
    const root = copyProject();
    const line = plant(root, file, from, to);
    const { problems } = await validateProject(projectPaths(root));
    return { problems, line };
  };
  const only = (problems: ProjectProblem[]) => problems.map((p) => `${p.file}:${p.line}: ${p.message}`);

  it('resolves ../ inside #each and reports an unknown field of the items', async () => {
    const { problems, line } = await check('templates/abandoned-cart.mjml', '{{quantity}} × {{name}}: {{money price ../shop.currency ../customer.locale}}', '{{quantity}} × {{nam}}: {{money price ../shop.curency ../customer.locale}}');
    expect(only(problems)).toEqual([
      `templates/abandoned-cart.mjml:${line}: unknown field nam; did you mean name?`,
      `templates/abandoned-cart.mjml:${line}: unknown field ../shop.curency; did you mean ../shop.currency?`,
    ]);
  });

  it("checks campaign.content fields against each campaign that uses the template", async () => {
    const { problems, line } = await check('templates/win-back.mjml', '{{campaign.content.code}}', '{{campaign.content.cde}}');
    expect(only(problems)).toEqual([`templates/win-back.mjml:${line}: unknown field campaign.content.cde (campaigns/win-back.yaml has no content.cde); did you mean campaign.content.code?`]);
  });

  it('checks the strings in content and the variants too, at their YAML line', async () => {
    const root = copyProject();
    const variant = plant(root, 'campaigns/welcome.yaml', 'subject: "{{customer.name}}, here is 10% off to get you started"', 'subject: "{{customer.nme}}, here is 10% off to get you started"');
    const content = plant(root, 'campaigns/welcome.yaml', 'code: WELCOME10', 'code: "{{#each x}}WELCOME10"');
    const { problems } = await validateProject(projectPaths(root));
    expect(only(problems)).toEqual([
      `campaigns/welcome.yaml:${content}: content.code: {{#each}} is never closed: add {{/each}}`,
      `campaigns/welcome.yaml:${variant}: variants[1].subject: unknown field customer.nme; did you mean customer.name?`,
    ]);
  });

  it('refuses a text that MJML lost from the compiled email', async () => {
    // Inside an <mj-text>, MJML takes a stray closing tag as content and drops what follows up to the next </mj-text>.
    const { problems, line } = await check('templates/welcome.mjml', '<mj-button href="{{links.shop}}">Start shopping</mj-button>', '<mj-button href="{{links.shop}}">Start shopping</mj-button></mj-column><mj-column><mj-spacer>Hidden words</mj-spacer>');
    expect(problems).toContainEqual({ file: 'templates/welcome.mjml', line, message: expect.stringMatching(/missing from the compiled email: 'Hidden words'/) });
  });
});

describe('config and campaign files', () => {
  it('quote the bad value and say what was expected, with the line', async () => {
    const root = copyProject();
    const rate = plant(root, 'mailer.config.yaml', 'maxSendRate: 50', 'maxSendRate: fast');
    const trigger = plant(root, 'campaigns/cross-sell.yaml', 'type: schedule', 'type: schedul');
    const from = plant(root, 'campaigns/welcome.yaml', 'from: { address: hello@shop.example.com', 'from: { adress: hello@shop.example.com');
    const { problems } = await validateProject(projectPaths(root));
    expect(problems).toContainEqual({ file: 'mailer.config.yaml', line: rate, message: "sending.maxSendRate: 'fast' is not a number" });
    expect(problems).toContainEqual({ file: 'campaigns/cross-sell.yaml', line: trigger, message: "trigger.type: 'schedul' is not a type; expected one of event, schedule; did you mean schedule?" });
    expect(problems).toContainEqual({ file: 'campaigns/welcome.yaml', line: from, message: 'from.adress: unknown key; did you mean from.address?' });
  });

  it('warn about a topic the preference page does not offer by name', async () => {
    const root = copyProject();
    const line = plant(root, 'campaigns/win-back.yaml', 'topic: offers', 'topic: offfers');
    const { problems, warnings } = await validateProject(projectPaths(root));
    expect(problems).toEqual([]);
    expect(warnings).toContainEqual({ file: 'campaigns/win-back.yaml', line, message: expect.stringMatching(/^audience\.topic: 'offfers' is not a topic the preference page offers by name.*did you mean offers\?$/) });
  });
});

describe('checkHandlebars (one string)', () => {
  const messages = (source: string) => checkHandlebars({ file: 'f.mjml', source }, contextShape({ code: 'X' })).problems.map((p) => `${p.line}: ${p.message}`);

  it('says which block a close does not match, and a close with no open', () => {
    expect(messages('{{#if customer.name}}\nHi\n{{/each}}')).toEqual(['3: {{/each}} closes {{#if}} opened on line 1; expected {{/if}}']);
    expect(messages('Hi\n{{/if}}')).toEqual(['2: {{/if}} closes nothing: there is no {{#if}} before it']);
  });

  it('knows where ../ and @index lead', () => {
    expect(messages('{{#each cart.items}}{{@index}} {{../../shop.name}}{{/each}}')).toEqual(["1: ../../shop.name goes above the email's context (one '../' too many)"]);
    expect(messages('{{@index}}')).toEqual(['1: @index is not available here (only @root outside {{#each}})']);
    expect(messages('{{#with shop}}{{name}} {{nam}}{{/with}} {{@root.shop.name}}')).toEqual(['1: unknown field nam; did you mean name?']);
  });

  it('refuses printing a group or a list, and partials', () => {
    expect(messages('{{cart.items}}')).toEqual(['1: {{cart.items}} is a list, not text: print one of its fields inside {{#each}}']);
    expect(messages('{{> footer}}')).toEqual(['1: Handlebars partials ({{> name}}) are not available: use <mj-include path="./partials/….mjml" />']);
  });
});
