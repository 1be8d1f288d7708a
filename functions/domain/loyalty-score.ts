import type { Engagement, RfmScores } from './customer-profile.ts';
import { decayedScore } from './engagement.ts';

/** Engagement points at which the engagement half of loyalty is ~63% full. */
const ENGAGEMENT_SCALE = 6;
const VALUE_WEIGHT = 0.6;

/**
 * Loyalty 0–100: what a customer is worth to the shop (RFM) blended with how much they
 * still listen (decayed engagement). Prospects can earn loyalty by engaging alone.
 */
export function loyaltyScore(rfm: RfmScores | undefined, engagement: Engagement | undefined, now: string): number {
  const value = rfm ? (rfm.r + rfm.f + rfm.m - 3) / 12 : 0;
  const points = engagement ? decayedScore(engagement.score, engagement.updatedAt, now) : 0;
  const listening = 1 - Math.exp(-points / ENGAGEMENT_SCALE);
  return Math.round(100 * (VALUE_WEIGHT * value + (1 - VALUE_WEIGHT) * listening) * 10) / 10;
}
