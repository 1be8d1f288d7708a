import type { EventPattern } from '../routes.ts';

/**
 * EventBridge pattern matching for the subset the routes use: lists of exact values,
 * `prefix`, `anything-but` and `exists`, nested to any depth.
 */
export function matchesPattern(event: unknown, pattern: EventPattern): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const record = event as Record<string, unknown>;
  return Object.entries(pattern).every(([field, rule]) => {
    const value = record[field];
    if (!Array.isArray(rule)) return matchesPattern(value, rule as EventPattern);
    return (rule as readonly unknown[]).some((candidate) => matchesValue(value, candidate));
  });
}

function matchesValue(value: unknown, candidate: unknown): boolean {
  if (Array.isArray(value)) return value.some((v) => matchesValue(v, candidate));
  if (typeof candidate !== 'object' || candidate === null) return value === candidate;
  const rule = candidate as Record<string, unknown>;
  if ('prefix' in rule) return typeof value === 'string' && typeof rule.prefix === 'string' && value.startsWith(rule.prefix);
  if ('exists' in rule) return rule.exists ? value !== undefined : value === undefined;
  if ('anything-but' in rule) {
    const excluded = rule['anything-but'];
    return value !== undefined && !(Array.isArray(excluded) ? excluded.includes(value) : excluded === value);
  }
  return false;
}
