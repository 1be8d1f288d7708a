/**
 * Two `run --summary` files of the same run (same seed): did a speed change change what the
 * run decided? Prints every field that differs (the run's duration aside) and exits 1 if any.
 *
 *   npx tsx bench/compare-summaries.ts before.json after.json
 */
import { readFileSync } from 'node:fs';

/** Fields that measure the run itself, not what it decided. */
const NOT_DECISIONS = new Set(['durationSeconds']);

export function summaryDifferences(before: unknown, after: unknown, path = ''): string[] {
  if (NOT_DECISIONS.has(path)) return [];
  if (typeof before === 'object' && before !== null && typeof after === 'object' && after !== null) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((k) => summaryDifferences((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [`${path}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [a, b] = process.argv.slice(2);
  if (!a || !b) {
    process.stderr.write('usage: compare-summaries.ts before.json after.json\n');
    process.exit(2);
  }
  const differences = summaryDifferences(JSON.parse(readFileSync(a, 'utf8')), JSON.parse(readFileSync(b, 'utf8')));
  process.stdout.write(differences.length ? differences.join('\n') + '\n' : `same decisions (${a} and ${b})\n`);
  process.exit(differences.length ? 1 : 0);
}
