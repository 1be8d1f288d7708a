import type { CustomerProfile, CustomerValue, RfmScores } from './customer-profile.ts';
import { valueMoved } from './customer-base-value.ts';
import { type RfmThresholds, scoreRfm } from './customer-value/rfm.ts';
import { assignLifecycleStage, daysBetween, stageInputsOf, type StageThresholds } from './lifecycle-stage.ts';
import { loyaltyScore } from './loyalty-score.ts';

/** The fields segmentation owns on a profile. */
export type ScoreUpdate = Pick<CustomerProfile, 'stage' | 'stageSince' | 'rfm' | 'loyaltyScore' | 'value'>;

/** Loyalty moves a little every day as engagement decays; write it only when it moved this much. */
const LOYALTY_WRITE_STEP = 1;

/** RFM scores (quintiles over the buyers in the base, or the base's `thresholds` when these profiles are one segment of it) by customer id. */
export function rfmByCustomer(profiles: readonly CustomerProfile[], now: string, thresholds?: RfmThresholds): Map<string, RfmScores> {
  const buyers = profiles.filter((p) => p.orderCount > 0 && p.lastOrderAt);
  const scored = scoreRfm(
    buyers.map((p) => ({
      customerId: p.customerId,
      recencyDays: Math.max(0, daysBetween(p.lastOrderAt!, now)),
      frequency: p.orderDays,
      monetary: p.totalSpend,
    })),
    thresholds,
  );
  const out = new Map<string, RfmScores>();
  for (const s of scored) out.set(s.customerId, { r: s.r, f: s.f, m: s.m, segment: s.segment });
  return out;
}

/** One customer's new stage, RFM and loyalty, or undefined when nothing worth writing changed. */
export function rescoreCustomer(
  profile: CustomerProfile,
  rfm: RfmScores | undefined,
  now: string,
  thresholds: StageThresholds,
  value: CustomerValue | undefined = profile.value,
): ScoreUpdate | undefined {
  const withRfm = { ...profile, rfm };
  const stage = assignLifecycleStage(stageInputsOf(withRfm, value?.pAlive), now, thresholds);
  const valueChanged = valueMoved(profile.value, value);
  const loyalty = loyaltyScore(rfm, profile.engagement, now);
  const rfmChanged = JSON.stringify(rfm) !== JSON.stringify(profile.rfm);
  const stageChanged = stage !== profile.stage;
  if (!rfmChanged && !stageChanged && !valueChanged && Math.abs(loyalty - profile.loyaltyScore) < LOYALTY_WRITE_STEP) return undefined;
  return {
    stage,
    stageSince: stageChanged ? now : (profile.stageSince ?? now),
    rfm,
    loyaltyScore: loyalty,
    value: valueChanged ? value : profile.value,
  };
}

/** Rescoring of a whole customer base: the changed customers' updates, plus the RFM used (for rescoring after a write conflict). */
export function scoreCustomerBase(
  profiles: readonly CustomerProfile[],
  now: string,
  thresholds: StageThresholds,
  values: ReadonlyMap<string, CustomerValue> = new Map(),
  rfmThresholds?: RfmThresholds,
) {
  const rfm = rfmByCustomer(profiles, now, rfmThresholds);
  const updates = new Map<string, ScoreUpdate>();
  for (const p of profiles) {
    const update = rescoreCustomer(p, rfm.get(p.customerId), now, thresholds, values.get(p.customerId) ?? p.value);
    if (update) updates.set(p.customerId, update);
  }
  return { updates, rfm };
}
