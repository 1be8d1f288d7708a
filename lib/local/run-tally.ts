import type { SendRequest } from '#domain/send-request.ts';
import type { SendQueue } from '#adapters/send-queue.ts';

/** Who decided to queue a send: a scheduled run, a shop event, a confirmed double opt-in sign-up, or a journey step. */
export type SendOrigin = 'schedule' | 'event' | 'confirmation' | 'journey';

/**
 * What the local run saw being decided, per campaign and customer, as it happened: the
 * summary counts customers once (their last reason) and sends once (their final state),
 * where the handlers' own reports count every run's look at every customer.
 */
export class RunTally {
  /** campaign → customer → the last word on them: `queued:<sendId>`, a skip reason, or `at-send:<reason>`. */
  readonly lastOutcome = new Map<string, Map<string, string>>();
  /** campaign → distinct send ids the deciding functions queued. */
  readonly queuedSendIds = new Map<string, Set<string>>();
  /** campaign → times a shop event (or a confirmation) chose it: a repeat of the same send id counts again. */
  readonly triggered = new Map<string, number>();
  /** send id → the send function's last reason for refusing it. */
  readonly lastSkipAtSend = new Map<string, string>();
  /** campaign → customers who unsubscribed, or re-subscribed, through a link in one of its emails. */
  readonly unsubscribes = new Map<string, number>();
  readonly resubscribes = new Map<string, number>();

  decide(campaignId: string, customerId: string, outcome: string): void {
    let byCustomer = this.lastOutcome.get(campaignId);
    if (!byCustomer) this.lastOutcome.set(campaignId, (byCustomer = new Map()));
    byCustomer.set(customerId, outcome);
  }

  queued(request: SendRequest, origin: SendOrigin): void {
    let ids = this.queuedSendIds.get(request.campaignId);
    if (!ids) this.queuedSendIds.set(request.campaignId, (ids = new Set()));
    ids.add(request.sendId);
    if (origin !== 'schedule') this.triggered.set(request.campaignId, (this.triggered.get(request.campaignId) ?? 0) + 1);
    this.decide(request.campaignId, request.customerId, `queued:${request.sendId}`);
  }

  skippedAtSend(request: SendRequest, reason: string): void {
    this.lastSkipAtSend.set(request.sendId, reason);
    this.decide(request.campaignId, request.customerId, `at-send:${reason}`);
  }

  /** The queue a deciding function is given: records each send it queues, then queues it. */
  recordingQueue(queue: SendQueue, origin: SendOrigin): SendQueue {
    return {
      enqueue: async (requests) => {
        for (const r of requests) this.queued(r, origin);
        await queue.enqueue(requests);
      },
    };
  }

  countConsentChange(kind: 'unsubscribe' | 'resubscribe', campaignId: string): void {
    const map = kind === 'unsubscribe' ? this.unsubscribes : this.resubscribes;
    map.set(campaignId, (map.get(campaignId) ?? 0) + 1);
  }
}
