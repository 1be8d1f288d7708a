import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import type { Campaign } from '#domain/campaign.ts';
import { childLists, durationOf, ENTRY_KINDS, EXIT_KINDS, Journey, journeyNodes, STEP_KINDS, type Step } from '#domain/journey.ts';
import { ConfigFileError } from './campaign-files.ts';

type Problem = { file: string; message: string };
type Segment = PropertyKey;

/** The longest a journey may keep one entry along any path of fixed waits (days). */
export const MAX_JOURNEY_DAYS = 730;
const DAY_MS = 86_400_000;

/** Every field name of the journey format, for "did you mean" on a misspelt key. */
const KNOWN_FIELDS = [
  ...['id', 'name', 'description', 'enabled', 'entry', 'audience', 'exitWhen', 'reentry', 'holdout', 'steps'],
  ...['conditions', 'topic', 'event', 'stage', 'segment', 'date', 'cron', 'timeZone', 'field', 'offsetDays', 'at', 'unsubscribed', 'afterDays'],
  ...STEP_KINDS,
  ...['days', 'hours', 'minutes', 'until', 'weekdays', 'purchaseIntervals', 'email', 'within', 'then', 'else', 'if', 'paths', 'weight', 'op', 'value'],
];
const WAIT_FIELDS = ['days', 'hours', 'minutes', 'until', 'weekdays', 'purchaseIntervals'];

/** Edit distance, for suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** " (did you mean 'x'?)" when one candidate is close, else "". */
export function didYouMean(value: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(value, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(value.length / 3)) ? `; did you mean '${best}'?` : '';
}

/** `steps[2].then[0].send`: the same spelling as step ids. */
export const formatPath = (path: readonly Segment[]) =>
  path.reduce<string>((s, seg) => (typeof seg === 'number' ? `${s}[${seg}]` : s ? `${s}.${String(seg)}` : String(seg)), '') || '(root)';

function valueAt(raw: unknown, path: readonly Segment[]): unknown {
  let v = raw;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The alternatives a union at `path` stands for, named as the marketer writes them. */
function unionKinds(path: readonly Segment[]): { what: string; keys: readonly string[] } | undefined {
  const last = path.at(-1);
  const parent = path.at(-2);
  if (last === 'entry') return { what: 'entry', keys: ENTRY_KINDS };
  if (last === 'wait') return { what: 'wait', keys: WAIT_FIELDS };
  if (typeof last === 'number' && parent === 'exitWhen') return { what: 'exit rule', keys: EXIT_KINDS };
  if (typeof last === 'number' && (parent === 'steps' || parent === 'then' || parent === 'else')) return { what: 'step kind', keys: STEP_KINDS };
  return undefined;
}

/**
 * Zod's issues as a marketer can act on them: the field (as a step path), the bad value,
 * what was expected, and a suggestion when the value is close to a valid one.
 */
export function describeJourneyIssues(issues: readonly z.core.$ZodIssue[], raw: unknown, prefix: readonly Segment[] = []): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    const where = formatPath(path);
    const value = valueAt(raw, path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) out.push(`${formatPath([...path, key])}: unknown field '${key}'${didYouMean(key, KNOWN_FIELDS)}`);
        break;
      case 'invalid_value':
        out.push(`${where}: ${show(value)} is not one of: ${issue.values.map(String).join(', ')}${typeof value === 'string' ? didYouMean(value, issue.values.map(String)) : ''}`);
        break;
      case 'invalid_union': {
        const kinds = unionKinds(path);
        const keys = isObject(value) ? Object.keys(value) : [];
        const known = kinds ? keys.filter((k) => kinds.keys.includes(k)) : [];
        if (kinds && isObject(value) && known.length === 0) {
          const first = keys[0];
          out.push(
            first === undefined
              ? `${where}: empty ${kinds.what} (expected one of: ${kinds.keys.join(', ')})`
              : `${where}: unknown ${kinds.what} '${first}' (expected one of: ${kinds.keys.join(', ')})${didYouMean(first, kinds.keys)}`,
          );
        } else if (kinds?.what === 'step kind' && known.length > 1) {
          out.push(`${where}: one step per list item, found ${known.join(' and ')} together`);
        } else if (issue.errors.length) {
          // The alternative the value came closest to speaks for the union.
          const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
          out.push(...describeJourneyIssues(closest, raw, path));
        } else {
          out.push(`${where}: ${issue.message}`);
        }
        break;
      }
      default:
        out.push(`${where}: ${issue.message}${value !== undefined && !isObject(value) && !Array.isArray(value) ? ` (was ${show(value)})` : ''}`);
    }
  }
  return [...new Set(out)];
}

