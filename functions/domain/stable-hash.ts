/**
 * A stable fraction in [0, 1) for a key: the same key always gives the same number, and keys
 * spread evenly (cyrb53, a 53-bit non-cryptographic hash). Used for assignments that must not
 * change between runs or machines (variants). Not for secrets: use an HMAC at the edge.
 */
export function stableFraction(key: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return hash / 2 ** 53;
}
