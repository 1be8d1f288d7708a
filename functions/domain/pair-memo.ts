/**
 * Remembers a function of two keys in nested maps (no joined key built and hashed per call),
 * the last pair checked first (an email asks for the same one again and again). Capped: the
 * keys can come from customer data (locales, time zones); past the cap values are computed, not kept.
 */
export function pairMemo<A, B, V>(make: (a: A, b: B) => V, cap: number): (a: A, b: B) => V {
  const root = new Map<A, Map<B, V>>();
  let size = 0;
  let lastA: A | undefined;
  let lastB: B | undefined;
  let last: V | undefined;
  return (a: A, b: B) => {
    if (a === lastA && b === lastB && size > 0) return last as V;
    let level = root.get(a);
    let value: V;
    if (level?.has(b)) value = level.get(b) as V;
    else {
      value = make(a, b);
      if (size < cap) {
        if (!level) root.set(a, (level = new Map()));
        level.set(b, value);
        size++;
      }
    }
    lastA = a;
    lastB = b;
    last = value;
    return value;
  };
}
