import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { type Campaign, DEFAULT_LOCALE, localizedTemplateName } from '#domain/campaign.ts';
import type { Catalog } from '#domain/catalog.ts';
import type { Journey } from '#domain/journey.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import { checkJourneys } from './journey-files.ts';
import { PREFERENCE_TEXTS } from '#domain/preference-texts.ts';
import type { CompiledTemplate } from '#domain/template-compiler-schema.ts';
import { campaignFiles, checkCampaignFile, checkMailerConfig, templateReferenceProblems } from './campaign-files.ts';
import { checkHandlebars } from './handlebars-check.ts';
import { type ProjectProblem, sortProblems } from './problems.ts';
import { meant } from './suggest.ts';
import { buildTemplate } from './template-compiler.ts';
import { contextShape } from './template-fields.ts';
import { formatPath, type YamlSource } from './yaml-source.ts';
import { localeCoverageWarnings, splitTemplateName } from './locale-checks.ts';
import type { ProjectPaths } from './project-paths.ts';

/** Where a project keeps what marketers edit. */
export type { ProjectPaths };

/** The locales the shop's customers have, and where that list came from (for the warning). */
export interface CustomerLocales {
  locales: readonly string[];
  source: string;
}

export interface ProjectCheck {
  /** Anything here stops validate, build and synth. */
  problems: ProjectProblem[];
  /** Worth a look, not blocking. */
  warnings: ProjectProblem[];
  /** The compiled catalog, when there are no problems. */
  catalog?: Catalog;
  /** Every journey file that parsed, with or without problems (the workbench draws them while they are being fixed). */
  journeys: Journey[];
  /** The config, when its file is valid (the journey simulator needs only it). */
  config?: MailerConfig;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every string in a campaign's `content`, with its path (they are Handlebars lines too). */
function contentStrings(value: unknown, path: (string | number)[]): { path: (string | number)[]; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => contentStrings(v, [...path, i]));
  if (isRecord(value)) return Object.entries(value).flatMap(([k, v]) => contentStrings(v, [...path, k]));
  return [];
}

/** Subjects, preheaders, variant fields and content strings of one campaign file, checked as the renderer will compile them. */
function campaignHandlebars(raw: unknown, source: YamlSource, contentOwner: string) {
  const problems: ProjectProblem[] = [];
  const warnings: ProjectProblem[] = [];
  if (!isRecord(raw)) return { problems, warnings };
  const withContent = contextShape(isRecord(raw.content) ? raw.content : {});
  // Content strings are rendered before content exists: they see everything but content itself.
  const withoutContent = contextShape({});
  const strings: { path: (string | number)[]; text: unknown; content: boolean; locale?: string }[] = [
    { path: ['subject'], text: raw.subject, content: false },
    { path: ['preheader'], text: raw.preheader, content: false },
    ...(Array.isArray(raw.variants) ? raw.variants : []).flatMap((v: unknown, i) =>
      isRecord(v) ? [{ path: ['variants', i, 'subject'], text: v.subject, content: false }, { path: ['variants', i, 'preheader'], text: v.preheader, content: false }] : [],
    ),
    ...contentStrings(raw.content, ['content']).map((s) => ({ ...s, content: true })),
  ];
  // Each language's strings, against the content that language sends (the default's keys, its own on top).
  const localeShapes = new Map<string, ReturnType<typeof contextShape>>();
  for (const [locale, copy] of Object.entries(isRecord(raw.locales) ? raw.locales : {})) {
    if (!isRecord(copy)) continue;
    localeShapes.set(locale, contextShape({ ...(isRecord(raw.content) ? raw.content : {}), ...(isRecord(copy.content) ? copy.content : {}) }));
    const at = ['locales', locale];
    strings.push(
      { path: [...at, 'subject'], text: copy.subject, content: false, locale },
      { path: [...at, 'preheader'], text: copy.preheader, content: false, locale },
      ...Object.entries(isRecord(copy.variants) ? copy.variants : {}).flatMap(([id, v]) =>
        isRecord(v) ? [{ path: [...at, 'variants', id, 'subject'], text: v.subject, content: false, locale }, { path: [...at, 'variants', id, 'preheader'], text: v.preheader, content: false, locale }] : [],
      ),
      ...contentStrings(copy.content, [...at, 'content']).map((s) => ({ ...s, content: true, locale })),
    );
  }
  for (const s of strings) {
    if (typeof s.text !== 'string') continue;
    const line = source.lineAt(s.path);
    const shape = s.content ? withoutContent : ((s.locale ? localeShapes.get(s.locale) : undefined) ?? withContent);
    const result = checkHandlebars({ file: source.file, source: s.text, firstLine: line ?? 1, field: formatPath(s.path), contentOwner }, shape);
    problems.push(...result.problems);
    warnings.push(...result.warnings);
  }
  return { problems, warnings };
}

