import { describe, expect, it } from 'vitest';
import { minimize } from '#domain/customer-value/optimizer.ts';

describe('minimize (Nelder–Mead with restarts)', () => {
  it('finds the minimum of the Rosenbrock function', () => {
    const rosenbrock = (x: readonly number[]): number => {
      const [a = 0, b = 0] = x;
      return 100 * (b - a * a) ** 2 + (1 - a) ** 2;
    };
    const result = minimize(rosenbrock, [[-1.2, 1]]);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 5);
    expect(result.x[1]).toBeCloseTo(1, 5);
    expect(result.fx).toBeLessThan(1e-10);
    expect(result.iterations).toBeGreaterThan(0);
    expect(result.evaluations).toBeGreaterThan(result.iterations);
  });

  it('minimises a badly scaled 4-d quadratic and picks the best of several starts', () => {
    const target = [3, -2, 0.5, 10];
    const scales = [1, 100, 0.01, 5];
    const f = (x: readonly number[]): number =>
      x.reduce((sum, v, i) => sum + (scales[i] as number) * (v - (target[i] as number)) ** 2, 0);
    const result = minimize(f, [
      [0, 0, 0, 0],
      [5, 5, 5, 5],
    ]);
    expect(result.converged).toBe(true);
    result.x.forEach((v, i) => expect(v).toBeCloseTo(target[i] as number, 4));
  });

  it('treats NaN and Infinity as +∞ (a barrier) instead of failing', () => {
    const f = (x: readonly number[]): number => {
      const [a = 0] = x;
      if (a < 0) return Number.NaN;
      return a > 5 ? Number.POSITIVE_INFINITY : (a - 1) ** 2;
    };
    const result = minimize(f, [[4]]);
    expect(result.x[0]).toBeCloseTo(1, 6);
    expect(result.converged).toBe(true);
  });

  it('reports non-convergence when the iteration budget is exhausted', () => {
    const f = (x: readonly number[]): number => x.reduce((s, v) => s + v * v, 0);
    const result = minimize(f, [[10, 10, 10]], { maxIterationsPerRun: 5, maxRestarts: 0 });
    expect(result.converged).toBe(false);
  });

  it('rejects empty or inconsistent starting points', () => {
    expect(() => minimize(() => 0, [])).toThrow(RangeError);
    expect(() => minimize(() => 0, [[1], [1, 2]])).toThrow(RangeError);
  });
});

describe('minimize without restarts', () => {
  it('reports the convergence of the best run', () => {
    const f = (x: readonly number[]): number => (x[0] as number) ** 2;
    expect(minimize(f, [[3]], { maxRestarts: 0 }).converged).toBe(true);
  });
});
