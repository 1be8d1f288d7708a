import { createHash } from 'node:crypto';
import type { PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import type { Clock } from '#domain/clock.ts';
import type { EventRoute, FunctionName } from '../routes.ts';
import { matchesPattern } from './event-pattern.ts';

export type EventTarget = (event: unknown) => Promise<unknown>;

/** An event as EventBridge hands it to a target. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface DeadLetter {
  routeId: string;
  event: unknown;
  error: unknown;
}

/**
 * The in-process EventBridge: takes PutEvents entries, builds the envelope EventBridge
 * would, and invokes every target whose rule pattern matches. A target that keeps failing
 * after its retries goes to the dead-letter callback (the rule's DLQ in AWS).
 */
export class LocalEventBus {
  private sequence = 0;
  constructor(
    private readonly routes: readonly EventRoute[],
    private readonly targets: Record<FunctionName, EventTarget>,
    private readonly clock: Clock,
    private readonly onDeadLetter: (letter: DeadLetter) => Promise<void>,
    private readonly retryAttempts = 2,
    /** At-least-once delivery: says when to deliver an event a second time (fault injection). */
    private readonly redeliver: () => boolean = () => false,
  ) {}

  /** PutEvents: returns per-entry results like the real API (callers must check FailedEntryCount). */
  async putEvents(bus: EventRoute['bus'], entries: readonly PutEventsRequestEntry[]): Promise<{ FailedEntryCount: number; Entries: PutEventsResultEntry[] }> {
    const results: PutEventsResultEntry[] = [];
    let failed = 0;
    for (const entry of entries) {
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail ?? '{}');
      } catch {
        failed++;
        results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' });
        continue;
      }
      const event: BusEvent = {
        version: '0',
        id: this.eventId(entry),
        'detail-type': entry.DetailType ?? '',
        source: entry.Source ?? '',
        account: '000000000000',
        time: (entry.Time ?? new Date(this.clock.now())).toISOString(),
        region: 'local',
        resources: entry.Resources ?? [],
        detail,
      };
      await this.deliver(bus, event);
      if (this.redeliver()) await this.deliver(bus, event);
      results.push({ EventId: event.id });
    }
    return { FailedEntryCount: failed, Entries: results };
  }

  /** Delivers an already-built event (a redelivery keeps its id, as EventBridge's at-least-once delivery does). */
  async deliver(bus: EventRoute['bus'], event: unknown): Promise<void> {
    for (const route of this.routes) {
      if (route.bus !== bus || !matchesPattern(event, route.pattern)) continue;
      const target = this.targets[route.target];
      for (let attempt = 0; ; attempt++) {
        try {
          await target(event);
          break;
        } catch (error) {
          if (attempt >= this.retryAttempts) {
            await this.onDeadLetter({ routeId: route.id, event, error });
            break;
          }
        }
      }
    }
  }

  private eventId(entry: PutEventsRequestEntry): string {
    const hash = createHash('sha256').update(`${this.sequence++}:${entry.Source}:${entry.DetailType}:${entry.Detail}`).digest('hex');
    return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`;
  }
}
