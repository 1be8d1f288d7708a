import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import mjml2html from 'mjml';
import { convert } from 'html-to-text';
import type { CompiledTemplate } from '#domain/template-compiler-schema.ts';

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

/** The source with its <mj-include>d partials, for counting the Handlebars tags it holds. */
function withIncludes(source: string, filePath: string, depth = 0): string {
  if (depth > 5) return source;
  return source.replace(INCLUDE, (_m, path: string) => {
    const included = resolve(dirname(filePath), path);
    return withIncludes(readFileSync(included, 'utf8'), included, depth + 1);
  });
}

const countTags = (text: string) => {
  const counts = new Map<string, number>();
  for (const tag of text.match(BLOCK_TAG) ?? []) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  return counts;
};

/**
 * MJML → HTML with the Handlebars fields left in place, plus a plain-text part derived
 * from it. MJML silently drops text between its elements, so a `{{#each}}` placed
 * between two sections would vanish: block tags must sit in <mj-raw>, and any block tag
 * missing from the output is an error here rather than a broken email later.
 */
export async function compileTemplate(name: string, source: string, filePath: string): Promise<CompiledTemplate> {
  // MJML 5 ignores <mj-include> unless asked; includes are confined to the template's own folder.
  const result = await mjml2html(source, { filePath, validationLevel: 'strict', keepComments: false, ignoreIncludes: false, includePath: dirname(filePath) });
  const problems = result.errors.map((e) => `line ${e.line}: ${e.message}`);
  const expected = countTags(withIncludes(source, filePath));
  const found = countTags(result.html);
  for (const [tag, n] of expected) {
    if ((found.get(tag) ?? 0) < n) problems.push(`${tag} was dropped by MJML: wrap block helpers placed between MJML elements in <mj-raw>`);
  }
  if (problems.length) throw new TemplateCompileError(name, problems);
  const text = convert(result.html, {
    wordwrap: 78,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: '.preheader', format: 'skip' },
    ],
  });
  return { name, html: result.html, text };
}
