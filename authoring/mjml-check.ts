import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { ProjectProblem } from './problems.ts';
import { closest, meant } from './suggest.ts';

/** MJML 5's own tags (for "did you mean"; MJML itself says which tags are unknown). */
const MJML_TAGS = [
  'mjml', 'mj-head', 'mj-body', 'mj-include', 'mj-attributes', 'mj-all', 'mj-class', 'mj-breakpoint', 'mj-html-attributes', 'mj-html-attribute', 'mj-selector', 'mj-font', 'mj-preview', 'mj-style', 'mj-title',
  'mj-hero', 'mj-button', 'mj-column', 'mj-divider', 'mj-group', 'mj-image', 'mj-raw', 'mj-section', 'mj-spacer', 'mj-text', 'mj-table', 'mj-wrapper', 'mj-social', 'mj-social-element',
  'mj-navbar', 'mj-navbar-link', 'mj-accordion', 'mj-accordion-element', 'mj-accordion-text', 'mj-accordion-title', 'mj-carousel', 'mj-carousel-image',
];

const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/** Comments blanked out (line breaks kept, so offsets still give the right line). */
const withoutComments = (source: string) => source.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '));

/**
 * Opening and closing MJML tags must pair up. MJML does not check this: a `</mj-txt>` inside
 * an `<mj-text>` is taken as its content, and whatever follows up to the next `</mj-text>`
 * vanishes from the email without a word.
 */
export function tagProblems(file: string, source: string): ProjectProblem[] {
  const text = withoutComments(source);
  const problems: ProjectProblem[] = [];
  const stack: { tag: string; line: number }[] = [];
  for (const m of text.matchAll(/<(\/?)(mjml|mj-[\w-]+)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g)) {
    const [, closing, tag, rest] = m as unknown as [string, string, string, string];
    const line = lineOf(text, m.index);
    if (!closing) {
      if (!rest.trimEnd().endsWith('/')) stack.push({ tag, line });
      continue;
    }
    if (stack.at(-1)?.tag === tag) {
      stack.pop();
      continue;
    }
    const open = stack.findLastIndex((o) => o.tag === tag);
    if (open === -1) {
      const top = stack.at(-1);
      const typo = top && closest(tag, [top.tag]) === top.tag;
      problems.push({ file, line, message: `</${tag}> closes no open tag${top ? `; expected </${top.tag}> (opened on line ${top.line})` : ''}${typo ? '' : meant(tag, MJML_TAGS, (t) => `</${t}>`)}` });
      if (typo) stack.pop(); // a mistyped close of the open tag: go on as if it closed it, so one typo is one problem
    } else {
      for (const unclosed of stack.splice(open).slice(1)) problems.push({ file, line: unclosed.line, message: `<${unclosed.tag}> is never closed (</${tag}> on line ${line} comes first)` });
    }
  }
  for (const unclosed of stack) problems.push({ file, line: unclosed.line, message: `<${unclosed.tag}> is never closed` });
  return problems;
}

/** Every `<mj-include>` must name a file in the templates folder (MJML skips a missing one without a word). */
export function includeProblems(file: string, source: string, filePath: string, templatesDir: string, show: (path: string) => string): ProjectProblem[] {
  const text = withoutComments(source);
  return [...text.matchAll(/<mj-include\b[^>]*?\bpath="([^"]*)"/g)].flatMap((m) => {
    const target = resolve(dirname(filePath), m[1]!);
    const line = lineOf(text, m.index);
    if (relative(templatesDir, target).startsWith('..')) return [{ file, line, message: `mj-include: '${m[1]}' is outside the templates folder` }];
    if (!existsSync(target)) return [{ file, line, message: `mj-include: no file ${show(target)}` }];
    return [];
  });
}

/** What MJML's validator said, as file and line (a problem inside a partial names the partial). */
export function mjmlProblems(
  errors: readonly { line: number; message: string; tagName: string; formattedMessage: string }[],
  file: string,
  show: (path: string) => string,
): ProjectProblem[] {
  return errors.map((e) => {
    const included = /^Line (\d+) of (.+?), included at line \d+/.exec(e.formattedMessage);
    const where = included ? { file: show(included[2]!), line: Number(included[1]) } : { file, line: e.line };
    const unknownTag = /^Element (\S+) doesn't exist/.exec(e.message);
    const attribute = /^Attribute (\S+) is illegal/.exec(e.message);
    const message = unknownTag
      ? `unknown MJML tag <${unknownTag[1]}>${meant(unknownTag[1]!, MJML_TAGS, (t) => `<${t}>`)}`
      : attribute
        ? `<${e.tagName}>: unknown attribute '${attribute[1]}'`
        : `<${e.tagName}>: ${e.message}`;
    return { ...where, message };
  });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
const decode = (text: string) =>
  text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENTITIES[e.toLowerCase()] ?? m),
  );
const squash = (text: string) => decode(text).replace(/\s+/g, ' ').trim();

/** Visible text of MJML source, with its lines: the text between tags, outside the head, styles and comments. */
function sourceTexts(source: string): { text: string; line: number }[] {
  const blanked = withoutComments(source).replace(/<(mj-head|mj-style|mj-attributes)\b[\s\S]*?<\/\1>/g, (c) => c.replace(/[^\n]/g, ' '));
  return [...blanked.matchAll(/>([^<]+)</g)].map((m) => ({ text: squash(m[1]!), line: lineOf(blanked, m.index + 1 + (m[1]!.length - m[1]!.trimStart().length)) })).filter((t) => /[\p{L}\p{N}]/u.test(t.text));
}

/** The output's text: tags, comments and styles removed. */
const outputText = (html: string) => squash(html.replace(/<!--[\s\S]*?-->|<style[\s\S]*?<\/style>/g, ' ').replace(/<[^>]+>/g, ' '));

/**
 * Text that is in the MJML source but not in the compiled email: MJML dropped it (a
 * mistyped or unclosed tag swallowed it). Each file (template or included partial) is
 * checked against the same output.
 */
export function lostTextProblems(files: readonly { file: string; source: string }[], html: string): ProjectProblem[] {
  const out = outputText(html);
  return files.flatMap(({ file, source }) =>
    sourceTexts(source)
      .filter((t) => !out.includes(t.text))
      .slice(0, 3)
      .map((t) => ({ file, line: t.line, message: `this text is missing from the compiled email: '${t.text.length > 50 ? `${t.text.slice(0, 47)}...` : t.text}' (a tag around it is mistyped or not closed)` })),
  );
}