/** Topics the preference page has a label for (a topic without one is shown as its bare id). */
const LABELLED_TOPICS = Object.keys(PREFERENCE_TEXTS.en.topics);

/** Every `.mjml` under the templates folder that is not a template itself: partials, checked on their own. */
function partialFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.mjml') && e.parentPath !== dir && join(e.parentPath, '/') !== join(dir, '/'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * Checks the whole project the way a send would use it, and reports every problem of every
 * file at once: config and campaign files (unknown keys, bad values, with lines), every
 * Handlebars string (syntax, fields, helpers, escaping) and every template (MJML). Never
 * throws for a problem in the files.
 */
export async function validateProject(paths: ProjectPaths, options: { customerLocales?: CustomerLocales } = {}): Promise<ProjectCheck> {
  const root = dirname(paths.config);
  const show = (path: string) => {
    const r = relative(root, path);
    return r.startsWith('..') ? path : r;
  };
  const problems: ProjectProblem[] = [];
  const warnings: ProjectProblem[] = [];

  const config = checkMailerConfig(paths.config, show(paths.config));
  problems.push(...config.problems);

  for (const dir of [paths.campaigns, paths.templates]) {
    if (!existsSync(dir)) problems.push({ file: show(dir), message: 'no such folder' });
  }
  if (problems.some((p) => p.message === 'no such folder')) return { problems, warnings, journeys: [] };

  const templateNames = readdirSync(paths.templates)
    .filter((f) => f.endsWith('.mjml'))
    .map((f) => f.slice(0, -'.mjml'.length))
    .sort();
  // welcome.ja.mjml is the welcome template in Japanese: campaigns name only the default file.
  const known = new Set(templateNames.filter((n) => !splitTemplateName(n).locale));

  const campaigns: { campaign: Campaign; file: string; source: YamlSource }[] = [];
  const names = campaignFiles(paths.campaigns);
  if (!names.length) problems.push({ file: show(paths.campaigns), message: 'no campaign files (*.yaml)' });
  const ids = new Map<string, string>();
  for (const name of names) {
    const path = join(paths.campaigns, name);
    const file = show(path);
    const checked = checkCampaignFile(path, file);
    problems.push(...checked.problems);
    const hb = campaignHandlebars(checked.source.value, checked.source, file);
    problems.push(...hb.problems);
    warnings.push(...hb.warnings);
    if (!checked.value) continue;
    const campaign = checked.value;
    const other = ids.get(campaign.id);
    if (other) problems.push({ file, message: `id: '${campaign.id}' is also used by ${other}` });
    ids.set(campaign.id, file);
    problems.push(...templateReferenceProblems(campaign, checked.source, known));
    campaigns.push({ campaign, file, source: checked.source });
  }

  // References between files: sequences, exempt lists, topics.
  const campaignIds = [...ids.keys()];
  for (const { campaign, source, file } of campaigns) {
    const after = campaign.audience.after?.campaign;
    if (after && !ids.has(after)) problems.push({ file, ...lineOf(source, ['audience', 'after', 'campaign']), message: `audience.after.campaign: no campaign '${after}'${meant(after, campaignIds)}` });
    const topic = campaign.audience.topic;
    // The preference page lists every campaign's topic (catalogTopics), but only these have a
    // name and description in each language; any other shows as its bare id.
    if (!LABELLED_TOPICS.includes(topic))
      warnings.push({
        file,
        ...lineOf(source, ['audience', 'topic']),
        message: `audience.topic: '${topic}' is not a topic the preference page offers by name (it would show the bare id, and customers opt in to named topics: ${LABELLED_TOPICS.join(', ')})${meant(topic, LABELLED_TOPICS)}`,
      });
  }
  if (config.value && names.length && campaigns.length === names.length) {
    const exemptLists = [
      { path: ['frequency', 'exempt'], ids: config.value.frequency.exempt },
      { path: ['quietHours', 'exempt'], ids: config.value.quietHours?.exempt ?? [] },
    ];
    for (const list of exemptLists)
      list.ids.forEach((id, i) => {
        if (!ids.has(id))
          problems.push({ file: config.source.file, ...lineOf(config.source, [...list.path, i]), message: `${formatPath(list.path)}: no campaign "${id}" in ${show(paths.campaigns)}${meant(id, campaignIds)}` });
      });
  }

  // Every language a campaign is written in needs its own file of each template it uses.
  const templateSet = new Set(templateNames);
  for (const { campaign, source, file } of campaigns) {
    const used = new Set([campaign.template, ...campaign.variants.flatMap((v) => (v.template ? [v.template] : []))]);
    const variantIds = campaign.variants.map((v) => v.id);
    for (const [locale, copy] of Object.entries(campaign.locales))
      for (const id of Object.keys(copy.variants))
        if (!variantIds.includes(id))
          problems.push({ file, ...lineOf(source, ['locales', locale, 'variants', id]), message: `locales.${locale}.variants.${id}: no variant '${id}' in variants (${variantIds.join(', ') || 'none'})${meant(id, variantIds)}` });
    for (const locale of Object.keys(campaign.locales)) {
      if (locale === DEFAULT_LOCALE) problems.push({ file, ...lineOf(source, ['locales', locale]), message: `locales.${locale}: '${locale}' is the default language: write it in the campaign's own subject, preheader and content` });
      for (const template of used)
        if (known.has(template) && !templateSet.has(localizedTemplateName(template, locale)))
          problems.push({ file, ...lineOf(source, ['locales', locale]), message: `locales.${locale}: no templates/${localizedTemplateName(template, locale)}.mjml: the subject would be in ${locale} and the email in English` });
    }
  }

  // Templates: MJML, then every field against the context of each campaign that uses it.
  const templates: CompiledTemplate[] = [];
  for (const name of templateNames) {
    const path = join(paths.templates, `${name}.mjml`);
    const file = show(path);
    const source = readFileSync(path, 'utf8');
    const built = await buildTemplate(name, source, path, { templatesDir: paths.templates, show });
    problems.push(...built.problems);
    templates.push(built.template);
    const { base, locale, problem } = splitTemplateName(name);
    if (problem) problems.push({ file, message: problem });
    if (locale && !known.has(base)) problems.push({ file, message: `no templates/${base}.mjml: a translation needs the default template next to it` });
    const uses = (c: Campaign) => c.template === base || c.variants.some((v) => v.template === base);
    const users = campaigns.filter(({ campaign: c }) => uses(c) && (!locale || locale in c.locales));
    if (!users.length && campaigns.length === names.length)
      warnings.push({ file, message: locale ? `no campaign using templates/${base}.mjml has locales.${locale}: this translation is never sent` : `no campaign uses this template` });
    for (const user of users.length ? users : [undefined]) {
      const content = user ? { ...user.campaign.content, ...(locale ? user.campaign.locales[locale]?.content : {}) } : undefined;
      const result = checkHandlebars({ file, source, ...(user ? { contentOwner: user.file } : {}) }, contextShape(content));
      problems.push(...result.problems);
      warnings.push(...result.warnings);
    }
  }
  for (const path of partialFiles(paths.templates)) {
    const result = checkHandlebars({ file: show(path), source: readFileSync(path, 'utf8') }, contextShape(undefined));
    problems.push(...result.problems);
    warnings.push(...result.warnings);
  }

  const journeyCheck = checkJourneys(paths.journeys, campaigns.map((c) => c.campaign));
  problems.push(...journeyCheck.problems.map((p) => ({ ...p, file: show(p.file) })));
  if (options.customerLocales) warnings.push(...localeCoverageWarnings(campaigns, options.customerLocales));

  const sortedProblems = sortProblems(problems);
  const check: ProjectCheck = { problems: sortedProblems, warnings: sortProblems(warnings), journeys: journeyCheck.journeys, ...(config.value ? { config: config.value } : {}) };
  if (!sortedProblems.length && config.value) check.catalog = { config: config.value, campaigns: campaigns.map((c) => c.campaign), templates, journeys: journeyCheck.journeys };
  return check;
}

const lineOf = (source: YamlSource, path: (string | number)[]) => {
  const line = source.lineAt(path);
  return line ? { line } : {};
};
