import pLimit from 'p-limit';

/**
 * Handles items as concurrent Lambda invocations would: items sharing a key (one customer's
 * events) one after another in their order, different keys at once, at most `concurrency`.
 */
export async function inOrderPerKey<T>(items: readonly T[], keyOf: (item: T) => string, concurrency: number, handle: (item: T) => Promise<void>): Promise<void> {
  const byKey = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = byKey.get(key);
    if (list) list.push(item);
    else byKey.set(key, [item]);
  }
  const limit = pLimit(concurrency);
  await Promise.all(
    [...byKey.values()].map((list) =>
      limit(async () => {
        for (const item of list) await handle(item);
      }),
    ),
  );
}
