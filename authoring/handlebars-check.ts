import { createTemplateEngine, HELPER_NAMES } from '#domain/template-renderer.ts';
import type { ProjectProblem } from './problems.ts';
import { closest, didYouMean } from './suggest.ts';
import type { Shape } from './template-fields.ts';

const engine = createTemplateEngine();

/** A Handlebars string and where it sits: a whole MJML file, or one YAML field (`field` names it in messages). */
export interface HandlebarsSource {
  file: string;
  source: string;
  /** The file line the string's first line is on. */
  firstLine?: number;
  /** The YAML field holding the string (`subject`, `variants[1].subject` …). */
  field?: string;
  /** Who provides `campaign.content` (a campaign file), for messages about a content field it lacks. */
  contentOwner?: string;
}

export interface HandlebarsCheck {
  problems: ProjectProblem[];
  warnings: ProjectProblem[];
}

const BLOCK_HELPERS = new Set(['if', 'unless', 'each', 'with']);
const EACH_DATA = ['index', 'key', 'first', 'last'];

interface Scope {
  shape: Shape;
  /** `{{#each … as |item i|}}` names. */
  params: Record<string, Shape>;
  inEach: boolean;
}

const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/**
 * Why a string does not parse, in words a marketer can act on: an unclosed `{{`, a block
 * opened and never closed, a close with no open. Handlebars' own parser message (a grammar
 * dump) is the last resort.
 */
