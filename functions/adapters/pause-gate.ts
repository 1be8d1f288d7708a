import type { Campaign } from '#domain/campaign.ts';
import type { Clock } from '#domain/clock.ts';
import { ALL_MARKETING, blockingPause, campaignScope, type GuardrailConfig, type PauseRecord, type PauseScope, sendingDay, sesAccountPause } from '#domain/deliverability-guardrail.ts';
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

  /**
   * SES refused the account: pause all marketing with the reason (unless it is paused already).
   * Returns the pause this call started, if any. The cache takes the stored record at once, so
   * this instance's next sends are held without waiting for the cache to expire.
   */
  async pauseAllMarketing(refusal: { sesError: string; message: string }): Promise<PauseRecord | undefined> {
    if (!this.config.enabled) return undefined;
    for (let round = 0; round < 4; round++) {
      const now = this.clock.now();
      const existing = (await this.store.getPauses([ALL_MARKETING])).get(ALL_MARKETING);
      const record = sesAccountPause(existing, refusal, now);
      if (!record) {
        this.cache.set(ALL_MARKETING, { readAt: Date.parse(now), record: existing });
        return undefined;
      }
      if (await this.store.putPause(record)) {
        this.cache.set(ALL_MARKETING, { readAt: Date.parse(now), record });
        return record;
      }
      // Someone else wrote the record in between (another instance pausing too): read again.
    }
    return undefined;
  }

  /** One accepted send on its sending day's counters. */
  async countSend(campaignId: string, sentAt: string): Promise<void> {
    if (!this.config.enabled) return;
    await this.store.countSend(campaignId, sendingDay(sentAt), sentAt);
  }
}
