import type { Campaign } from '#domain/campaign.ts';
import type { Clock } from '#domain/clock.ts';
import { ALL_MARKETING, blockingPause, campaignScope, type GuardrailConfig, type PauseRecord, type PauseScope, sendingDay } from '#domain/deliverability-guardrail.ts';
import type { DeliverabilityStore } from './deliverability-store.ts';

/** How long a read pause status is trusted: a pause reaches every sender within this. */
export const PAUSE_CACHE_MS = 30_000;

/**
 * The guardrail as the send and segment functions meet it: is this campaign paused, and
 * count a send. Pause reads are cached for 30 s of the injected clock, so a queue of
 * thousands of sends costs a read every half minute, not one per message.
 */
export class PauseGate {
  private readonly cache = new Map<PauseScope, { readAt: number; record: PauseRecord | undefined }>();

  constructor(
    private readonly store: DeliverabilityStore,
    private readonly clock: Clock,
    private readonly config: GuardrailConfig,
    private readonly cacheMs = PAUSE_CACHE_MS,
  ) {}

  /** The active pause that holds this campaign (its own, or all marketing's), if any. */
  async pauseFor(campaign: Pick<Campaign, 'id' | 'kind'>): Promise<PauseRecord | undefined> {
    if (!this.config.enabled) return undefined;
    const now = Date.parse(this.clock.now());
    const scopes = [campaignScope(campaign.id), ALL_MARKETING];
    const stale = scopes.filter((s) => {
      const hit = this.cache.get(s);
      return !hit || now - hit.readAt >= this.cacheMs || now < hit.readAt;
    });
    if (stale.length) {
      const fresh = await this.store.getPauses(stale);
      for (const s of stale) this.cache.set(s, { readAt: now, record: fresh.get(s) });
    }
    const pauses = new Map<PauseScope, PauseRecord>();
    for (const s of scopes) {
      const record = this.cache.get(s)?.record;
      if (record) pauses.set(s, record);
    }
    return blockingPause(campaign, pauses);
  }

  /** One accepted send on its sending day's counters. */
  async countSend(campaignId: string, sentAt: string): Promise<void> {
    if (!this.config.enabled) return;
    await this.store.countSend(campaignId, sendingDay(sentAt), sentAt);
  }
}
