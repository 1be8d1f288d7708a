/**
 * Whether a model fit may be used for scoring. A fit that did not converge, or whose
 * parameters are degenerate, is reported and not used: its scores would be artefacts of
 * where the optimiser stopped, not estimates.
 *
 * Why these bounds: the fits search each parameter over e^±30 (about 1e-13 … 1e13). The
 * shape parameters r, a, b (BG/NBD) and p, q (Gamma-Gamma) describe how customers differ;
 * published fits lie between about 0.1 and 20 (CDNOW: r = 0.243, a = 0.793, b = 2.426;
 * p = 6.25, q = 3.74). A shape beyond 1e4 means the optimiser walked off along a flat ridge
 * of the likelihood (a, b → ∞ with a/(a+b) fixed: everyone drops out alike, e.g. a = 7.4e6),
 * where ln Γ of huge arguments also loses its precision; below 1e-4 the distribution has
 * collapsed onto zero. The scales (α in periods, v in money) depend on the units, so only
 * numeric sanity is asked of them: within 1e-6 … 1e9.
 */
import type { BgNbdParams } from './bgnbd.ts';
import type { GammaGammaParams } from './gamma-gamma.ts';

export const SHAPE_BOUNDS = { min: 1e-4, max: 1e4 } as const;
export const SCALE_BOUNDS = { min: 1e-6, max: 1e9 } as const;

interface FitOutcome {
  converged: boolean;
  iterations: number;
}

const outside = (name: string, value: number, bounds: { min: number; max: number }): string | undefined =>
  Number.isFinite(value) && value >= bounds.min && value <= bounds.max ? undefined : `${name} = ${Number(value.toPrecision(3))} outside [${bounds.min}, ${bounds.max}]`;

function problemsOf(fit: FitOutcome, checks: (string | undefined)[]): string[] {
  return [...(fit.converged ? [] : [`did not converge in ${fit.iterations} iterations`]), ...checks.filter((c): c is string => c !== undefined)];
}

/** Why a BG/NBD fit must not be used (empty: it may). */
export function bgnbdFitProblems(fit: BgNbdParams & FitOutcome): string[] {
  return problemsOf(fit, [outside('r', fit.r, SHAPE_BOUNDS), outside('alpha', fit.alpha, SCALE_BOUNDS), outside('a', fit.a, SHAPE_BOUNDS), outside('b', fit.b, SHAPE_BOUNDS)]);
}

/** Why a Gamma-Gamma fit must not be used (empty: it may). */
export function gammaGammaFitProblems(fit: GammaGammaParams & FitOutcome): string[] {
  return problemsOf(fit, [outside('p', fit.p, SHAPE_BOUNDS), outside('q', fit.q, SHAPE_BOUNDS), outside('v', fit.v, SCALE_BOUNDS)]);
}
