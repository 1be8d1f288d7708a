import { z } from 'zod';
import type { CustomerProfile, CustomerValue } from './customer-profile.ts';
import { type BgNbdFit, type BgNbdParams, expectedPurchases, fitBgNbd, probabilityAlive } from './customer-value/bgnbd.ts';
import { clvOptionsFor, predictedClv } from './customer-value/clv.ts';
import { bgnbdFitProblems, gammaGammaFitProblems } from './customer-value/fit-quality.ts';
import { fitGammaGamma, type GammaGammaFit, type GammaGammaParams, isGammaGammaEligible } from './customer-value/gamma-gamma.ts';
import { daysBetween } from './lifecycle-stage.ts';

/** The purchase models work in weeks, as in Fader, Hardie & Lee (2005). */
export const PERIOD_DAYS = 7;
/** One year ahead at 10% a year, in weeks: the same CLV `models fit` prints. */
const CLV = clvOptionsFor(PERIOD_DAYS);
/** Below this many buyers (or repeat buyers) a fit says little: the stage rules fall back to recency alone. */
const MIN_BUYERS = 30;
const MIN_REPEAT_BUYERS = 10;

export interface PurchaseHistory {
  x: number;
  tx: number;
  T: number;
  monetaryValue: number;
}

/**
 * A profile's purchase history in the models' terms: x repeat purchase days, t_x and T in
 * weeks since the first purchase. The mean order value stands in for the mean repeat value
 * (the profile keeps totals, not every order).
 */
export function purchaseHistoryOf(p: CustomerProfile, now: string): PurchaseHistory | undefined {
  if (!p.firstOrderAt || !p.lastOrderAt || p.orderDays === 0) return undefined;
  const T = Math.max(0, daysBetween(p.firstOrderAt, now)) / PERIOD_DAYS;
  const tx = Math.min(T, Math.max(0, daysBetween(p.firstOrderAt, p.lastOrderAt)) / PERIOD_DAYS);
  return { x: p.orderDays - 1, tx, T, monetaryValue: p.totalSpend / p.orderDays };
}

export interface ValueModel {
  bgnbd: BgNbdParams;
  gammaGamma?: GammaGammaParams;
  fittedAt: string;
}

export type ValueModelFit =
  | {
      fitted: true;
      model: ValueModel;
      bgnbd: BgNbdFit;
      gammaGamma?: GammaGammaFit;
      /** A Gamma-Gamma fit that ran and is not used (CLV then uses the observed mean order value), and why. */
      rejectedGammaGamma?: { fit: GammaGammaFit; problems: string[] };
    }
  /** `rejected`: the BG/NBD fit ran and must not be used for scoring, with why. */
  | { fitted: false; reason: string; rejected?: { bgnbd: BgNbdFit; problems: string[] } };

/** Fits BG/NBD (and Gamma-Gamma where repeat buyers allow) on the whole customer base. */
export function fitValueModel(profiles: readonly CustomerProfile[], now: string): ValueModelFit {
  return fitValueModelOn(profiles.flatMap((p) => purchaseHistoryOf(p, now) ?? []), now);
}

/** The histories in one order whatever order the base was read in, so a fit does not depend on the scan (or on how it was split into segments). */
const canonical = (histories: readonly PurchaseHistory[]) => [...histories].sort((a, b) => a.x - b.x || a.tx - b.tx || a.T - b.T || a.monetaryValue - b.monetaryValue);

/** fitValueModel on purchase histories (one per buyer), e.g. from merged segment statistics. */
export function fitValueModelOn(all: readonly PurchaseHistory[], now: string): ValueModelFit {
  const histories = canonical(all).filter((h) => h.T > 0);
  if (histories.length < MIN_BUYERS) return { fitted: false, reason: `${histories.length} buyers, need ${MIN_BUYERS}` };
  const repeat = histories.filter((h) => h.x > 0);
  if (repeat.length < MIN_REPEAT_BUYERS) return { fitted: false, reason: `${repeat.length} repeat buyers, need ${MIN_REPEAT_BUYERS}` };
  const bgnbd = fitBgNbd(histories);
  const problems = bgnbdFitProblems(bgnbd);
  if (problems.length) return { fitted: false, reason: `BG/NBD fit not used: ${problems.join('; ')}`, rejected: { bgnbd, problems } };
  const spend = histories.filter(isGammaGammaEligible);
  let gammaGamma: GammaGammaFit | undefined;
  let rejectedGammaGamma: { fit: GammaGammaFit; problems: string[] } | undefined;
  try {
    const fit = fitGammaGamma(spend);
    const ggProblems = gammaGammaFitProblems(fit);
    if (ggProblems.length) rejectedGammaGamma = { fit, problems: ggProblems };
    else gammaGamma = fit;
  } catch {
    gammaGamma = undefined; // too few or degenerate spend data: CLV falls back to the observed mean value
  }
  const params = ({ r, alpha, a, b }: BgNbdParams): BgNbdParams => ({ r, alpha, a, b });
  return {
    fitted: true,
    bgnbd,
    ...(gammaGamma ? { gammaGamma } : {}),
    ...(rejectedGammaGamma ? { rejectedGammaGamma } : {}),
    model: { bgnbd: params(bgnbd), ...(gammaGamma ? { gammaGamma: { p: gammaGamma.p, q: gammaGamma.q, v: gammaGamma.v } } : {}), fittedAt: now },
  };
}

