import type { JourneyEntry, JourneyInput, JourneyOutcome } from '#domain/journey-engine.ts';
import { countRefusal, countStepSend, countTimelineItem, emptyJourneyFigures, type JourneyFigures } from '#domain/journey-figures.ts';
import type { SendRequest } from '#domain/send-request.ts';
import type { SendOutcome } from '../../functions/send/deliver-send.ts';

export type { JourneyFigures, StepFigures } from '#domain/journey-figures.ts';

/** Per journey: what the journey function and the send function did with its entries during a local run (counted as the workbench counts the stored entries). */
export class JourneyTally {
  readonly journeys = new Map<string, JourneyFigures>();
  /** `journeyId|customerId` → the entry's status after its last change. */
  private readonly status = new Map<string, JourneyEntry['status']>();

  figures(journeyId: string): JourneyFigures {
    let f = this.journeys.get(journeyId);
    if (!f) this.journeys.set(journeyId, (f = emptyJourneyFigures()));
    return f;
  }

  onJourneyOutcome(journeyId: string, customerId: string, _input: JourneyInput, outcome: JourneyOutcome): void {
    const f = this.figures(journeyId);
    if (outcome.outcome === 'refused') countRefusal(f, outcome.reason);
    if (outcome.outcome !== 'advanced') return;
    this.status.set(`${journeyId}|${customerId}`, outcome.entry.status);
    for (const a of outcome.actions) if (a.type === 'timeline') countTimelineItem(f, a.item);
  }

  onSendOutcome(request: SendRequest, outcome: SendOutcome): void {
    if (!request.journey) return;
    const f = this.figures(request.journey.journeyId);
    const { step } = request.journey;
    if (outcome.outcome === 'sent' || outcome.outcome === 'confirmed' || outcome.outcome === 'unknown') countStepSend(f, step, request.campaignId, { sent: true });
    else if (outcome.outcome === 'held-out') countStepSend(f, step, request.campaignId, { heldOut: true });
    else if (outcome.outcome === 'skipped') countStepSend(f, step, request.campaignId, { skipped: outcome.reason });
    else if (outcome.outcome === 'rejected') countStepSend(f, step, request.campaignId, { skipped: 'rejected' });
  }

  /** Entries still active (waiting) now. */
  active(journeyId: string): number {
    let n = 0;
    for (const [key, status] of this.status) if (status === 'active' && key.startsWith(`${journeyId}|`)) n++;
    return n;
  }
}
