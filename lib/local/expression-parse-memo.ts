import { createRequire } from 'node:module';

/**
 * dynalite parses every call's expressions (UpdateExpression, ConditionExpression, key conditions,
 * filters, projections) with PEG parsers, about a tenth of a held table's call: the handlers send
 * the same few expressions again and again, with other values. This remembers each successful
 * parse by what decides it and hands out a fresh copy with the call's own values in their places:
 *
 * - the expression, the parser, and the attribute names (the parse writes their resolved names);
 * - each attribute value's type: the parsers' checks read a value's type (`+` needs a number,
 *   `list_append` a list), never its content, except in BETWEEN (its bounds are compared) and
 *   `attribute_type` (its type name is read), which are always parsed.
 *
 * A parse that failed is not remembered (the next call parses again and fails as before), nor one
 * whose result holds a part of a value rather than a whole value, nor one whose values share an
 * object. Which names and values the parse used is remembered too, and marked used on the call's
 * context, as the parse would have (dynalite then refuses the unused ones).
 * test/unit/expression-parse-memo.test.ts compares it with the parsers themselves.
 */

type AttributeValue = Record<string, unknown>;
export interface ParseContext {
  attrNames?: Record<string, string>;
  attrVals?: Record<string, AttributeValue>;
  unusedAttrNames?: Record<string, boolean>;
  unusedAttrVals?: Record<string, boolean>;
}
export interface ExpressionParser {
  parse(text: string, options: { context: ParseContext }): unknown;
}

/** Where the call's own value goes in a remembered parse. */
class ValueSlot {
  constructor(readonly name: string) {}
}
class NotRemembered extends Error {}

interface Remembered {
  template: unknown;
  usedNames: readonly string[];
  usedValues: readonly string[];
}

/** What the parsers check of a value: which of DynamoDB's types it is (a validated value has exactly one). */
const TYPES = ['S', 'N', 'B', 'NULL', 'BOOL', 'SS', 'NS', 'BS', 'L', 'M'];
const typeOf = (value: AttributeValue | undefined) => (value ? (TYPES.find((t) => value[t] != null) ?? '?') : '-');
const VALUE_DEPENDENT = /between|attribute_type/i;
/** Distinct (expression, names, value types) a process remembers: the handlers' expressions are few. */
const CAPACITY = 20_000;

/** Every object inside a value (its lists and maps): a parse result holding one of them is not remembered. */
function insideValues(values: Record<string, AttributeValue>): Set<object> {
  const inside = new Set<object>();
  const walk = (v: unknown) => {
    if (v === null || typeof v !== 'object' || inside.has(v)) return;
    inside.add(v);
    for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child);
  };
  for (const value of Object.values(values)) for (const child of Object.values(value)) walk(child);
  return inside;
}

/**
 * A copy of a parse result's tree (plain and null-prototype objects, arrays): `replace` may stand
 * in for a node (it returns undefined to copy it); nodes shared in the tree are shared in the copy.
 */
function copyTree(node: unknown, replace: (node: object) => unknown, copies = new Map<object, unknown>()): unknown {
  if (node === null || typeof node !== 'object') return node;
  const replaced = replace(node);
  if (replaced !== undefined) return replaced;
  const known = copies.get(node);
  if (known !== undefined) return known;
  if (Array.isArray(node)) {
    const copy: unknown[] = [];
    copies.set(node, copy);
    for (const item of node) copy.push(copyTree(item, replace, copies));
    return copy;
  }
  const copy = Object.create(Object.getPrototypeOf(node) as object | null) as Record<string, unknown>;
  copies.set(node, copy);
  for (const key of Object.keys(node)) copy[key] = copyTree((node as Record<string, unknown>)[key], replace, copies);
  return copy;
}

/** A parse result with each whole value replaced by its slot; NotRemembered for a part of a value, or a node that is not plain data. */
const toTemplate = (result: unknown, slots: Map<object, string>, inside: Set<object>) =>
  copyTree(result, (node) => {
    const name = slots.get(node);
    if (name !== undefined) return new ValueSlot(name);
    const prototype = Object.getPrototypeOf(node) as object | null;
    if (inside.has(node) || (prototype !== Object.prototype && prototype !== Array.prototype && prototype !== null)) throw new NotRemembered();
    return undefined;
  });

/** A remembered parse with the call's own values in their slots. */
const instantiate = (template: unknown, values: Record<string, AttributeValue>) => copyTree(template, (node) => (node instanceof ValueSlot ? values[node.name] : undefined));

/** `parse` with its successful parses remembered (see above); `kind` tells parsers apart in the keys. */
export function rememberingParse(kind: string, parse: ExpressionParser['parse']): ExpressionParser['parse'] {
  const remembered = new Map<string, Remembered>();
  return (text, options) => {
    const context = options.context;
    if (VALUE_DEPENDENT.test(text)) return parse(text, options);
    const values = context.attrVals ?? {};
    const valueNames = Object.keys(values);
    const key = `${kind}\u0000${text}\u0000${JSON.stringify(context.attrNames ?? null)}\u0000${valueNames.map((n) => `${n}=${typeOf(values[n])}`).join(',')}`;
    const known = remembered.get(key);
    if (known) {
      for (const name of known.usedNames) if (context.unusedAttrNames) delete context.unusedAttrNames[name];
      for (const name of known.usedValues) if (context.unusedAttrVals) delete context.unusedAttrVals[name];
      return instantiate(known.template, values);
    }
    const unusedNames = Object.keys(context.unusedAttrNames ?? {});
    const unusedValues = Object.keys(context.unusedAttrVals ?? {});
    const result = parse(text, options); // a failed parse throws, and is not remembered
    if (remembered.size >= CAPACITY) return result;
    const slots = new Map<object, string>();
    for (const name of valueNames) {
      const value = values[name];
      if (value === null || typeof value !== 'object' || slots.has(value)) return result;
      slots.set(value, name);
    }
    try {
      const template = toTemplate(result, slots, insideValues(values));
      remembered.set(key, {
        template,
        usedNames: unusedNames.filter((n) => !(n in (context.unusedAttrNames ?? {}))),
        usedValues: unusedValues.filter((n) => !(n in (context.unusedAttrVals ?? {}))),
      });
    } catch (error) {
      if (!(error instanceof NotRemembered)) throw error;
    }
    return result;
  };
}

const require = createRequire(import.meta.url);
const PARSERS = { condition: 'dynalite/db/conditionParser', update: 'dynalite/db/updateParser', projection: 'dynalite/db/projectionParser' } as const;
const originals = new Map<string, ExpressionParser['parse']>();

/**
 * Has this process's dynalite code (the held tables' validations, which call `parser.parse` on
 * these modules) parse through rememberingParse. The dynalite server is a process of its own and
 * parses every call as before.
 */
export function rememberExpressionParses(): void {
  if (originals.size) return;
  for (const [kind, id] of Object.entries(PARSERS)) {
    const parser = require(id) as ExpressionParser;
    originals.set(kind, parser.parse);
    parser.parse = rememberingParse(kind, parser.parse);
  }
}

/** @internal dynalite's own parse of each kind, as it was before rememberExpressionParses (what the test compares with). */
export function dynaliteParse(kind: keyof typeof PARSERS): ExpressionParser['parse'] {
  rememberExpressionParses();
  return originals.get(kind)!;
}
