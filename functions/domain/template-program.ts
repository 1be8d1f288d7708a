import Handlebars from 'handlebars';

/**
 * A template compiled to plain closures, for the part of Handlebars the shipped templates use:
 * text, `{{path}}` (escaped or `{{{raw}}}`), `../` and `@index`/`@first`/`@last`/`@key`/`@root`,
 * `{{#if}}`, `{{#unless}}`, `{{#each}}`, `{{#with}}` (with `{{else}}`), and calls of the project's
 * helpers and `lookup`, nested as sub-expressions. It prints exactly what Handlebars prints
 * (test/unit/template-program.test.ts compares the two on every template and on edge cases),
 * without Handlebars' per-call set-up (14 helper wrappers and an access-control object per call,
 * ~1 µs, three calls an email). Anything else (partials, hashes, block parameters, decorators,
 * unknown helpers) returns undefined: the caller uses Handlebars itself for that template.
 */
export type Render = (context: object) => string;
type Helper = (...args: unknown[]) => unknown;

type Frame = { readonly context: unknown; readonly depths: readonly unknown[]; readonly data: Record<string, unknown> };
type Part = (frame: Frame) => string;
type Value = (frame: Frame) => unknown;

class Unsupported extends Error {}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };
const BAD = /[&<>"'`=]/g;
const POSSIBLE = /[&<>"'`=]/;

/** Handlebars.Utils.escapeExpression, for values that are not SafeStrings (nothing here makes one). */
function escapeValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value == null) return '';
  else if (!value) return `${value as string}`;
  else text = `${value as string}`;
  return POSSIBLE.test(text) ? text.replace(BAD, (c) => ESCAPES[c]!) : text;
}

const hasOwn = Object.prototype.hasOwnProperty;
/** Handlebars' lookupProperty with prototype access denied (its default): own properties only, never a prototype's constructor. */
function property(parent: unknown, name: string): unknown {
  if (parent == null) return parent;
  const result = (parent as Record<string, unknown>)[name];
  if (result == null) return result;
  if (hasOwn.call(parent, name) && !(name === 'constructor' && typeof result === 'function' && (result as { prototype?: unknown }).prototype === parent)) return result;
  return undefined;
}

/** Handlebars.Utils.isEmpty. */
const isEmpty = (value: unknown) => (!value && value !== 0) || (Array.isArray(value) && value.length === 0);
/** The `if` helper's test: falsy (0 included, as without `includeZero`) or an empty list. */
const isFalse = (value: unknown) => !value || isEmpty(value);

/** Handlebars' `program` wrapper: a new depth only when the context changes. */
const enter = (frame: Frame, context: unknown, data = frame.data): Frame =>
  // eslint-disable-next-line eqeqeq -- Handlebars compares with != here
  ({ context, depths: context != frame.depths[0] ? [context, ...frame.depths] : frame.depths, data });

type Node = hbs.AST.Node;
type Expression = hbs.AST.Expression;

