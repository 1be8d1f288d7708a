/**
 * A journey drawn as server-rendered HTML: the steps as an ordered list, each decision's
 * paths as a list of labelled sub-flows, joined by CSS connectors. A screen reader hears the
 * same flow in order; nothing is fetched or drawn by script.
 */
import { html } from 'hono/html';
import type { Journey, Step } from '#domain/journey.ts';
import type { StoredJourneyFigures } from '#domain/journey-figures.ts';
import { describeCondition, describeDuration, describeEntry, describeWait } from '#domain/journey-mermaid.ts';
import type { Html } from './layout.ts';

export const FLOW_STYLE = `
.flow { list-style:none; margin:0; padding:0; }
.flow > li { position:relative; padding-top:1.1rem; }
.flow > li::before { content:""; position:absolute; left:1.4rem; top:0; height:1.1rem; border-left:2px solid #8c959f; }
.flow > li.first::before { display:none; }
.flow > li.first { padding-top:0; }
.node { display:inline-block; border:2px solid #8c959f; border-radius:6px; padding:.3rem .7rem; background:#fff; min-width:15rem; max-width:34rem; }
.node .what { font-weight:600; }
.node .counts { font-size:.88rem; color:var(--muted); }
.node .counts strong { color:var(--ink); }
.node.send { border-color:var(--accent); background:#eef6f1; }
.node.wait, .node.waitFor { border-style:dashed; }
.node.branch, .node.split, .node.waitFor { background:#fff8e6; border-color:#9a6700; }
.node.terminal { border-radius:999px; background:var(--bg); }
.node.exit { border-color:var(--bad); background:#fdf0f1; }
.paths { list-style:none; display:flex; flex-wrap:wrap; gap:1rem 2rem; margin:.4rem 0 0 1.4rem; padding:.2rem 0 0 1rem; border-left:2px solid #8c959f; }
.paths > li > .label { display:inline-block; font-size:.85rem; font-weight:600; color:#9a6700; margin-bottom:.2rem; }
.paths .continues { font-size:.88rem; color:var(--muted); }
`;

const reasons = (m: ReadonlyMap<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ');

/** The counts printed on one step: what it sent and skipped, and who waits at it now. */
function stepCounts(path: string, step: Step, numbers: StoredJourneyFigures | undefined): Html | string {
  if (!numbers) return '';
  const parts: Html[] = [];
  if ('send' in step) {
    const s = numbers.figures.steps.get(path);
    const skipped = s ? [...s.skipped.values()].reduce((a, b) => a + b, 0) : 0;
    parts.push(html`sent <strong data-count="sent">${s?.sent ?? 0}</strong>, held out <strong data-count="held-out">${s?.heldOut ?? 0}</strong>, skipped <strong data-count="skipped">${skipped}</strong>${s && skipped ? ` (${reasons(s.skipped)})` : ''}`);
  }
  const waiting = numbers.waitingAt.get(path) ?? 0;
  if (waiting || 'wait' in step || 'waitFor' in step) parts.push(html`waiting here now <strong data-count="waiting">${waiting}</strong>`);
  return parts.length ? html`<div class="counts">${parts.map((p, i) => (i ? html`; ${p}` : p))}</div>` : '';
}

function describeStep(step: Step): string {
  if ('send' in step) return `send ${step.send}`;
  if ('wait' in step) return describeWait(step.wait);
  if ('waitFor' in step) return `wait for ${step.waitFor.event ?? `email ${step.waitFor.email}`}, up to ${describeDuration(step.waitFor.within)}`;
  if ('branch' in step) return `if ${step.branch.if.map(describeCondition).join(' and ')}`;
  return 'split at random';
}

/** The labelled paths out of a decision step, each with its own flow (or "continues" when it has no steps of its own). */
function stepPaths(path: string, step: Step): { label: string; list: string; steps: Step[] }[] {
  if ('waitFor' in step) {
    const what = step.waitFor.event ?? `email ${step.waitFor.email}`;
    return [
      { label: `${what} within ${describeDuration(step.waitFor.within)}`, list: `${path}.then`, steps: step.waitFor.then },
      { label: `no ${what} (timeout)`, list: `${path}.else`, steps: step.waitFor.else },
    ];
  }
  if ('branch' in step) return [{ label: 'yes', list: `${path}.then`, steps: step.branch.then }, { label: 'no', list: `${path}.else`, steps: step.branch.else }];
  if ('split' in step) {
    const total = step.split.paths.reduce((s, p) => s + p.weight, 0);
    return step.split.paths.map((p, k) => ({ label: `${Math.round((p.weight / total) * 100)}% of entries`, list: `${path}.paths[${k}].steps`, steps: p.steps }));
  }
  return [];
}

function flowList(list: string, steps: readonly Step[], numbers: StoredJourneyFigures | undefined, tail?: Html): Html {
  return html`<ol class="flow">${steps.map((step, i) => {
    const path = `${list}[${i}]`;
    const kind = 'send' in step ? 'send' : 'wait' in step ? 'wait' : 'waitFor' in step ? 'waitFor' : 'branch' in step ? 'branch' : 'split';
    const paths = stepPaths(path, step);
    return html`<li class="${i === 0 && !tail ? 'first' : ''}" data-step="${path}"><div class="node ${kind}"><div class="what">${describeStep(step)}</div><div class="counts"><code>${path}</code></div>${stepCounts(path, step, numbers)}</div>${
      paths.length
        ? html`<ul class="paths">${paths.map((p) => html`<li><span class="label">${p.label}</span>${p.steps.length ? flowList(p.list, p.steps, numbers) : html`<div class="continues">continues with the next step</div>`}</li>`)}</ul>`
        : ''
    }</li>`;
  })}${tail ?? ''}</ol>`;
}

/** The whole journey: its entry, its steps with their counts, its end and its exit rules. */
export function journeyFlow(journey: Journey, numbers: StoredJourneyFigures | undefined): Html {
  const f = numbers?.figures;
  const exited = f ? [...f.exited.values()].reduce((a, b) => a + b, 0) : 0;
  const entry = html`<div class="node terminal"><div class="what">Entry: ${describeEntry(journey)}</div>${f ? html`<div class="counts">entered <strong data-count="entered">${f.entered}</strong></div>` : ''}</div>`;
  const end = html`<li data-step="end"><div class="node terminal"><div class="what">End</div>${f ? html`<div class="counts">completed <strong data-count="completed">${f.completed}</strong></div>` : ''}</div></li>`;
  const exits = journey.exitWhen.map((r) => ('event' in r ? r.event : 'stage' in r ? `stage ${[r.stage].flat().join(' or ')}` : 'unsubscribed'));
  return html`<div class="journey-flow" data-journey="${journey.id}">
<ol class="flow"><li class="first" data-step="entry">${entry}${flowList('steps', journey.steps, numbers, end)}</li></ol>
${exits.length ? html`<p class="node exit"><span class="what">Exit at any step</span>: ${exits.join(', ')}${f ? html`<span class="counts"> · exited <strong data-count="exited">${exited}</strong>${exited ? ` (${reasons(f.exited)})` : ''}</span>` : ''}</p>` : ''}
</div>`;
}

export const journeyHeadline = (numbers: StoredJourneyFigures) => {
  const f = numbers.figures;
  const exited = [...f.exited.values()].reduce((a, b) => a + b, 0);
  return `${f.entered} ${f.entered === 1 ? 'entry' : 'entries'}: ${numbers.active} active, ${f.completed} completed, ${exited} exited${exited ? ` (${reasons(f.exited)})` : ''}`;
};