/** The longest sum of fixed waits along any path through `steps` (ms). */
function longestWait(steps: readonly Step[]): number {
  let total = 0;
  for (const step of steps) {
    if ('wait' in step && !('until' in step.wait) && !('purchaseIntervals' in step.wait)) total += durationOf(step.wait);
    else if ('wait' in step) total += DAY_MS * 7; // a time of day is at most a week away; a purchase rhythm is capped per wait
    if ('waitFor' in step) total += durationOf(step.waitFor.within) + Math.max(longestWait(step.waitFor.then), longestWait(step.waitFor.else));
    if ('branch' in step) total += Math.max(longestWait(step.branch.then), longestWait(step.branch.else));
    if ('split' in step) total += Math.max(...step.split.paths.map((p) => longestWait(p.steps)));
  }
  return total;
}

/** Checks a valid journey against the campaigns and for steps that can never run. */
export function journeyProblems(journey: Journey, campaigns: ReadonlyMap<string, Campaign>): string[] {
  const problems: string[] = [];
  const ids = [...campaigns.keys()];
  const exitEvents = new Set(journey.exitWhen.flatMap((r) => ('event' in r ? [r.event] : [])));
  const nodes = journeyNodes(journey);
  for (const node of nodes.values()) {
    const step = node.step;
    if ('send' in step && !campaigns.has(step.send)) problems.push(`${node.path}.send: no campaign '${step.send}' in campaigns/${didYouMean(step.send, ids)}`);
    if ('waitFor' in step && step.waitFor.event && exitEvents.has(step.waitFor.event) && step.waitFor.then.length)
      problems.push(`${node.path}.then: unreachable: '${step.waitFor.event}' is in exitWhen, so the entry exits before this branch could run`);
    if ('waitFor' in step && step.waitFor.email && !sendsBefore(journey.steps, node.path))
      problems.push(`${node.path}.waitFor.email: no send before this step on every path, so there is no email to be ${step.waitFor.email}`);
  }
  const longest = longestWait(journey.steps);
  if (longest > MAX_JOURNEY_DAYS * DAY_MS)
    problems.push(`steps: the waits along one path add up to ${Math.round(longest / DAY_MS)} days (at most ${MAX_JOURNEY_DAYS}): split it into two journeys`);
  return problems;
}

/** Whether every path from the start to `target` passes a send. */
function sendsBefore(steps: readonly Step[], target: string): boolean {
  // Walk the list that holds the target, from the root; a send earlier in any enclosing list counts.
  const search = (list: string, items: readonly Step[], sent: boolean): boolean | undefined => {
    for (let i = 0; i < items.length; i++) {
      const path = `${list}[${i}]`;
      const step = items[i]!;
      if (path === target) return sent;
      for (const child of childLists(path, step)) {
        const found = search(child.list, child.steps, sent);
        if (found !== undefined) return found;
      }
      if ('send' in step) sent = true;
      // After a branch, a send is certain only if every arm sent; approximated by "not counted".
    }
    return undefined;
  };
  return search('steps', steps, false) ?? false;
}

function readJourneyFile(file: string): { value?: Journey; problems: Problem[] } {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'), { prettyErrors: true });
  } catch (error) {
    const message = error instanceof YAMLParseError ? `YAML syntax: ${error.message}` : `cannot read: ${(error as Error).message}`;
    return { problems: [{ file, message }] };
  }
  const result = Journey.safeParse(raw);
  if (!result.success) return { problems: describeJourneyIssues(result.error.issues, raw).map((message) => ({ file, message })) };
  return { value: result.data, problems: [] };
}

/**
 * Loads and validates every `*.yaml` in the journeys folder (none when it does not exist):
 * every problem of every file at once, each naming the file, the field and the bad value.
 */
/** Every journey file checked against the campaigns: the journeys that parsed, and every problem of every file. */
export function checkJourneys(dir: string, campaigns: readonly Campaign[]): { journeys: Journey[]; problems: Problem[] } {
  if (!existsSync(dir)) return { journeys: [], problems: [] };
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const byId = new Map(campaigns.map((c) => [c.id, c]));
  const problems: Problem[] = [];
  const journeys: Journey[] = [];
  const seen = new Map<string, string>();
  for (const name of files) {
    const file = join(dir, name);
    const { value, problems: p } = readJourneyFile(file);
    problems.push(...p);
    if (!value) continue;
    const expectedId = name.replace(/\.ya?ml$/, '');
    if (value.id !== expectedId) problems.push({ file, message: `id: '${value.id}' should match the file name '${expectedId}'` });
    const other = seen.get(value.id);
    if (other) problems.push({ file, message: `id: '${value.id}' is also used by ${other}` });
    seen.set(value.id, file);
    problems.push(...journeyProblems(value, byId).map((message) => ({ file, message })));
    journeys.push(value);
  }
  return { journeys, problems };
}

export function loadJourneys(dir: string, campaigns: readonly Campaign[]): Journey[] {
  const { journeys, problems } = checkJourneys(dir, campaigns);
  if (problems.length) throw new ConfigFileError(problems);
  return journeys;
}
