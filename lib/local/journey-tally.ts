import type { JourneyEntry, JourneyInput, JourneyOutcome } from '#domain/journey-engine.ts';
import type { SendRequest } from '#domain/send-request.ts';
import type { SendOutcome } from '../../functions/send/deliver-send.ts';

export interface StepFigures {
  campaignId: string;
  /** Sends the send function delivered (or SES confirmed). */
  sent: number;
  /** Why the step did not mail: the engine's reasons (consent, suppression) and the send function's. */
  skipped: Map<string, number>;
}

export interface JourneyFigures {
  entered: number;
  /** Entries asked for and not started, by reason (already active, duplicate, conditions, …). */
  refused: Map<string, number>;
  completed: number;
  exited: Map<string, number>;
  steps: Map<string, StepFigures>;
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/** Per journey: what the journey function and the send function did with its entries during a local run. */
export class JourneyTally {
  readonly journeys = new Map<string, JourneyFigures>();
  /** `journeyId|customerId` → the entry's status after its last change. */
  private readonly status = new Map<string, JourneyEntry['status']>();

  figures(journeyId: string): JourneyFigures {
    let f = this.journeys.get(journeyId);
    if (!f) this.journeys.set(journeyId, (f = { entered: 0, refused: new Map(), completed: 0, exited: new Map(), steps: new Map() }));
    return f;
  }

  private step(journeyId: string, step: string, campaignId: string): StepFigures {
    const steps = this.figures(journeyId).steps;
    let s = steps.get(step);
    if (!s) steps.set(step, (s = { campaignId, sent: 0, skipped: new Map() }));
    return s;
  }

  onJourneyOutcome(journeyId: string, customerId: string, _input: JourneyInput, outcome: JourneyOutcome): void {
    const f = this.figures(journeyId);
    if (outcome.outcome === 'refused') bump(f.refused, outcome.reason);
    if (outcome.outcome !== 'advanced') return;
    this.status.set(`${journeyId}|${customerId}`, outcome.entry.status);
    for (const a of outcome.actions) {
      if (a.type !== 'timeline') continue;
      const item = a.item;
      if (item.kind === 'entered') f.entered++;
      else if (item.kind === 'complete') f.completed++;
      else if (item.kind === 'exit') bump(f.exited, item.reason ?? 'unknown');
      else if (item.kind === 'skip' && item.step) bump(this.step(journeyId, item.step, item.campaign ?? '').skipped, item.reason ?? 'unknown');
    }
  }

  onSendOutcome(request: SendRequest, outcome: SendOutcome): void {
    if (!request.journey) return;
    const s = this.step(request.journey.journeyId, request.journey.step, request.campaignId);
    if (outcome.outcome === 'sent' || outcome.outcome === 'confirmed' || outcome.outcome === 'unknown') s.sent++;
    else if (outcome.outcome === 'skipped') bump(s.skipped, outcome.reason);
    else if (outcome.outcome === 'rejected') bump(s.skipped, 'rejected');
  }

  /** Entries still active (waiting) now. */
  active(journeyId: string): number {
    let n = 0;
    for (const [key, status] of this.status) if (status === 'active' && key.startsWith(`${journeyId}|`)) n++;
    return n;
  }
}