/** Compiles `source` as Handlebars would with `{ noEscape }`, or undefined when it uses something not covered here. */
export function compileTemplateProgram(source: string, helpers: Readonly<Record<string, Helper>>, options: { noEscape?: boolean } = {}): Render | undefined {
  const builtIn = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log', 'helperMissing', 'blockHelperMissing']);
  const isHelper = (name: string) => builtIn.has(name) || hasOwn.call(helpers, name);

  const path = (p: hbs.AST.PathExpression): Value => {
    const parts = p.parts.map(String);
    if (p.data) {
      if (p.depth > 0) throw new Unsupported('@../');
      return (f) => parts.reduce<unknown>((v, name) => property(v, name), f.data);
    }
    const depth = p.depth;
    return (f) => {
      let value: unknown = depth === 0 ? f.context : f.depths[depth];
      for (const name of parts) value = property(value, name);
      return value;
    };
  };

  const call = (name: string, params: readonly Expression[], hash: hbs.AST.Hash | undefined): Value => {
    if (hash && hash.pairs.length) throw new Unsupported('hash');
    const args = params.map(expression);
    if (name === 'lookup') {
      if (args.length !== 2) throw new Unsupported('lookup arity');
      const [obj, field] = args as [Value, Value];
      return (f) => {
        const o = obj(f);
        return o ? property(o, field(f) as string) : o;
      };
    }
    const helper = hasOwn.call(helpers, name) ? helpers[name] : undefined;
    if (!helper) throw new Unsupported(`helper ${name}`);
    return (f) => helper.apply(f.context, [...args.map((a) => a(f)), {}]);
  };

  const expression = (e: Expression): Value => {
    switch (e.type) {
      case 'PathExpression':
        return path(e as hbs.AST.PathExpression);
      case 'SubExpression': {
        const s = e as hbs.AST.SubExpression;
        const head = s.path as hbs.AST.PathExpression;
        if (head.type !== 'PathExpression' || head.parts.length !== 1 || head.depth || head.data) throw new Unsupported('sub-expression');
        return call(String(head.parts[0]), s.params, s.hash);
      }
      case 'StringLiteral':
      case 'NumberLiteral':
      case 'BooleanLiteral': {
        const value = (e as hbs.AST.StringLiteral).value;
        return () => value;
      }
      case 'UndefinedLiteral':
        return () => undefined;
      case 'NullLiteral':
        return () => null;
      default:
        throw new Unsupported(e.type);
    }
  };

  /** A simple name that could be a helper (Handlebars' "ambiguous" mustache), or a plain path. */
  const simpleName = (p: hbs.AST.PathExpression) => (p.parts.length === 1 && !p.depth && !p.data && !/^\.|this\b/.test(p.original) ? String(p.parts[0]) : undefined);

  const program = (p: hbs.AST.Program | undefined): Part => {
    if (!p) return () => '';
    if (p.blockParams?.length) throw new Unsupported('block params');
    const parts = p.body.map(statement);
    if (parts.length === 1) return parts[0]!;
    return (f) => {
      let out = '';
      for (const part of parts) out += part(f);
      return out;
    };
  };

  const raw = (v: unknown) => (v != null ? `${v as string}` : '');

  const statement = (n: Node): Part => {
    switch (n.type) {
      case 'ContentStatement': {
        const text = (n as hbs.AST.ContentStatement).value;
        return () => text;
      }
      case 'CommentStatement':
        return () => '';
      case 'MustacheStatement': {
        const m = n as hbs.AST.MustacheStatement;
        if (m.path.type !== 'PathExpression') throw new Unsupported('literal mustache');
        const p = m.path as hbs.AST.PathExpression;
        const out = m.escaped && !options.noEscape ? escapeValue : raw;
        const name = simpleName(p);
        if (m.params.length || (m.hash && m.hash.pairs.length)) {
          if (!name) throw new Unsupported('call on a path');
          const value = call(name, m.params, m.hash);
          return (f) => out(value(f));
        }
        if (name !== undefined && isHelper(name)) throw new Unsupported(`bare helper ${name}`);
        const value = path(p);
        return (f) => {
          const v = value(f);
          return out(typeof v === 'function' ? (v as Helper).call(f.context, {}) : v);
        };
      }
      case 'BlockStatement': {
        const b = n as hbs.AST.BlockStatement;
        const head = b.path as hbs.AST.PathExpression;
        const name = head.type === 'PathExpression' ? simpleName(head) : undefined;
        if (!name || (b.hash && b.hash.pairs.length) || b.params.length !== 1) throw new Unsupported('block');
        const [param] = b.params.map(expression) as [Value];
        const fn = program(b.program);
        const inverse = program(b.inverse);
        const resolve = (f: Frame) => {
          const v = param(f);
          return typeof v === 'function' ? (v as Helper).call(f.context) : v;
        };
        switch (name) {
          case 'if':
            return (f) => (isFalse(resolve(f)) ? inverse(f) : fn(f));
          case 'unless':
            return (f) => (isFalse(resolve(f)) ? fn(f) : inverse(f));
          case 'with':
            return (f) => {
              const v = resolve(f);
              return isEmpty(v) ? inverse(f) : fn(enter(f, v));
            };
          case 'each':
            return (f) => {
              let list = resolve(f);
              let out = '';
              let count = 0;
              if (list && typeof list === 'object') {
                // Handlebars copies an iterable (Map, Set) into a list first.
                if (!Array.isArray(list) && Symbol.iterator in list) list = [...(list as Iterable<unknown>)];
                const items = list as Record<string | number, unknown>;
                const data: Record<string, unknown> = { ...f.data, _parent: f.data };
                const iteration = (key: string | number, index: number, last: boolean) => {
                  data.key = key;
                  data.index = index;
                  data.first = index === 0;
                  data.last = last;
                  out += fn(enter(f, items[key], data));
                };
                if (Array.isArray(items)) {
                  for (let i = 0; i < items.length; i++) if (i in items) iteration(i, i, i === items.length - 1);
                  count = items.length;
                } else {
                  const keys = Object.keys(items);
                  keys.forEach((k, i) => iteration(k, i, i === keys.length - 1));
                  count = keys.length;
                }
              }
              return count === 0 ? inverse(f) : out;
            };
          default:
            throw new Unsupported(`block helper ${name}`);
        }
      }
      default:
        throw new Unsupported(n.type);
    }
  };

  try {
    const main = program(Handlebars.parse(source));
    return (context) => main({ context, depths: [context], data: { root: context } });
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}
