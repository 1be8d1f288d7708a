import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repoRoot = new URL('../..', import.meta.url).pathname;

/** A copy of the shipped project (config, campaigns, templates; journeys when asked) in a temp folder, to plant mistakes in. */
export function copyProject(options: { journeys?: boolean } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'project-'));
  for (const dir of ['campaigns', 'templates', ...(options.journeys ? ['journeys'] : [])]) cpSync(join(repoRoot, dir), join(root, dir), { recursive: true });
  cpSync(join(repoRoot, 'mailer.config.yaml'), join(root, 'mailer.config.yaml'));
  return root;
}

/** Replaces `from` (which must be there) in a project file; returns the 1-based line the replacement starts on. */
export function plant(root: string, file: string, from: string, to: string): number {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  const at = text.indexOf(from);
  if (at === -1) throw new Error(`${file} has no ${JSON.stringify(from)}`);
  writeFileSync(path, text.slice(0, at) + to + text.slice(at + from.length));
  return text.slice(0, at).split('\n').length + (to.match(/^\n*/)?.[0].length ?? 0);
}

/** Each kind of mistake a marketer makes, planted in its own file of a copy of the shipped project. */
export function plantedProject(): { root: string; expected: { file: string; line: number; message: RegExp }[] } {
  const root = copyProject();
  const expected: { file: string; line: number; message: RegExp }[] = [];
  const add = (file: string, from: string, to: string, message: RegExp) => expected.push({ file, line: plant(root, file, from, to), message });
  add('campaigns/win-back.yaml', 'subject: "We miss you, {{customer.name}}"', 'subject: "We miss you, {{customer.name}"', /^subject: '\{\{customer\.name\}' is not closed/);
  add('templates/second-order-nudge.mjml', '{{#if customer.favouriteCategory}} of {{customer.favouriteCategory}}{{/if}}', '{{#if customer.favouriteCategory}} of {{customer.favouriteCategory}}', /\{\{#if\}\} is never closed/);
  add('templates/welcome.mjml', 'Welcome, {{customer.name}}!', 'Welcome, {{upper customer.name}}!', /unknown helper 'upper'/);
  add('templates/win-back.mjml', 'We miss you, {{customer.name}}</mj-text>', 'We miss you, {{customer.name}}</mj-txt>', /<\/mj-txt> closes no open tag; expected <\/mj-text> \(opened on line \d+\)$/);
  add('templates/first-order-nudge.mjml', '<mj-button href="{{links.shop}}">Browse the bestsellers</mj-button>', '<mj-buton href="{{links.shop}}">Browse the bestsellers</mj-buton>', /unknown MJML tag <mj-buton>; did you mean <mj-button>\?/);
  add('templates/sunset.mjml', '<mj-include path="./partials/footer.mjml" />', '<mj-include path="./partials/foter.mjml" />', /mj-include: no file templates\/partials\/foter\.mjml/);
  add('templates/cross-sell.mjml', 'Picked for you, {{customer.name}}', 'Picked for you, {{customer.frist_name}}', /unknown field customer\.frist_name; did you mean customer\.firstName\?/);
  add('templates/last-chance.mjml', 'One last thing, {{customer.name}}', 'One last thing, {{{customer.name}}}', /\{\{\{ \}\}\} and \{\{& \}\} print without HTML escaping/);
  add('mailer.config.yaml', 'stableMinOrderDays: 4', 'stableMinOrdrDays: 4', /^stages\.stableMinOrdrDays: unknown key; did you mean stages\.stableMinOrderDays\?/);
  add('mailer.config.yaml', 'currency: USD', 'currency: USX', /^shop\.currency: 'USX' is not a currency code; expected an ISO 4217 code like USD, EUR or JPY; did you mean USD\?$/);
  add('campaigns/last-chance.yaml', 'stages: [lapsed]', 'stages: [lapsd]', /^audience\.stages\[0\]: 'lapsd' is not a stage; expected one of prospect, exploring, growing, stable, declining, lapsed; did you mean lapsed\?/);
  add('campaigns/sunset.yaml', '{ field: engagementScore, op: lt, value: 1 }', '{ field: pAlive, op: lt, value: "0.5" }', /^audience\.conditions\[0\]\.value: pAlive is a number, so the value must be a number \(no quotes\), not '0\.5'/);
  add('templates/abandoned-cart.mjml', '<mj-raw>{{#each cart.items}}</mj-raw>', '<mj-text>Your items:</mj-text>\n    <mj-raw>{{#each cart.items}}</mj-raw>', /^<mj-text>: mj-text cannot be used inside mj-body, only inside: .*mj-column/);
  add('templates/partials/header.mjml', 'font-size="20px"', 'font-sise="20px"', /^<mj-text>: unknown attribute 'font-sise'/);
  return { root, expected };
}

