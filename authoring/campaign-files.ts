import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { Campaign } from '#domain/campaign.ts';
import { describeZodIssues } from '#domain/invalid-input-error.ts';
import { MailerConfig } from '#domain/mailer-config.ts';

/** A config file that cannot be used, with every problem a marketer needs to fix it. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
  constructor(readonly problems: { file: string; message: string }[]) {
    super(problems.map((p) => `${p.file}: ${p.message}`).join('\n'));
  }
}

function readYaml<S extends z.ZodType>(file: string, schema: S): { value?: z.infer<S>; problems: { file: string; message: string }[] } {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'), { prettyErrors: true });
  } catch (error) {
    const message = error instanceof YAMLParseError ? `YAML syntax: ${error.message}` : `cannot read: ${(error as Error).message}`;
    return { problems: [{ file, message }] };
  }
  const result = schema.safeParse(raw);
  if (!result.success) return { problems: describeZodIssues(result.error).map((message) => ({ file, message })) };
  return { value: result.data, problems: [] };
}

export interface CampaignCatalog {
  campaigns: Campaign[];
}

/**
 * Loads and validates every `*.yaml` in the campaigns folder. One broken file does not
 * hide the others' problems: all are collected, then reported together.
 */
export function loadCampaigns(dir: string, knownTemplates?: ReadonlySet<string>): Campaign[] {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const problems: { file: string; message: string }[] = [];
  const campaigns: Campaign[] = [];
  const seen = new Map<string, string>();
  for (const name of files) {
    const file = join(dir, name);
    const { value, problems: p } = readYaml(file, Campaign);
    problems.push(...p);
    if (!value) continue;
    const expectedId = basename(name).replace(/\.ya?ml$/, '');
    if (value.id !== expectedId) problems.push({ file, message: `id: '${value.id}' should match the file name '${expectedId}'` });
    const other = seen.get(value.id);
    if (other) problems.push({ file, message: `id: '${value.id}' is also used by ${other}` });
    seen.set(value.id, file);
    if (knownTemplates) {
      for (const t of [value.template, ...value.variants.flatMap((v) => (v.template ? [v.template] : []))]) {
        if (!knownTemplates.has(t)) problems.push({ file, message: `template: no templates/${t}.mjml` });
      }
    }
    campaigns.push(value);
  }
  if (files.length === 0) problems.push({ file: dir, message: 'no campaign files (*.yaml)' });
  if (problems.length) throw new ConfigFileError(problems);
  return campaigns;
}

export function loadMailerConfig(file: string): MailerConfig {
  const { value, problems } = readYaml(file, MailerConfig);
  if (!value) throw new ConfigFileError(problems);
  return value;
}
