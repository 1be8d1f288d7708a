/** Edit distance (Levenshtein), case-insensitive: how far a typo is from a real name. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[y.length]!;
}

/** The known name closest to `given`, when it is close enough to be a typo of it. */
export function closest(given: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const prefix = (name: string) => {
    let n = 0;
    while (n < name.length && name[n]?.toLowerCase() === given[n]?.toLowerCase()) n++;
    return n;
  };
  for (const candidate of known) {
    const d = distance(given, candidate);
    // Ties go to the name sharing the longer start (USX: USD before UGX).
    if (d < bestDistance || (d === bestDistance && best !== undefined && prefix(candidate) > prefix(best))) [best, bestDistance] = [candidate, d];
  }
  const limit = Math.max(2, Math.floor(given.length / 3));
  return best !== undefined && bestDistance <= limit && bestDistance < given.length ? best : undefined;
}

/** `; did you mean X?` or `; expected one of a, b, c` (short lists only). */
export function didYouMean(given: string, known: readonly string[], render: (name: string) => string = (n) => n): string {
  const match = closest(given, known);
  if (match) return `; did you mean ${render(match)}?`;
  return known.length && known.length <= 12 ? `; expected one of ${known.join(', ')}` : '';
}

/** `; did you mean X?` when a known name is close, else nothing. */
export function meant(given: string, known: readonly string[], render: (name: string) => string = (n) => n): string {
  const match = closest(given, known);
  return match ? `; did you mean ${render(match)}?` : '';
}
