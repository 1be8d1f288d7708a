import Handlebars from 'handlebars';

/**
 * A template compiled to one JavaScript function, for the part of Handlebars the shipped templates use:
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


class Unsupported extends Error {}

const POSSIBLE = /[&<>"'`=]/;

/** Below this length escapeValue asks a regex whether there is anything to escape; from it, indexOf (see there). */
const SHORT = 32;
/** The characters escapeValue escapes besides & and =. */
const RARE = /[<>"'`]/;
/** escapeValue of a text whose only characters to escape are & and = (a URL with a query, every email's links): from one to the next by indexOf. */
function escapeQuery(text: string): string {
  let out = '';
  let from = 0;
  let amp = text.indexOf('&');
  let eq = text.indexOf('=');
  while (amp >= 0 || eq >= 0) {
    if (eq < 0 || (amp >= 0 && amp < eq)) {
      out += text.slice(from, amp) + '&amp;';
      from = amp + 1;
      amp = text.indexOf('&', from);
    } else {
      out += text.slice(from, eq) + '&#x3D;';
      from = eq + 1;
      eq = text.indexOf('=', from);
    }
  }
  return out + text.slice(from);
}

/** Handlebars.Utils.escapeExpression, for values that are not SafeStrings (nothing here makes one). */
function escapeValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  // A number's text never has a character to escape (digits, '.', '-', '+', 'e', Infinity, NaN).
  else if (typeof value === 'number') return `${value}`;
  else if (value == null) return '';
  else if (!value) return `${value as string}`;
  else text = `${value as string}`;
  // A short text (a name) is mostly plain: one regex tells. A long one (a link with a signed token) mostly has & or = and
  // none of the rest: five indexOf scans (SIMD) cost a third of one regex scan of it.
  if (text.length < SHORT) {
    if (!POSSIBLE.test(text)) return text;
    if (!RARE.test(text)) return escapeQuery(text);
  } else if (text.indexOf('<') < 0 && text.indexOf('>') < 0 && text.indexOf('"') < 0 && text.indexOf("'") < 0 && text.indexOf('`') < 0) return escapeQuery(text);
  // One pass per character present (a URL has only & and =): faster than one replace with a callback.
  if (text.includes('&')) text = text.replace(/&/g, '&amp;');
  if (text.includes('<')) text = text.replace(/</g, '&lt;');
  if (text.includes('>')) text = text.replace(/>/g, '&gt;');
  if (text.includes('"')) text = text.replace(/"/g, '&quot;');
  if (text.includes("'")) text = text.replace(/'/g, '&#x27;');
  if (text.includes('`')) text = text.replace(/`/g, '&#x60;');
  if (text.includes('=')) text = text.replace(/=/g, '&#x3D;');
  return text;
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


type Node = hbs.AST.Node;
type Expression = hbs.AST.Expression;

/** How many strings a field inside a loop remembers (escapeIn). */
const LOOP_WAYS = 4;

/** What the generated code calls: the same small functions for every template. */
const RUNTIME = {
  escapeValue,
  /**
   * escapeValue at one field of the template, remembering the last string it escaped there: most
   * fields print the same string to every recipient of a campaign (the shop's name, its link).
   */
  escapeAt: (slots: unknown[], i: number, v: unknown): string => {
    if (typeof v !== 'string') return escapeValue(v);
    if (slots[i] === v) return slots[i + 1] as string;
    const escaped = escapeValue(v);
    slots[i] = v;
    slots[i + 1] = escaped;
    return escaped;
  },
  /**
   * escapeAt for a field inside `each`, remembering the last LOOP_WAYS strings: a loop prints a
   * different item each time round (a campaign's three picks), and the next recipient the same
   * items again. Slots i..i+2·LOOP_WAYS hold the pairs, the next one holds which pair goes next.
   */
  escapeIn: (slots: unknown[], i: number, v: unknown): string => {
    if (typeof v !== 'string') return escapeValue(v);
    for (let j = i; j < i + 2 * LOOP_WAYS; j += 2) if (slots[j] === v) return slots[j + 1] as string;
    const escaped = escapeValue(v);
    const next = ((slots[i + 2 * LOOP_WAYS] as number | undefined) ?? 0) % LOOP_WAYS;
    slots[i + 2 * next] = v;
    slots[i + 2 * next + 1] = escaped;
    slots[i + 2 * LOOP_WAYS] = next + 1;
    return escaped;
  },
  property,
  /** property() once the parent is known not to be null and `result` is its value at `name`. */
  own: (parent: unknown, name: string, result: unknown): unknown =>
    result == null || (hasOwn.call(parent, name) && !(name === 'constructor' && typeof result === 'function' && (result as { prototype?: unknown }).prototype === parent)) ? result : undefined,
  isEmpty,
  isFalse,
  raw: (v: unknown) => (v != null ? `${v as string}` : ''),
  /** A field's value as Handlebars prints it (a function in the data is called, as its `lambda` does). */
  field: (v: unknown, context: unknown) => (typeof v === 'function' ? (v as Helper).call(context, {}) : v),
  /** A block's parameter (a function is called with the context, as the built-in helpers do). */
  resolve: (v: unknown, context: unknown) => (typeof v === 'function' ? (v as Helper).call(context) : v),
  lookup: (o: unknown, field: unknown) => (o ? property(o, field as string) : o),
  /** `each` iterates an iterable (Map, Set) as Handlebars does: copied into a list first. */
  list: (v: object) => (!Array.isArray(v) && Symbol.iterator in v ? [...(v as Iterable<unknown>)] : v),
};

/**
 * Compiles `source` as Handlebars would with `{ noEscape }`, or undefined when it uses something
 * not covered here. Like Handlebars, it generates one JavaScript function per template (straight-line
 * code V8 can optimise, where a tree of closures is several times slower); names and text go in as
 * JSON literals, so no template content can become code.
 */
export function compileTemplateProgram(source: string, helpers: Readonly<Record<string, Helper>>, options: { noEscape?: boolean } = {}): Render | undefined {
  const builtIn = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log', 'helperMissing', 'blockHelperMissing']);
  const isHelper = (name: string) => builtIn.has(name) || hasOwn.call(helpers, name);
  const lit = (v: unknown) => JSON.stringify(v);
  let level = 0;
  let usesDepths = false;
  let slots = 0;
  /** Loops the code being generated is inside. */
  let loops = 0;
  /** The slots of the fields printed so far, by the code that reads them: fields printing the same value (the referral link, three times) share one. */
  const slotOf = new Map<string, number>();
  const slotFor = (value: string) => {
    const key = `${loops > 0 ? 'loop' : 'flat'} ${value}`;
    let slot = slotOf.get(key);
    if (slot === undefined) {
      slot = slots;
      slots += loops > 0 ? 2 * LOOP_WAYS + 1 : 2;
      slotOf.set(key, slot);
    }
    return slot;
  };

  /** Code reading a path in the frame `n` (context c<n>, depths d<n>, data a<n>). */
  const path = (p: hbs.AST.PathExpression, n: number): string => {
    let code: string;
    if (p.data) {
      if (p.depth > 0) throw new Unsupported('@../');
      code = `a${n}`;
    } else if (p.depth > 0) {
      usesDepths = true;
      code = `d${n}[${p.depth}]`;
    } else code = `c${n}`;
    // property() written out at each step, so each step's read has its own inline cache (one shared
    // function reading every name of every object is a slow megamorphic read); T holds the parent, V the value.
    // A plain object's value is its own when Object.prototype lacks the name (asked now, so a name added to it
    // later is still denied): V8 folds both checks to map checks, where hasOwnProperty is a lookup per read.
    // Anything else (a class instance, a string, `constructor`) takes the full check.
    for (const part of p.parts) {
      const name = lit(String(part));
      code = `((T = ${code}) == null ? T : (V = T[${name}]) == null || (GP(T) === OP && !(${name} in OP)) ? V : R.own(T, ${name}, V))`;
    }
    return code;
  };

  const call = (name: string, params: readonly Expression[], hash: hbs.AST.Hash | undefined, n: number): string => {
    if (hash && hash.pairs.length) throw new Unsupported('hash');
    const args = params.map((e) => expression(e, n));
    if (name === 'lookup') {
      if (args.length !== 2) throw new Unsupported('lookup arity');
      return `R.lookup(${args[0]}, ${args[1]})`;
    }
    if (!hasOwn.call(helpers, name)) throw new Unsupported(`helper ${name}`);
    return `H[${lit(name)}].call(c${n}, ${[...args, '{}'].join(', ')})`;
  };

  const expression = (e: Expression, n: number): string => {
    switch (e.type) {
      case 'PathExpression':
        return path(e as hbs.AST.PathExpression, n);
      case 'SubExpression': {
        const s = e as hbs.AST.SubExpression;
        const head = s.path as hbs.AST.PathExpression;
        if (head.type !== 'PathExpression' || head.parts.length !== 1 || head.depth || head.data) throw new Unsupported('sub-expression');
        return `(${call(String(head.parts[0]), s.params, s.hash, n)})`;
      }
      case 'StringLiteral':
      case 'NumberLiteral':
      case 'BooleanLiteral':
        return `(${lit((e as hbs.AST.StringLiteral).value)})`;
      case 'UndefinedLiteral':
        return 'undefined';
      case 'NullLiteral':
        return 'null';
      default:
        throw new Unsupported(e.type);
    }
  };

  /** A simple name that could be a helper (Handlebars' "ambiguous" mustache), or a plain path (AST.helpers.simpleId). */
  const simpleName = (p: hbs.AST.PathExpression) => (p.parts.length === 1 && !p.depth && !p.data && !/^\.|this\b/.test(p.original) ? String(p.parts[0]) : undefined);

  /** Code appending the program's output to `out`, in frame `n`. */
  const program = (p: hbs.AST.Program | undefined, n: number): string => {
    if (!p) return '';
    if (p.blockParams?.length) throw new Unsupported('block params');
    return p.body.map((s) => statement(s, n)).join('\n');
  };

  /** Code entering a new frame for `value` (Handlebars' program wrapper: a new depth only when the context changes). */
  const enter = (value: string, data: string, n: number): { code: string; frame: number } => {
    const m = ++level;
    // From the outermost frame the depths are [c0]: the new ones written out, not spread (a list built per loop item).
    const deeper = n === 0 ? `[c${m}, c0]` : `[c${m}, ...d${n}]`;
    return { code: `const c${m} = ${value}; const d${m} = DEPTHS && c${m} != d${n}[0] ? ${deeper} : d${n}; const a${m} = ${data};`, frame: m };
  };

  const statement = (node: Node, n: number): string => {
    switch (node.type) {
      case 'ContentStatement':
        return `out += ${lit((node as hbs.AST.ContentStatement).value)};`;
      case 'CommentStatement':
        return '';
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        if (m.path.type !== 'PathExpression') throw new Unsupported('literal mustache');
        const p = m.path as hbs.AST.PathExpression;
        const escaped = m.escaped && !options.noEscape;
        const print = (value: string) => (escaped ? `R.${loops > 0 ? 'escapeIn' : 'escapeAt'}(S, ${slotFor(value)}, ${value})` : `R.raw(${value})`);
        const name = simpleName(p);
        if (m.params.length || (m.hash && m.hash.pairs.length)) {
          if (!name) throw new Unsupported('call on a path');
          return `out += ${print(call(name, m.params, m.hash, n))};`;
        }
        if (name !== undefined && isHelper(name)) throw new Unsupported(`bare helper ${name}`);
        return `out += ${print(`R.field(${path(p, n)}, c${n})`)};`;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        const head = b.path as hbs.AST.PathExpression;
        const name = head.type === 'PathExpression' ? simpleName(head) : undefined;
        if (!name || (b.hash && b.hash.pairs.length) || b.params.length !== 1) throw new Unsupported('block');
        const param = `R.resolve(${expression(b.params[0]!, n)}, c${n})`;
        switch (name) {
          case 'if':
          case 'unless': {
            const [yes, no] = name === 'if' ? [b.program, b.inverse] : [b.inverse, b.program];
            return `if (!R.isFalse(${param})) {\n${program(yes, n)}\n} else {\n${program(no, n)}\n}`;
          }
          case 'with': {
            const v = `v${++level}`;
            const inner = enter(v, `a${n}`, n);
            return `{ const ${v} = ${param};\nif (!R.isEmpty(${v})) { ${inner.code}\n${program(b.program, inner.frame)}\n} else {\n${program(b.inverse, n)}\n} }`;
          }
          case 'each': {
            const k = ++level;
            const inner = enter(`l${k}[key${k}]`, `f${k}`, n);
            loops++;
            const each = program(b.program, inner.frame);
            loops--;
            return [
              `{ let l${k} = ${param}; let n${k} = 0;`,
              `if (l${k} && typeof l${k} === 'object') {`,
              // Handlebars' createFrame; an object spread here, then the four keys added, costs ~4 µs a loop in V8.
              // The outermost data frame is { root: c0 } (set up below), so its copy is written out as a literal.
              `l${k} = R.list(l${k}); const f${k} = ${n === 0 ? '{ root: a0.root, _parent: a0 }' : `Object.assign({}, a${n}, { _parent: a${n} })`}; const ks${k} = Array.isArray(l${k}) ? undefined : Object.keys(l${k});`,
              `n${k} = ks${k} ? ks${k}.length : l${k}.length;`,
              `for (let i${k} = 0; i${k} < n${k}; i${k}++) {`,
              `const key${k} = ks${k} ? ks${k}[i${k}] : i${k}; if (!ks${k} && !(i${k} in l${k})) continue;`,
              `f${k}.key = key${k}; f${k}.index = i${k}; f${k}.first = i${k} === 0; f${k}.last = i${k} === n${k} - 1;`,
              inner.code,
              each,
              '} }',
              `if (n${k} === 0) {\n${program(b.inverse, n)}\n} }`,
            ].join('\n');
          }
          default:
            throw new Unsupported(`block helper ${name}`);
        }
      }
      default:
        throw new Unsupported(node.type);
    }
  };

  let body: string;
  try {
    body = program(Handlebars.parse(source), 0);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the parsed template, as Handlebars itself does
  const make = new Function('R', 'H', 'DEPTHS', `const S = new Array(${slots}); const OP = Object.prototype; const GP = Object.getPrototypeOf;\nreturn function render(c0) {\nconst d0 = [c0]; const a0 = { root: c0 };\nlet out = ''; let T; let V;\n${body}\nreturn out;\n};`) as (r: typeof RUNTIME, h: typeof helpers, depths: boolean) => Render;
  return make(RUNTIME, helpers, usesDepths);
}
