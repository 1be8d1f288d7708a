import { z } from 'zod';
import { TemplateContext } from '#domain/compose-email.ts';

/**
 * What a template may print, as a tree the field check walks: built from the TemplateContext
 * schema (the one composeEmail builds), with `campaign.content` taken from the campaign's
 * own `content:` values.
 */
export type Shape =
  | { kind: 'object'; fields: Record<string, Shape>; optional: ReadonlySet<string> }
  | { kind: 'list'; element: Shape }
  | { kind: 'value'; type: 'text' | 'number' | 'true/false' | 'nothing' }
  | { kind: 'any' };

type AnySchema = z.core.$ZodType;

export function shapeOfSchema(schema: AnySchema): Shape {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) return shapeOfSchema(schema.def.innerType);
  if (schema instanceof z.ZodObject) {
    const entries = Object.entries(schema.shape as Record<string, AnySchema>);
    return {
      kind: 'object',
      fields: Object.fromEntries(entries.map(([k, s]) => [k, shapeOfSchema(s)])),
      optional: new Set(entries.filter(([, s]) => s instanceof z.ZodOptional).map(([k]) => k)),
    };
  }
  if (schema instanceof z.ZodArray) return { kind: 'list', element: shapeOfSchema(schema.element) };
  if (schema instanceof z.ZodString || schema instanceof z.ZodEnum || schema instanceof z.ZodISODateTime) return { kind: 'value', type: 'text' };
  if (schema instanceof z.ZodNumber) return { kind: 'value', type: 'number' };
  if (schema instanceof z.ZodBoolean) return { kind: 'value', type: 'true/false' };
  return { kind: 'any' };
}

/** The shape of a YAML value (a campaign's `content:`); list items that differ merge, fields missing from some become optional. */
export function shapeOfValue(value: unknown): Shape {
  if (typeof value === 'string') return { kind: 'value', type: 'text' };
  if (typeof value === 'number') return { kind: 'value', type: 'number' };
  if (typeof value === 'boolean') return { kind: 'value', type: 'true/false' };
  if (value === null || value === undefined) return { kind: 'value', type: 'nothing' };
  if (Array.isArray(value)) return { kind: 'list', element: value.length ? value.map(shapeOfValue).reduce(merge) : { kind: 'any' } };
  return { kind: 'object', fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOfValue(v)])), optional: new Set() };
}

function merge(a: Shape, b: Shape): Shape {
  if (a.kind === 'object' && b.kind === 'object') {
    const keys = new Set([...Object.keys(a.fields), ...Object.keys(b.fields)]);
    const fields: Record<string, Shape> = {};
    const optional = new Set([...a.optional, ...b.optional]);
    for (const k of keys) {
      const x = a.fields[k];
      const y = b.fields[k];
      fields[k] = x && y ? merge(x, y) : (x ?? y)!;
      if (!x || !y) optional.add(k);
    }
    return { kind: 'object', fields, optional };
  }
  if (a.kind === 'list' && b.kind === 'list') return { kind: 'list', element: merge(a.element, b.element) };
  if (a.kind === 'value' && b.kind === 'value' && a.type === b.type) return a;
  return { kind: 'any' };
}

const CONTEXT_SHAPE = shapeOfSchema(TemplateContext);

/** The context a template, subject or preheader sees; `content` is the campaign's (undefined: any, for a template no campaign uses). */
export function contextShape(content?: unknown): Shape {
  if (CONTEXT_SHAPE.kind !== 'object') return CONTEXT_SHAPE;
  const campaign = CONTEXT_SHAPE.fields.campaign;
  if (campaign?.kind !== 'object') return CONTEXT_SHAPE;
  const contentShape: Shape = content === undefined ? { kind: 'any' } : shapeOfValue(content);
  return { ...CONTEXT_SHAPE, fields: { ...CONTEXT_SHAPE.fields, campaign: { ...campaign, fields: { ...campaign.fields, content: contentShape } } } };
}
