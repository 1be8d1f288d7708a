import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import { Campaign } from '#domain/campaign.ts';
import { MailerConfig } from '#domain/mailer-config.ts';
import { describeFileIssues } from './config-issues.ts';
import { ConfigFileError, type ProjectProblem } from './problems.ts';
import { meant } from './suggest.ts';
import { formatPath, readYamlSource, type YamlSource } from './yaml-source.ts';

export { ConfigFileError };

/** A YAML file parsed against its schema: the value when it is valid, and every problem with its line. */
export interface CheckedFile<T> {
  value?: T;
  source: YamlSource;
  problems: ProjectProblem[];
}

export function checkYamlFile<S extends z.ZodType>(path: string, file: string, schema: S, extra: (raw: unknown) => { path: (string | number)[]; message: string }[] = () => []): CheckedFile<z.infer<S>> {
  const source = readYamlSource(path, file);
  if (source.problems.length) return { source, problems: source.problems };
  const result = schema.safeParse(source.value);
  const own = extra(source.value);
  const ownPaths = new Set(own.map((p) => formatPath(p.path)));
  const found = [...describeFileIssues(schema, result.error, source.value).filter((p) => !ownPaths.has(formatPath(p.path))), ...own];
  const problems = found.map((p) => {
    const line = source.lineAt(p.path, 'key' in p && p.key === true);
    return { file, ...(line ? { line } : {}), message: `${formatPath(p.path)}: ${p.message}` };
  });
  return { ...(result.success && !problems.length ? { value: result.data } : {}), source, problems };
}

/** ISO 4217 codes this Node knows how to format (what the `money` helper will be given). */
const CURRENCIES = Intl.supportedValuesOf('currency');

/** mailer.config.yaml with every problem; the currency is checked against the runtime's own list. */
export function checkMailerConfig(path: string, file = path): CheckedFile<MailerConfig> {
  return checkYamlFile(path, file, MailerConfig, (raw) => {
    const shop = typeof raw === 'object' && raw !== null && 'shop' in raw ? (raw as { shop: unknown }).shop : undefined;
    const currency = typeof shop === 'object' && shop !== null && 'currency' in shop ? (shop as { currency: unknown }).currency : undefined;
    if (currency === undefined || (typeof currency === 'string' && CURRENCIES.includes(currency))) return [];
    const given = String(currency);
    return [{ path: ['shop', 'currency'], message: `'${given}' is not a currency code; expected an ISO 4217 code like USD, EUR or JPY${meant(given.toUpperCase(), CURRENCIES)}` }];
  });
}

/** One campaign file with every problem, including an id that does not match the file name. */
export function checkCampaignFile(path: string, file = path): CheckedFile<Campaign> {
  const checked = checkYamlFile(path, file, Campaign);
  const expectedId = basename(path).replace(/\.ya?ml$/, '');
  if (checked.value && checked.value.id !== expectedId) {
    const line = checked.source.lineAt(['id']);
    return { source: checked.source, problems: [{ file, ...(line ? { line } : {}), message: `id: '${checked.value.id}' should match the file name '${expectedId}'` }] };
  }
  return checked;
}

export const campaignFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();

export interface CampaignCatalog {
  campaigns: Campaign[];
}

/**
 * Loads and validates every `*.yaml` in the campaigns folder. One broken file does not
 * hide the others' problems: all are collected, then reported together.
 */
export function loadCampaigns(dir: string, knownTemplates?: ReadonlySet<string>): Campaign[] {
  const files = campaignFiles(dir);
  const problems: ProjectProblem[] = [];
  const campaigns: Campaign[] = [];
  const seen = new Map<string, string>();
  for (const name of files) {
    const file = join(dir, name);
    const { value, problems: p, source } = checkCampaignFile(file);
    problems.push(...p);
    if (!value) continue;
    const other = seen.get(value.id);
    if (other) problems.push({ file, message: `id: '${value.id}' is also used by ${other}` });
    seen.set(value.id, file);
    if (knownTemplates) problems.push(...templateReferenceProblems(value, source, knownTemplates));
    campaigns.push(value);
  }
  if (files.length === 0) problems.push({ file: dir, message: 'no campaign files (*.yaml)' });
  if (problems.length) throw new ConfigFileError(problems);
  return campaigns;
}

/** `template:` and each variant's `template:` must name a file in templates/. */
export function templateReferenceProblems(campaign: Campaign, source: YamlSource, knownTemplates: ReadonlySet<string>): ProjectProblem[] {
  const refs: { path: (string | number)[]; name: string }[] = [
    { path: ['template'], name: campaign.template },
    ...campaign.variants.flatMap((v, i) => (v.template ? [{ path: ['variants', i, 'template'], name: v.template }] : [])),
  ];
  return refs
    .filter((r) => !knownTemplates.has(r.name))
    .map((r) => {
      const line = source.lineAt(r.path);
      return { file: source.file, ...(line ? { line } : {}), message: `${formatPath(r.path)}: no templates/${r.name}.mjml${meant(r.name, [...knownTemplates])}` };
    });
}

export function loadMailerConfig(file: string): MailerConfig {
  const { value, problems } = checkMailerConfig(file);
  if (!value) throw new ConfigFileError(problems);
  return value;
}