/** One buyer's predicted 1-year CLV under the model. */
export const predictedClvOf = (model: ValueModel, h: PurchaseHistory): number => predictedClv(model.bgnbd, model.gammaGamma, h, CLV);

/** Every buyer's CLV, as distinct values ascending with how many buyers are below each: what a percentile rank needs. */
export const ClvDistribution = z.object({
  values: z.array(z.number()),
  below: z.array(z.number().int().nonnegative()),
  buyers: z.number().int().nonnegative(),
});
export type ClvDistribution = z.infer<typeof ClvDistribution>;

/** The distribution of (CLV, number of buyers) pairs. */
export function clvDistributionOf(pairs: readonly (readonly [number, number])[]): ClvDistribution {
  const counts = new Map<number, number>();
  for (const [clv, n] of pairs) counts.set(clv, (counts.get(clv) ?? 0) + n);
  const values = [...counts.keys()].sort((a, b) => a - b);
  const below: number[] = [];
  let seen = 0;
  for (const v of values) {
    below.push(seen);
    seen += counts.get(v)!;
  }
  return { values, below, buyers: seen };
}

/**
 * A CLV's percentile rank in the base: the share of the other buyers with a lower CLV. Buyers
 * with the same CLV share a rank (the order the base was read in never decides one).
 */
export function clvPercentile(distribution: ClvDistribution, clv: number): number {
  if (distribution.buyers <= 1) return 100;
  let lo = 0;
  let hi = distribution.values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (distribution.values[mid]! < clv) lo = mid + 1;
    else hi = mid;
  }
  const below = lo < distribution.values.length ? distribution.below[lo]! : distribution.buyers;
  return (100 * below) / (distribution.buyers - 1);
}

/**
 * Per buyer: P(alive), expected purchases in the next 90 days, predicted 1-year CLV and its rank
 * in the base: among `profiles`, or in `distribution` when they are one segment of a larger base.
 */
export function scoreCustomerValue(model: ValueModel, profiles: readonly CustomerProfile[], now: string, distribution?: ClvDistribution): Map<string, CustomerValue> {
  const raw: { customerId: string; pAlive: number; expected: number; clv: number }[] = [];
  for (const p of profiles) {
    const h = purchaseHistoryOf(p, now);
    if (!h) continue;
    const params = model.bgnbd;
    const pAlive = probabilityAlive(params, h.x, h.tx, h.T);
    const expected = expectedPurchases(params, 90 / PERIOD_DAYS, h.x, h.tx, h.T);
    raw.push({ customerId: p.customerId, pAlive, expected, clv: predictedClvOf(model, h) });
  }
  const ranks = distribution ?? clvDistributionOf(raw.map((r) => [r.clv, 1] as const));
  const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;
  return new Map(
    raw.map((r) => [
      r.customerId,
      {
        pAlive: round(Math.min(1, Math.max(0, r.pAlive)), 4),
        expectedPurchases90d: round(Math.max(0, r.expected), 4),
        predictedClv: round(r.clv, 2),
        clvPercentile: round(clvPercentile(ranks, r.clv), 1),
        churnRisk: round(1 - Math.min(1, Math.max(0, r.pAlive)), 4),
        modelFittedAt: model.fittedAt,
      },
    ]),
  );
}

/** Whether new value scores differ enough from the stored ones to be worth a write. */
export function valueMoved(before: CustomerValue | undefined, after: CustomerValue | undefined): boolean {
  if (!before || !after) return before !== after;
  return (
    Math.abs(before.pAlive - after.pAlive) >= 0.02 ||
    Math.abs(before.clvPercentile - after.clvPercentile) >= 2 ||
    Math.abs(before.expectedPurchases90d - after.expectedPurchases90d) >= 0.05 ||
    Math.abs(before.predictedClv - after.predictedClv) >= Math.max(1, 0.05 * Math.abs(before.predictedClv))
  );
}
