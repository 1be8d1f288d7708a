import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import mjml2html from 'mjml';
import { convert } from 'html-to-text';
import type { CompiledTemplate } from '#domain/template-compiler-schema.ts';
import { createTemplateEngine } from '#domain/template-renderer.ts';
import { includeProblems, lostTextProblems, mjmlProblems, tagProblems } from './mjml-check.ts';
import { formatProblem, type ProjectProblem } from './problems.ts';

export type { CompiledTemplate };

export class TemplateCompileError extends Error {
  override readonly name = 'TemplateCompileError';
  constructor(
    readonly template: string,
    readonly problems: string[],
  ) {
    super(`template ${template}: ${problems.join('; ')}`);
  }
}

const BLOCK_TAG = /\{\{[#/^]\s*[^}]*\}\}|\{\{\s*else\s*\}\}/g;
const INCLUDE = /<mj-include\s+path="([^"]+)"/g;

/** The partials a template includes (recursively, existing ones only), each with its source. */
function includedFiles(source: string, filePath: string, depth = 0): { path: string; source: string }[] {
  if (depth > 5) return [];
  return [...source.matchAll(INCLUDE)].flatMap((m) => {
    const path = resolve(dirname(filePath), m[1]!);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return []; // reported by includeProblems
    }
    return [{ path, source: text }, ...includedFiles(text, path, depth + 1)];
  });
}

const countTags = (text: string) => {
  const counts = new Map<string, number>();
  for (const tag of text.match(BLOCK_TAG) ?? []) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  return counts;
};

const engine = createTemplateEngine();

export interface TemplateBuild {
  template: CompiledTemplate;
  /** Every problem, by file and line (a partial's own problems name the partial). */
  problems: ProjectProblem[];
}

/**
 * MJML → HTML with the Handlebars fields left in place, plus a plain-text part derived
 * from it, and every MJML problem found on the way: tags that do not pair up, missing
 * partials, MJML's validator (unknown tags and attributes, a tag in the wrong parent),
 * visible text the output lost, block tags MJML dropped. MJML silently drops text between
 * its elements, so a `{{#each}}` placed between two sections would vanish: block tags must
 * sit in <mj-raw>.
 */
export async function buildTemplate(
  name: string,
  source: string,
  filePath: string,
  options: { templatesDir?: string; show?: (path: string) => string } = {},
): Promise<TemplateBuild> {
  const show = options.show ?? ((p: string) => p);
  const file = show(filePath);
  const partials = includedFiles(source, filePath);
  const problems: ProjectProblem[] = [
    ...tagProblems(file, source),
    ...includeProblems(file, source, filePath, options.templatesDir ?? dirname(filePath), show),
    ...partials.flatMap((p) => [...tagProblems(show(p.path), p.source), ...includeProblems(show(p.path), p.source, p.path, options.templatesDir ?? dirname(filePath), show)]),
  ];
  let html = '';
  try {
    // MJML 5 ignores <mj-include> unless asked; includes are confined to the template's own folder.
    // 'soft': collect every validation problem instead of throwing at the first.
    const result = await mjml2html(source, { filePath, validationLevel: 'soft', keepComments: false, ignoreIncludes: false, includePath: dirname(filePath) });
    html = result.html;
    problems.push(...mjmlProblems(result.errors, file, show));
  } catch (error) {
    problems.push({ file, message: `MJML could not compile it: ${(error as Error).message.split('\n')[0]}` });
  }
  const expected = countTags([source, ...partials.map((p) => p.source)].join('\n'));
  const found = countTags(html);
  for (const [tag, n] of expected) {
    if ((found.get(tag) ?? 0) < n) problems.push({ file, message: `${tag} was dropped by MJML: wrap block helpers placed between MJML elements in <mj-raw>` });
  }
  if (html) problems.push(...lostTextProblems([{ file, source }, ...partials.map((p) => ({ file: show(p.path), source: p.source }))], html));
  const text = convert(html, {
    wordwrap: 78,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: '.preheader', format: 'skip' },
    ],
  });
  // The renderer compiles these two, not the source: they must still be valid Handlebars
  // (a source that is not is reported, by line, by the field check).
  const sourceParses = [source, ...partials.map((p) => p.source)].every((s) => {
    try {
      engine.parse(s);
      return true;
    } catch {
      return false;
    }
  });
  for (const [part, compiled] of sourceParses ? ([['HTML', html], ['text part', text]] as const) : []) {
    try {
      engine.precompile(compiled);
    } catch (error) {
      problems.push({ file, message: `the compiled ${part} is not valid Handlebars after MJML: ${(error as Error).message.split('\n')[0]}` });
    }
  }
  return { template: { name, html, text }, problems };
}

/** Compiles one template or throws TemplateCompileError listing every problem. */
export async function compileTemplate(name: string, source: string, filePath: string): Promise<CompiledTemplate> {
  const { template, problems } = await buildTemplate(name, source, filePath);
  if (problems.length) throw new TemplateCompileError(name, problems.map(formatProblem));
  return template;
}