function syntaxProblems(source: string): { line: number; message: string }[] {
  const out: { line: number; message: string }[] = [];
  for (let i = source.indexOf('{{'); i !== -1; ) {
    const close = source.indexOf('}}', i + 2);
    const next = source.indexOf('{{', i + 2);
    // A `{{` whose `}}` never comes, or comes only after another `{{` (a `{{{` is one opener).
    if (close === -1 || (next !== -1 && next < close && source[i + 2] !== '{')) {
      const end = Math.min(...[next, source.indexOf('\n', i), i + 40, source.length].filter((n) => n > i));
      out.push({ line: lineOf(source, i), message: `'${source.slice(i, end).trim()}' is not closed: a field needs '}}'` });
      i = next;
    } else i = source.indexOf('{{', close + 2);
  }
  const stack: { name: string; line: number }[] = [];
  for (const m of source.matchAll(/\{\{~?\s*([#^/])\s*([\w.@-]+)/g)) {
    const [, sigil, name] = m as unknown as [string, string, string];
    const line = lineOf(source, m.index);
    if (sigil !== '/') stack.push({ name, line });
    else if (stack.at(-1)?.name === name) stack.pop();
    else if (stack.length) {
      const open = stack.pop()!;
      out.push({ line, message: `{{/${name}}} closes {{#${open.name}}} opened on line ${open.line}; expected {{/${open.name}}}` });
    }
    else out.push({ line, message: `{{/${name}}} closes nothing: there is no {{#${name}}} before it` });
  }
  for (const open of stack) out.push({ line: open.line, message: `{{#${open.name}}} is never closed: add {{/${open.name}}}` });
  return out;
}

function parseMessage(error: unknown): { line?: number; message: string } {
  const text = error instanceof Error ? error.message : String(error);
  const line = /^Parse error on line (\d+)/.exec(text)?.[1] ?? /- (\d+):\d+$/.exec(text)?.[1];
  const got = /got '([A-Z_]+)'/.exec(text)?.[1];
  const summary = got ? `Handlebars syntax error: unexpected ${got === 'EOF' ? 'end of text' : got.toLowerCase().replace(/_/g, ' ')}` : `Handlebars syntax error: ${text.split('\n')[0]}`;
  return { ...(line ? { line: Number(line) } : {}), message: summary };
}

/** The paths in a shape, for "did you mean" across levels (`customer.firstName`). */
const fieldNames = (shape: Shape): string[] => (shape.kind === 'object' ? Object.keys(shape.fields) : []);

/**
 * Compiles the string with the project's Handlebars (its helpers) and walks its syntax tree:
 * every field must exist in the template context (inside #each/#with blocks too, `../`
 * resolved), every helper must be one the renderer has, and nothing may print unescaped.
 */
export function checkHandlebars(src: HandlebarsSource, root: Shape): HandlebarsCheck {
  const problems: ProjectProblem[] = [];
  const warnings: ProjectProblem[] = [];
  const offset = (src.firstLine ?? 1) - 1;
  const where = src.field ? `${src.field}: ` : '';
  const report = (line: number | undefined, message: string, list = problems) =>
    list.push({ file: src.file, ...(line ? { line: line + offset } : {}), message: `${where}${message}` });

  let ast: hbs.AST.Program;
  try {
    ast = engine.parse(src.source);
    engine.precompile(src.source); // what the renderer does: catches what parse lets through
  } catch (error) {
    const found = syntaxProblems(src.source);
    if (found.length) for (const p of found) report(p.line, p.message);
    else {
      const p = parseMessage(error);
      report(p.line, p.message);
    }
    return { problems, warnings };
  }

  const resolve = (path: hbs.AST.PathExpression, scopes: Scope[], line: number): Shape | undefined => {
    const written = path.original;
    if (path.data) {
      const [head, ...rest] = path.parts;
      if (head === 'root') return walk(root, rest, written, line, rest.length ? 'root' : '');
      if (EACH_DATA.includes(head ?? '') && scopes.at(-1)?.inEach && rest.length === 0) return head === 'index' ? { kind: 'value', type: 'number' } : { kind: 'any' };
      report(line, `@${head} is not available here${scopes.at(-1)?.inEach ? `; expected one of ${EACH_DATA.map((d) => `@${d}`).join(', ')}, @root` : ' (only @root outside {{#each}})'}`);
      return undefined;
    }
    if (path.depth >= scopes.length) {
      report(line, `${written} goes above the email's context (one '../' too many)`);
      return undefined;
    }
    const scope = scopes[scopes.length - 1 - path.depth]!;
    const scoped = /^(\.|this\b)/.test(written);
    const [head, ...rest] = path.parts;
    if (!scoped && path.depth === 0 && head !== undefined) {
      for (const s of [...scopes].reverse()) {
        const param = s.params[head];
        if (param) return walk(param, rest, written, line, head);
      }
    }
    return walk(scope.shape, path.parts, written, line, '');
  };

  /** Follows `parts` down a shape; reports the first part that is not there. */
  const walk = (start: Shape, parts: readonly string[], written: string, line: number, prefix: string): Shape | undefined => {
    let shape = start;
    const done: string[] = prefix ? [prefix] : [];
    for (const part of parts) {
      if (shape.kind === 'any') return shape;
      if (shape.kind === 'object') {
        const next = shape.fields[part];
        if (!next) {
          const known = fieldNames(shape);
          const suggestion = closest(part, known);
          const inContent = done.join('.') === 'campaign.content';
          const owner = inContent && src.contentOwner ? ` (${src.contentOwner} has no content.${part})` : '';
          const at = written.lastIndexOf(part);
          const fix = suggestion ? `; did you mean ${written.slice(0, at)}${suggestion}${written.slice(at + part.length)}?` : known.length ? `; expected one of ${known.join(', ')}` : '';
          report(line, `unknown field ${written}${owner}${fix}`);
          return undefined;
        }
        shape = next;
      } else if (shape.kind === 'list') {
        if (part === 'length') shape = { kind: 'value', type: 'number' };
        else if (/^\d+$/.test(part)) shape = shape.element;
        else {
          report(line, `${written}: ${done.join('.') || 'this'} is a list, it has no field '${part}' (use {{#each}})`);
          return undefined;
        }
      } else {
        if (part === 'length' && shape.type === 'text') return { kind: 'value', type: 'number' };
        report(line, `${written}: ${done.join('.') || 'this'} is ${shape.type}, it has no field '${part}'`);
        return undefined;
      }
      done.push(part);
    }
    return shape;
  };

  const expression = (node: hbs.AST.Expression, scopes: Scope[]): Shape | undefined => {
    const line = node.loc.start.line;
    if (node.type === 'PathExpression') return resolve(node as hbs.AST.PathExpression, scopes, line);
    if (node.type === 'SubExpression') {
      call(node as hbs.AST.SubExpression, scopes, line);
      return { kind: 'any' };
    }
    return { kind: 'value', type: 'text' }; // a literal
  };

  const helperName = (path: hbs.AST.PathExpression | hbs.AST.Expression) =>
    path.type === 'PathExpression' && !(path as hbs.AST.PathExpression).data && (path as hbs.AST.PathExpression).depth === 0 && (path as hbs.AST.PathExpression).parts.length === 1 ? (path as hbs.AST.PathExpression).original : undefined;

  /** A helper call (`money a b`, `(eq a b)`): the helper must exist, its arguments must resolve. */
  const call = (node: { path: hbs.AST.PathExpression | hbs.AST.Expression; params: hbs.AST.Expression[]; hash?: hbs.AST.Hash }, scopes: Scope[], line: number) => {
    const name = helperName(node.path) ?? (node.path as hbs.AST.PathExpression).original ?? '?';
    if (!HELPER_NAMES.includes(name)) report(line, `unknown helper '${name}'${didYouMean(name, HELPER_NAMES)}`);
    else if (BLOCK_HELPERS.has(name) && node.path.type === 'PathExpression' && !('program' in node)) report(line, `'${name}' works only as a block: {{#${name} …}}…{{/${name}}}`);
    for (const p of node.params) expression(p, scopes);
    for (const pair of node.hash?.pairs ?? []) expression(pair.value, scopes);
  };

  const program = (p: hbs.AST.Program | undefined, scopes: Scope[]) => {
    for (const statement of p?.body ?? []) visit(statement, scopes);
  };

  const visit = (node: hbs.AST.Statement, scopes: Scope[]) => {
    const line = node.loc.start.line;
    switch (node.type) {
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        if (!m.escaped) report(line, `{{{ }}} and {{& }} print without HTML escaping and are not allowed: write {{${(m.path as hbs.AST.PathExpression).original ?? '…'}}}`);
        const name = helperName(m.path);
        if (m.params.length || m.hash?.pairs.length || (name && HELPER_NAMES.includes(name) && !BLOCK_HELPERS.has(name))) call(m, scopes, line);
        else if (m.path.type === 'PathExpression') {
          const shape = resolve(m.path as hbs.AST.PathExpression, scopes, line);
          if (shape && shape.kind !== 'value' && shape.kind !== 'any') report(line, `{{${(m.path as hbs.AST.PathExpression).original}}} is a ${shape.kind === 'list' ? 'list' : 'group of fields'}, not text: print one of its fields${shape.kind === 'object' ? ` (${fieldNames(shape).join(', ')})` : ' inside {{#each}}'}`);
          const next = src.source.split('\n')[line - 1]?.slice(m.loc.end.column, m.loc.end.column + 1);
          if (next === '.' && /name$/i.test((m.path as hbs.AST.PathExpression).original)) report(line, `'{{${(m.path as hbs.AST.PathExpression).original}}}.' prints '..' when the name ends in a dot (St., Co.)`, warnings);
        }
        return;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        const name = helperName(b.path);
        if (name && HELPER_NAMES.includes(name)) {
          if (!BLOCK_HELPERS.has(name)) report(line, `'${name}' is not a block helper: use it inside one, as in {{#if (${name} …)}}`);
          for (const p of b.params) expression(p, scopes);
          for (const pair of b.hash?.pairs ?? []) expression(pair.value, scopes);
          const subject = b.params[0] ? expression(b.params[0], scopes) : undefined;
          if ((name === 'each' || name === 'with') && !b.params[0]) report(line, `{{#${name}}} needs a field, as in {{#${name} cart.items}}`);
          const names = b.program?.blockParams ?? [];
          if (name === 'each') {
            let element: Shape = { kind: 'any' };
            if (subject?.kind === 'list') element = subject.element;
            else if (subject?.kind === 'value') report(line, `{{#each}} needs a list; ${(b.params[0] as hbs.AST.PathExpression).original} is ${subject.type}`);
            const params: Record<string, Shape> = {};
            if (names[0]) params[names[0]] = element;
            if (names[1]) params[names[1]] = { kind: 'any' };
            program(b.program, [...scopes, { shape: element, params, inEach: true }]);
          } else if (name === 'with') {
            const inner: Shape = subject ?? { kind: 'any' };
            program(b.program, [...scopes, { shape: inner, params: names[0] ? { [names[0]]: inner } : {}, inEach: false }]);
          } else program(b.program, scopes);
          program(b.inverse, scopes);
          return;
        }
        if (b.params.length || b.hash?.pairs.length) {
          call(b, scopes, line);
          program(b.program, scopes);
          program(b.inverse, scopes);
          return;
        }
        // A section ({{#cart}}…{{/cart}}): loops over a list, enters a group, or tests a value.
        const shape = resolve(b.path, scopes, line);
        const inner = shape?.kind === 'list' ? shape.element : shape?.kind === 'object' ? shape : undefined;
        program(b.program, inner ? [...scopes, { shape: inner, params: {}, inEach: shape?.kind === 'list' }] : scopes);
        program(b.inverse, scopes);
        return;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        report(line, `Handlebars partials ({{> name}}) are not available: use <mj-include path="./partials/….mjml" />`);
        return;
      case 'DecoratorBlock':
      case 'Decorator':
        report(line, `Handlebars decorators ({{* …}}) are not available`);
        return;
      default:
        return; // text, comments
    }
  };

  program(ast, [{ shape: root, params: {}, inEach: false }]);
  return { problems, warnings };
}
