/**
 * dynalite's request type check (`checkTypes`), with a quicker path for the maps of attribute
 * values the SDK marshals (an item, a key, expression values, a start key). dynalite checks each
 * value against a type description it builds anew for every value, matching a regex on each type
 * name: most of a held table's call on a whole profile. A value already in the form the check
 * gives back (one type key; S and N strings, BOOL and NULL booleans, SS and NS lists of strings,
 * L and M of such values) comes out of it as a copy of itself, so it is copied here. Anything
 * else in the request (a binary value, a second key, a value of another JavaScript type, any
 * other parameter) goes through dynalite's check, which also throws its errors.
 * test/unit/request-type-check.test.ts compares the two over values of every type and form.
 */

type Data = Record<string, unknown>;
type TypeDescription = { type?: string; children?: unknown } | string;
export type CheckTypes = (data: Data, types: Record<string, TypeDescription>) => Data;

/** A copy of an attribute value in the form dynalite's check gives back, or undefined when only that check can tell. */
function copyValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  let type: string | undefined;
  for (const key in value) {
    if (type !== undefined) return undefined; // a second key (or one inherited): the check decides
    type = key;
  }
  const inner = (value as Data)[type!];
  switch (type) {
    case 'S':
    case 'N':
      return typeof inner === 'string' ? { [type]: inner } : undefined;
    case 'BOOL':
    case 'NULL':
      return typeof inner === 'boolean' ? { [type]: inner } : undefined;
    case 'SS':
    case 'NS': {
      if (!Array.isArray(inner)) return undefined;
      for (let i = 0; i < inner.length; i++) if (typeof inner[i] !== 'string') return undefined;
      return { [type]: inner.slice() };
    }
    case 'L': {
      if (!Array.isArray(inner)) return undefined;
      const list: unknown[] = new Array(inner.length);
      for (let i = 0; i < inner.length; i++) if ((list[i] = copyValue(inner[i])) === undefined) return undefined;
      return { L: list };
    }
    case 'M': {
      const map = copyValueMap(inner);
      return map === undefined ? undefined : { M: map };
    }
    default:
      return undefined; // B, BS (base64 checks), an unknown type, an empty value
  }
}

/** A map of attribute values (an item, `M`'s contents) copied by copyValue, or undefined. */
function copyValueMap(map: unknown): Data | undefined {
  if (typeof map !== 'object' || map === null || Object.getPrototypeOf(map) !== Object.prototype) return undefined;
  const copy: Data = {};
  for (const key of Object.keys(map)) if ((copy[key] = copyValue((map as Data)[key])) === undefined) return undefined;
  return copy;
}

const isValueMap = (type: TypeDescription | undefined) => typeof type === 'object' && type.type === 'Map<AttributeValue>' && type.children === 'AttrStruct<ValueStruct>';

/** `checkTypes(data, types)` as dynalite computes it (its output, its changes to `data`, its errors). */
export function checkRequestTypes(checkTypes: CheckTypes, data: Data, types: Record<string, TypeDescription>): Data {
  const copied: Data = {};
  const rest: Data = {};
  let any = false;
  for (const key in data) {
    const value = data[key];
    if (value != null && isValueMap(types[key])) {
      const copy = copyValueMap(value);
      if (copy === undefined) return checkTypes(data, types);
      copied[key] = copy;
      any = true;
    } else rest[key] = value;
  }
  if (!any) return checkTypes(data, types);
  // dynalite drops the parameters it does not know, and those that are null, from the request itself.
  for (const key in data) if (!types[key] || data[key] == null) delete data[key];
  const checked = checkTypes(rest, types);
  // In its order: the parameters as the types list them.
  const out: Data = {};
  for (const key of Object.keys(types)) {
    const value = key in copied ? copied[key] : checked[key];
    if (value != null) out[key] = value;
  }
  return out;
}
