import { z } from 'zod';
import { didYouMean, meant } from './suggest.ts';
import { type FieldPath, formatPath } from './yaml-source.ts';

/**
 * Problems in config and campaign files, described for the marketer who wrote them: the
 * field, the bad value quoted, and what was expected. (Shop events use describeZodIssues,
 * which never echoes values: those can be personal data. These files are the team's own.)
 */
export interface FieldProblem {
  path: FieldPath;
  /** The problem is the key itself (an unknown key), not its value. */
  key?: boolean;
  message: string;
}

type AnySchema = z.core.$ZodType;

/** The schema a value is parsed with, past wrappers (optional, default, pipe …). */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodReadonly || s instanceof z.ZodCatch) s = s.def.innerType;
    else if (s instanceof z.ZodPipe) s = s.def.in;
    else break;
  }
  return s;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every key at any depth that its schema does not define, with the nearest real key.
 * Walks the schema itself, so an object that zod would let pass with extra keys (a
 * non-strict schema) is held to the same rule as a strict one.
 */
export function unknownKeys(schema: AnySchema, value: unknown, path: FieldPath = []): FieldProblem[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject && isRecord(value)) {
    const shape = s.shape as Record<string, AnySchema>;
    const known = Object.keys(shape);
    return Object.entries(value).flatMap(([key, v]) => {
      const field = shape[key];
      if (field) return unknownKeys(field, v, [...path, key]);
      return [{ path: [...path, key], key: true, message: `unknown key${didYouMean(key, known, (k) => formatPath([...path, k]))}` }];
    });
  }
  if (s instanceof z.ZodArray && Array.isArray(value)) return value.flatMap((v, i) => unknownKeys(s.element, v, [...path, i]));
  if (s instanceof z.ZodRecord && isRecord(value)) return Object.entries(value).flatMap(([k, v]) => unknownKeys(s.def.valueType, v, [...path, k]));
  if (s instanceof z.ZodUnion) {
    const options = s.options as readonly AnySchema[];
    const discriminator = s instanceof z.ZodDiscriminatedUnion ? s.def.discriminator : undefined;
    const candidates = discriminator && isRecord(value) ? options.filter((o) => matchesDiscriminator(o, discriminator, value[discriminator])) : options;
    // Several options fit: judge by the one the value is closest to (fewest unknown keys).
    const results = candidates.filter((o) => kindFits(unwrap(o), value)).map((o) => unknownKeys(o, value, path));
    return results.sort((a, b) => a.length - b.length)[0] ?? [];
  }
  return [];
}

function matchesDiscriminator(option: AnySchema, key: string, value: unknown): boolean {
  const o = unwrap(option);
  if (!(o instanceof z.ZodObject)) return false;
  const field = unwrap((o.shape as Record<string, AnySchema>)[key] ?? z.never());
  return field instanceof z.ZodLiteral ? field.values.has(value as never) : true;
}

const kindFits = (s: AnySchema, value: unknown) => (s instanceof z.ZodObject || s instanceof z.ZodRecord ? isRecord(value) : s instanceof z.ZodArray ? Array.isArray(value) : true);

/** A value as a marketer would recognise it in their file. */
export function quote(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  return String(value);
}

const KIND_NAMES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value lines)',
  record: 'a mapping (key: value lines)',
  date: 'a date',
};

/** What a list of allowed values is a list of, named after the field holding them. */
const ENUM_NOUNS: Record<string, string> = {
  stages: 'a stage',
  stage: 'a stage',
  op: 'an operator',
  event: 'a shop event',
  field: 'a customer field',
  kind: 'a kind',
  type: 'a type',
};

const FORMAT_NOUNS: Record<string, string> = {
  email: 'an email address',
  url: 'a URL',
  regex: 'in the expected form',
};

const valueAt = (root: unknown, path: FieldPath): unknown =>
  path.reduce<unknown>((v, segment) => (Array.isArray(v) ? v[Number(segment)] : isRecord(v) ? v[String(segment)] : undefined), root);

/** A schema's own message (not zod's generic English) reads as what was expected. */
const isOwnMessage = (message: string) => !/^(Invalid|Too (small|big)|Expected)\b/.test(message);

function describeIssue(issue: z.core.$ZodIssue, root: unknown): FieldProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const value = valueAt(root, path);
  const name = [...path].reverse().find((p): p is string => typeof p === 'string') ?? '';
  switch (issue.code) {
    case 'unrecognized_keys':
      return []; // reported by unknownKeys, with suggestions
    case 'invalid_type':
      return [{ path, message: value === undefined ? `missing; expected ${KIND_NAMES[issue.expected] ?? issue.expected}` : `${quote(value)} is not ${KIND_NAMES[issue.expected] ?? issue.expected}` }];
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const given = typeof value === 'string' ? value : String(value);
      return [{ path, message: `${quote(value)} is not ${ENUM_NOUNS[name] ?? 'allowed'}; expected one of ${allowed.join(', ')}${typeof value === 'string' ? meant(given, allowed) : ''}` }];
    }
    case 'invalid_union': {
      if ('options' in issue && Array.isArray(issue.options)) {
        const options = (issue.options as unknown[]).map(String);
        const given = String(value);
        return [{ path, message: `${quote(value)} is not ${ENUM_NOUNS[name] ?? 'allowed'}; expected one of ${options.join(', ')}${meant(given, options)}` }];
      }
      // The value fits none of the forms: report the closest form's problems.
      const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      const described = closest.flatMap((i) => describeIssue({ ...i, path: [...issue.path, ...i.path] }, root));
      return described.length ? described : [{ path, message: `${quote(value)} is not valid` }];
    }
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const limit = small ? issue.minimum : issue.maximum;
      const bound = small ? (issue.inclusive ? 'at least' : 'more than') : issue.inclusive ? 'at most' : 'less than';
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' || issue.origin === 'set' ? ' items' : '';
      const shown = typeof value === 'string' || Array.isArray(value) ? `${quote(value)} has ${value.length}${unit || ''}` : `${quote(value)} is too ${small ? 'small' : 'big'}`;
      return [{ path, message: `${shown}; expected ${bound} ${String(limit)}${unit}` }];
    }
    case 'invalid_format':
      return [{ path, message: `${quote(value)} is not ${isOwnMessage(issue.message) ? issue.message : (FORMAT_NOUNS[issue.format] ?? `a valid ${issue.format}`)}` }];
    case 'custom':
      if (!isOwnMessage(issue.message)) return [{ path, message: `${quote(value)} is not valid` }];
      return [{ path, message: issue.message.includes(quote(value)) || isRecord(value) || Array.isArray(value) ? issue.message : `${quote(value)}: ${issue.message}` }];
    default:
      return [{ path, message: `${quote(value)}: ${issue.message}` }];
  }
}

/** Every problem zod found, plus every unknown key, described with the offending values. */
export function describeFileIssues(schema: AnySchema, error: z.core.$ZodError | undefined, input: unknown): FieldProblem[] {
  return [...unknownKeys(schema, input), ...(error?.issues ?? []).flatMap((issue) => describeIssue(issue, input))];
}
