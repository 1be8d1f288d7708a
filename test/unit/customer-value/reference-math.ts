/** Reference implementations for tests, independent of the module's Lanczos log-gamma. */

/** Γ(z) for z > 0: upward recursion to z ≥ 20, then Stirling's series (relative error ≈ 1e-13). */
export function gammaFunction(z: number): number {
  let shift = 1;
  let w = z;
  while (w < 20) {
    shift *= w;
    w += 1;
  }
  const series = 1 + 1 / (12 * w) + 1 / (288 * w * w) - 139 / (51_840 * w ** 3) - 571 / (2_488_320 * w ** 4);
  return (Math.sqrt((2 * Math.PI) / w) * Math.pow(w / Math.E, w) * series) / shift;
}

export const betaFunction = (a: number, b: number): number => (gammaFunction(a) * gammaFunction(b)) / gammaFunction(a + b);

export const relativeError = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);
