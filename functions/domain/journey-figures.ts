import { type Journey, journeyNodes } from './journey.ts';
import { type JourneyEntry, stepToken, type TimelineItem } from './journey-engine.ts';

/**
 * How a journey's entries and step sends are counted: one set of rules for the run summary
 * (counting live, as the journey and send functions report) and the workbench (counting the
 * stored entries and the send ledger after the run).
 */

export interface StepFigures {
  campaignId: string;
  /** Sends the send function delivered (or SES confirmed). */
  sent: number;
  /** Why the step did not mail: the engine's reasons (consent, suppression) and the send function's. */
  skipped: Map<string, number>;
  /** Sends that passed every check and were held out (the journey's holdout, or the control group): recorded, never mailed. */
  heldOut: number;
}

export interface JourneyFigures {
  entered: number;
  /** Entries asked for and not started, by reason (already active, duplicate, conditions, …). */
  refused: Map<string, number>;
  completed: number;
  exited: Map<string, number>;
  steps: Map<string, StepFigures>;
}

export const emptyJourneyFigures = (): JourneyFigures => ({ entered: 0, refused: new Map(), completed: 0, exited: new Map(), steps: new Map() });

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

export function stepFigures(f: JourneyFigures, step: string, campaignId: string): StepFigures {
  let s = f.steps.get(step);
  if (!s) f.steps.set(step, (s = { campaignId, sent: 0, skipped: new Map(), heldOut: 0 }));
  return s;
}

export const countRefusal = (f: JourneyFigures, reason: string) => void bump(f.refused, reason);

/** One item of an entry's timeline: an entry, a completion, an exit by reason, or the engine's skip of a step. */
export function countTimelineItem(f: JourneyFigures, item: TimelineItem): void {
  if (item.kind === 'entered') f.entered++;
  else if (item.kind === 'complete') f.completed++;
  else if (item.kind === 'exit') bump(f.exited, item.reason ?? 'unknown');
  else if (item.kind === 'skip' && item.step) bump(stepFigures(f, item.step, item.campaign ?? '').skipped, item.reason ?? 'unknown');
}

/** What the send function did with one step's send: it went (sent, confirmed, or lost after SES took it), was held out, or was skipped for a reason. */
export function countStepSend(f: JourneyFigures, step: string, campaignId: string, result: { sent: true } | { heldOut: true } | { skipped: string }): void {
  const s = stepFigures(f, step, campaignId);
  if ('sent' in result) s.sent++;
  else if ('heldOut' in result) s.heldOut++;
  else bump(s.skipped, result.skipped);
}

/** A send as the ledger keeps it, as far as counting needs it. */
export interface LedgerSend {
  campaignId: string;
  period: string;
  status: string;
  skipReason?: string | undefined;
}

/** The step a ledger entry was sent for, if it is one of this journey's: its period is `<journey>-<entry number>-<step token>`. */
export function journeyStepOfSend(journey: Pick<Journey, 'id' | 'steps'>, send: Pick<LedgerSend, 'period'>, tokens = stepTokens(journey)): string | undefined {
  const prefix = `${journey.id}-`;
  if (!send.period.startsWith(prefix)) return undefined;
  const m = /^(\d+)-(.+)$/.exec(send.period.slice(prefix.length));
  return m ? tokens.get(m[2]!) : undefined;
}

const stepTokens = (journey: Pick<Journey, 'steps'>) => new Map([...journeyNodes(journey).keys()].map((path) => [stepToken(path), path]));

export interface StoredJourneyFigures {
  figures: JourneyFigures;
  /** Entries waiting now. */
  active: number;
  /** Active entries by the step they wait at. */
  waitingAt: Map<string, number>;
  /** Entries before a customer's latest one: a re-entry overwrites the stored entry, so their exits are not in the figures. */
  earlierEntries: number;
}

/**
 * The figures of one journey from what the tables hold after a run: each customer's stored
 * entry (its timeline) and the ledger's sends for the journey's steps. A send that is only
 * claimed (in flight) is not counted.
 */
export function storedJourneyFigures(journey: Pick<Journey, 'id' | 'steps'>, entries: readonly JourneyEntry[], sends: readonly LedgerSend[]): StoredJourneyFigures {
  const figures = emptyJourneyFigures();
  const waitingAt = new Map<string, number>();
  let active = 0;
  let earlierEntries = 0;
  for (const entry of entries) {
    if (entry.journeyId !== journey.id) continue;
    for (const item of entry.history) countTimelineItem(figures, item);
    earlierEntries += entry.entryNumber - 1;
    if (entry.status === 'active') {
      active++;
      if (entry.cursor) bump(waitingAt, entry.cursor.step);
    }
  }
  const tokens = stepTokens(journey);
  for (const send of sends) {
    const step = journeyStepOfSend(journey, send, tokens);
    if (!step) continue;
    if (send.status === 'sent' || send.status === 'unknown') countStepSend(figures, step, send.campaignId, { sent: true });
    else if (send.status === 'held-out') countStepSend(figures, step, send.campaignId, { heldOut: true });
    else if (send.status === 'skipped') countStepSend(figures, step, send.campaignId, { skipped: send.skipReason ?? 'unknown' });
  }
  return { figures, active, waitingAt, earlierEntries };
}
