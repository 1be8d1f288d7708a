/**
 * Derivative-free minimisation: Nelder–Mead with restarts (and several starting
 * points). Used for the maximum-likelihood fits of BG/NBD and Gamma-Gamma over
 * log-parameters. Pure: the objective is the only thing called.
 */

export type Objective = (x: readonly number[]) => number;

export interface MinimizeOptions {
  /** Initial simplex edge length along each axis (default 0.5 — in log-parameter space a factor ≈ 1.65). */
  initialStep?: number;
  /** Edge length of the simplex rebuilt around the best point on each restart (default 0.1). */
  restartStep?: number;
  /** Maximum Nelder–Mead iterations per run (default 5000). */
  maxIterationsPerRun?: number;
  /** Maximum restarts after the first run from the best start (default 10). */
  maxRestarts?: number;
  /** Convergence: spread of objective values over the simplex ≤ fTolerance × (1 + |f_best|) (default 1e-12). */
  fTolerance?: number;
  /** Convergence: max coordinate distance from the best vertex ≤ xTolerance (default 1e-7). */
  xTolerance?: number;
}

export interface MinimizeResult {
  x: number[];
  fx: number;
  /** Nelder–Mead iterations summed over all starts and restarts. */
  iterations: number;
  /** Objective evaluations summed over all starts and restarts. */
  evaluations: number;
  restarts: number;
  /** The final run met both tolerances and the last restart did not improve the objective materially. */
  converged: boolean;
}

interface RunResult {
  x: number[];
  fx: number;
  iterations: number;
  converged: boolean;
}

const REFLECT = 1;
const EXPAND = 2;
const CONTRACT = 0.5;
const SHRINK = 0.5;

/** One Nelder–Mead run (Lagarias et al. 1998 variant, standard coefficients). */
function nelderMeadRun(
  f: Objective,
  x0: readonly number[],
  step: number,
  maxIterations: number,
  fTolerance: number,
  xTolerance: number,
  counter: { evaluations: number },
): RunResult {
  const n = x0.length;
  const evaluate = (x: readonly number[]): number => {
    counter.evaluations++;
    const v = f(x);
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };

  const simplex: number[][] = [Array.from(x0)];
  for (let i = 0; i < n; i++) {
    const v = Array.from(x0);
    v[i] = (v[i] as number) + step;
    simplex.push(v);
  }
  const values = simplex.map(evaluate);
  const order = Array.from({ length: n + 1 }, (_, i) => i);
  const centroid = new Array<number>(n).fill(0);
  const point = (c: readonly number[], towards: readonly number[], coefficient: number): number[] => {
    const out = new Array<number>(n);
    for (let j = 0; j < n; j++) out[j] = (c[j] as number) + coefficient * ((towards[j] as number) - (c[j] as number));
    return out;
  };

  let iterations = 0;
  let converged = false;
  for (; iterations < maxIterations; iterations++) {
    order.sort((i, j) => (values[i] as number) - (values[j] as number) || i - j);
    const best = order[0] as number;
    const worst = order[n] as number;
    const secondWorst = order[n - 1] as number;
    const fBest = values[best] as number;
    const fWorst = values[worst] as number;

    // Convergence test: objective spread and simplex size.
    let xSpread = 0;
    const xb = simplex[best] as number[];
    for (let i = 0; i <= n; i++) {
      if (i === best) continue;
      const v = simplex[i] as number[];
      for (let j = 0; j < n; j++) xSpread = Math.max(xSpread, Math.abs((v[j] as number) - (xb[j] as number)));
    }
    if (Number.isFinite(fBest) && fWorst - fBest <= fTolerance * (1 + Math.abs(fBest)) && xSpread <= xTolerance) {
      converged = true;
      break;
    }

    centroid.fill(0);
    for (let i = 0; i <= n; i++) {
      if (i === worst) continue;
      const v = simplex[i] as number[];
      for (let j = 0; j < n; j++) centroid[j] = (centroid[j] as number) + (v[j] as number) / n;
    }
    const xw = simplex[worst] as number[];
    // Reflection: c + (c − xw)
    const xr = point(centroid, xw, -REFLECT);
    const fr = evaluate(xr);
    if (fr < fBest) {
      const xe = point(centroid, xw, -EXPAND);
      const fe = evaluate(xe);
      if (fe < fr) {
        simplex[worst] = xe;
        values[worst] = fe;
      } else {
        simplex[worst] = xr;
        values[worst] = fr;
      }
      continue;
    }
    if (fr < (values[secondWorst] as number)) {
      simplex[worst] = xr;
      values[worst] = fr;
      continue;
    }
    let contracted: number[];
    let fc: number;
    if (fr < fWorst) {
      contracted = point(centroid, xr, CONTRACT); // outside contraction
      fc = evaluate(contracted);
      if (fc <= fr) {
        simplex[worst] = contracted;
        values[worst] = fc;
        continue;
      }
    } else {
      contracted = point(centroid, xw, CONTRACT); // inside contraction
      fc = evaluate(contracted);
      if (fc < fWorst) {
        simplex[worst] = contracted;
        values[worst] = fc;
        continue;
      }
    }
    // Shrink towards the best vertex.
    for (let i = 0; i <= n; i++) {
      if (i === best) continue;
      simplex[i] = point(xb, simplex[i] as number[], SHRINK);
      values[i] = evaluate(simplex[i] as number[]);
    }
  }

  let bestIndex = 0;
  for (let i = 1; i <= n; i++) if ((values[i] as number) < (values[bestIndex] as number)) bestIndex = i;
  return { x: simplex[bestIndex] as number[], fx: values[bestIndex] as number, iterations, converged };
}

