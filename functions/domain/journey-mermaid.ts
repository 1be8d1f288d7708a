import type { CampaignCondition } from './campaign.ts';
import { type Duration, firstOf, type Journey, journeyNodes, type WaitSpec } from './journey.ts';
import { stepToken } from './journey-engine.ts';

/**
 * A journey as a Mermaid flowchart (`journeys show`, the README): one node per step, named
 * by its step path, with the branches labelled. Pure text, so it can be pasted anywhere
 * Mermaid renders (GitHub, most wikis).
 */

/** The Mermaid node id of a step path: `steps[2].then[0]` → `steps2_then0`. */
export const mermaidId = (path: string) => stepToken(path).replace(/-/g, '_');

const label = (text: string) => `"${text.replace(/"/g, '#quot;')}"`;

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
export function describeDuration(d: Duration): string {
  const parts = [d.days ? plural(d.days, 'day') : '', d.hours ? plural(d.hours, 'hour') : '', d.minutes ? plural(d.minutes, 'minute') : ''].filter(Boolean);
  return parts.join(' ');
}

export function describeWait(w: WaitSpec): string {
  if ('until' in w) return `wait until ${w.until}${w.weekdays ? ` on ${w.weekdays.join(', ')}` : ''} (their time)`;
  if ('purchaseIntervals' in w) return `wait ${w.purchaseIntervals}× their purchase interval after the last order`;
  return `wait ${describeDuration(w)}`;
}

export const describeCondition = (c: CampaignCondition) =>
  c.op === 'exists' ? `${c.field} exists` : `${c.field} ${c.op} ${Array.isArray(c.value) ? c.value.join(', ') : String(c.value)}`;

export function describeEntry(journey: Journey): string {
  const e = journey.entry;
  if ('event' in e) return `${e.event}${e.conditions.length ? ` and ${e.conditions.map(describeCondition).join(' and ')}` : ''}`;
  if ('stage' in e) return `enters stage ${e.stage}`;
  if ('segment' in e) return `segment (${e.segment.cron}): ${e.segment.conditions.map(describeCondition).join(' and ')}`;
  return `each year, ${e.date.offsetDays ? `${e.date.offsetDays} days from ` : ''}${e.date.field} at ${e.date.at}`;
}

export function journeyMermaid(journey: Journey): string {
  const lines = ['flowchart TD', `  entry([${label(`${journey.name}: ${describeEntry(journey)}`)}])`];
  const edges: string[] = [];
  const target = (path: string | null) => (path === null ? 'done' : mermaidId(path));
  for (const node of journeyNodes(journey).values()) {
    const id = mermaidId(node.path);
    const step = node.step;
    if ('send' in step) {
      lines.push(`  ${id}[${label(`send ${step.send}`)}]`);
      edges.push(`  ${id} --> ${target(node.next)}`);
    } else if ('wait' in step) {
      lines.push(`  ${id}[/${label(describeWait(step.wait))}/]`);
      edges.push(`  ${id} --> ${target(node.next)}`);
    } else if ('waitFor' in step) {
      const w = step.waitFor;
      lines.push(`  ${id}{{${label(`wait for ${w.event ?? `email ${w.email}`}, up to ${describeDuration(w.within)}`)}}}`);
      edges.push(`  ${id} -- ${label(w.event ?? w.email ?? '')} --> ${target(firstOf(`${node.path}.then`, w.then, node.next))}`);
      edges.push(`  ${id} -- timeout --> ${target(firstOf(`${node.path}.else`, w.else, node.next))}`);
    } else if ('branch' in step) {
      const b = step.branch;
      lines.push(`  ${id}{${label(`${b.if.map(describeCondition).join(' and ')}?`)}}`);
      edges.push(`  ${id} -- yes --> ${target(firstOf(`${node.path}.then`, b.then, node.next))}`);
      edges.push(`  ${id} -- no --> ${target(firstOf(`${node.path}.else`, b.else, node.next))}`);
    } else {
      const total = step.split.paths.reduce((s, p) => s + p.weight, 0);
      lines.push(`  ${id}{${label('split')}}`);
      step.split.paths.forEach((p, k) =>
        edges.push(`  ${id} -- ${label(`${Math.round((p.weight / total) * 100)}%`)} --> ${target(firstOf(`${node.path}.paths[${k}].steps`, p.steps, node.next))}`),
      );
    }
  }
  lines.push(`  done([${label('end')}])`);
  edges.unshift(`  entry --> ${target(firstOf('steps', journey.steps, null))}`);
  if (journey.exitWhen.length) {
    const exits = journey.exitWhen.map((r) => ('event' in r ? r.event : 'stage' in r ? `stage ${[r.stage].flat().join(' or ')}` : 'unsubscribed'));
    lines.push(`  exit([${label(`exit at any step: ${exits.join(', ')}`)}])`);
    edges.push('  entry -.-> exit');
  }
  return [...lines, ...edges].join('\n') + '\n';
}
