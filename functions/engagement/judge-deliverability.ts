import type { Logger } from '@aws-lambda-powertools/logger';
import {
  bounceOutcome,
  campaignScope,
  ALL_MARKETING,
  decidePauses,
  type GuardrailConfig,
  isJudged,
  PAUSE_LOG_MESSAGE,
  type PauseRecord,
  type PauseScope,
  pausedRecord,
  sendingDay,
} from '#domain/deliverability-guardrail.ts';
import { SEND_TAGS, type SesEventDetail, tagValue } from '#domain/ses-events.ts';
import type { DeliverabilityStore } from '#adapters/deliverability-store.ts';

export interface DeliverabilityDeps {
  deliverability: DeliverabilityStore;
  config: { guardrail: GuardrailConfig };
  logger: Logger;
}

/** Concurrent evaluations of one scope settle within a few rounds; each round re-reads. */
const MAX_ROUNDS = 4;

/**
 * Counts a bounce or complaint against the day its email was sent (and its campaign, from
 * the mail tags), then judges that day's rates: the campaign's own, and every send's that
 * day. A scope that crosses is paused with the numbers and the reason. Returns the pauses
 * this event started.
 */
export async function judgeDeliverability(
  detail: Extract<SesEventDetail, { eventType: 'Bounce' | 'Complaint' }>,
  deps: DeliverabilityDeps,
  now: string,
): Promise<PauseRecord[]> {
  const config = deps.config.guardrail;
  if (!config.enabled) return [];
  const outcome = detail.eventType === 'Complaint' ? 'complaint' : bounceOutcome(detail.bounce.bounceType, detail.bounce.bounceSubType);
  const day = sendingDay(detail.mail.timestamp);
  const campaignId = tagValue(detail.mail, SEND_TAGS.campaign);
  await deps.deliverability.countOutcome({ messageId: detail.mail.messageId, eventType: detail.eventType, outcome, campaignId, day }, now);
  // Judged even when the event was counted before: if a failure cut the first attempt short after
  // counting, its retry must still pause. Judging again on the same numbers changes nothing.
  if (!isJudged(outcome)) return [];

  const started: PauseRecord[] = [];
  const scopes: PauseScope[] = [...(campaignId ? [campaignScope(campaignId)] : []), ALL_MARKETING];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    // Counters are read after the pause records: a pause written meanwhile is seen by the next round.
    const existing = await deps.deliverability.getPauses(scopes);
    const counters = await deps.deliverability.dayCounters(day, campaignId);
    const decisions = decidePauses({ day, campaignId, campaign: counters.campaign, all: counters.all, existing }, config);
    let conflict = false;
    for (const { scope, verdict } of decisions) {
      const record = pausedRecord(existing.get(scope), scope, day, verdict, now);
      if (await deps.deliverability.putPause(record)) {
        started.push(record);
        deps.logger.warn(PAUSE_LOG_MESSAGE, { scope, day, reason: record.reason });
      } else {
        conflict = true; // someone else wrote this scope: decide again on what is stored now
      }
    }
    if (!conflict) return started;
  }
  deps.logger.warn('deliverability guardrail: pause records kept changing; left as stored', { day, campaignId });
  return started;
}