/**
 * Minimise `f` from one or more starting points: a Nelder–Mead run from every
 * start, then restarts from the best point found (a fresh simplex each time)
 * until a restart no longer improves the objective by more than the tolerance.
 * Restarting protects against the premature collapse of the simplex that plain
 * Nelder–Mead is known for.
 */
export function minimize(f: Objective, starts: readonly (readonly number[])[], options: MinimizeOptions = {}): MinimizeResult {
  if (starts.length === 0) throw new RangeError('minimize: at least one starting point is required');
  const dimension = (starts[0] as readonly number[]).length;
  if (dimension === 0 || starts.some((s) => s.length !== dimension)) {
    throw new RangeError('minimize: starting points must be non-empty and of equal dimension');
  }
  const initialStep = options.initialStep ?? 0.5;
  const restartStep = options.restartStep ?? 0.1;
  const maxIterations = options.maxIterationsPerRun ?? 5000;
  const maxRestarts = options.maxRestarts ?? 10;
  const fTolerance = options.fTolerance ?? 1e-12;
  const xTolerance = options.xTolerance ?? 1e-7;
  const counter = { evaluations: 0 };

  let iterations = 0;
  let best: RunResult | undefined;
  for (const start of starts) {
    const run = nelderMeadRun(f, start, initialStep, maxIterations, fTolerance, xTolerance, counter);
    iterations += run.iterations;
    if (best === undefined || run.fx < best.fx) best = run;
  }
  let current = best as RunResult;
  let restarts = 0;
  // Without restarts, convergence is that of the best run.
  let settled = maxRestarts === 0 && current.converged;
  while (restarts < maxRestarts) {
    restarts++;
    const run = nelderMeadRun(f, current.x, restartStep, maxIterations, fTolerance, xTolerance, counter);
    iterations += run.iterations;
    const improvement = current.fx - run.fx;
    const better = run.fx <= current.fx;
    if (better) current = run;
    if (!(improvement > fTolerance * 10 * (1 + Math.abs(current.fx)))) {
      settled = current.converged || run.converged;
      break;
    }
  }
  return {
    x: current.x,
    fx: current.fx,
    iterations,
    evaluations: counter.evaluations,
    restarts,
    converged: settled && Number.isFinite(current.fx),
  };
}
