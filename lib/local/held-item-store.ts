import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

// dynalite's own lock (per key, as its item databases have), resolved as dynalite resolves it.
const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite/db'));
const { Lock } = fromDynalite('lock') as { Lock(): unknown };

type Callback<T = unknown> = (error: Error | null, value?: T) => void;
/** The part of dynalite's store (db/index.js `create`) its item actions use. */
export interface DynaliteStore {
  getTable(name: string, checkStatus: boolean | Callback, cb?: Callback): void;
  getItemDb(name: string): unknown;
}
interface Range {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  reverse?: boolean;
  limit?: number;
}

const notFound = () => Object.assign(new Error('NotFoundError'), { name: 'NotFoundError' });

/**
 * A table's keys in order, as sorted chunks of at most `chunkSize` (every key of a chunk before
 * every key of the next): a new key is spliced into its chunk alone, where one sorted list would
 * move half of every key on each insert (a large replay's ledger and stage changes grow to
 * hundreds of thousands). Keys are compared as strings: dynalite's keys are hex digits, `/` and
 * `~`, so string order is its byte order.
 */
export class OrderedKeys {
  private readonly chunks: string[][] = [];
  constructor(private readonly chunkSize = 512) {}

  /** Adds a key not already present. */
  insert(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      return;
    }
    const c = Math.min(this.chunkAtOrAfter(key), this.chunks.length - 1);
    const chunk = this.chunks[c]!;
    chunk.splice(boundary(chunk, key, false), 0, key);
    if (chunk.length > this.chunkSize) this.chunks.splice(c + 1, 0, chunk.splice(chunk.length >> 1));
  }

  /** Removes a key that is present. */
  remove(key: string): void {
    const c = this.chunkAtOrAfter(key);
    const chunk = this.chunks[c];
    if (!chunk) return;
    const i = boundary(chunk, key, false);
    if (chunk[i] !== key) return;
    chunk.splice(i, 1);
    if (chunk.length === 0) this.chunks.splice(c, 1);
  }

  /** The keys from `lower` (at it too when `lowerIncluded`, or from the first without one) to `upper` likewise, in order. */
  between(lower: string | undefined, lowerIncluded: boolean, upper: string | undefined, upperIncluded: boolean): string[] {
    const out: string[] = [];
    let c = lower === undefined ? 0 : this.chunkAtOrAfter(lower, !lowerIncluded);
    let i = lower === undefined || c >= this.chunks.length ? 0 : boundary(this.chunks[c]!, lower, !lowerIncluded);
    for (; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c]!;
      for (; i < chunk.length; i++) {
        const key = chunk[i]!;
        if (upper !== undefined && (upperIncluded ? key > upper : key >= upper)) return out;
        out.push(key);
      }
    }
    return out;
  }

  /** The first chunk whose last key is at or after `key` (after it, when `past`); the number of chunks when none is. */
  private chunkAtOrAfter(key: string, past = false): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const last = this.chunks[mid]![this.chunks[mid]!.length - 1]!;
      if (last < key || (past && last === key)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The index of the first key after `key` (or at it, unless `past`): a binary search of ordered keys. */
function boundary(keys: readonly string[], key: string, past: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid]!;
    if (k < key || (past && k === key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One table's items as dynalite's actions read and write them (its item database: get, put, del,
 * a lock per key, a value stream over a key range), kept as the values themselves in key order.
 * dynalite's own keeps them as JSON in MemoryLevel: a parse for every read, a stringify for every
 * write. Sharing the values is safe because dynalite copies an item before changing it (an
 * update clones the old one) and never changes one it has stored or handed back, and the
 * write-behind tables unmarshal every answer into new objects.
 */
export class HeldItems {
  readonly lock = Lock();
  private readonly values = new Map<string, unknown>();
  private readonly keys: OrderedKeys;

  constructor(chunkSize?: number) {
    this.keys = new OrderedKeys(chunkSize);
  }

  get(key: string, cb: Callback): void {
    const value = this.values.get(key);
    process.nextTick(() => (value === undefined ? cb(notFound()) : cb(null, value)));
  }

  put(key: string, value: unknown, cb: Callback): void {
    if (!this.values.has(key)) this.keys.insert(key);
    this.values.set(key, value);
    process.nextTick(cb, null);
  }

  del(key: string, cb: Callback): void {
    if (this.values.delete(key)) this.keys.remove(key);
    process.nextTick(cb, null);
  }

  /** The values whose keys fall in the range, in key order (or reversed), as level's value stream gives them. */
  createValueStream(range: Range): Readable {
    const [lower, lowerIncluded] = range.gte !== undefined ? [range.gte, true] : [range.gt, false];
    const [upper, upperIncluded] = range.lte !== undefined ? [range.lte, true] : [range.lt, false];
    let keys = this.keys.between(lower, lowerIncluded, upper, upperIncluded);
    if (range.reverse) keys.reverse();
    if (range.limit !== undefined && range.limit >= 0) keys = keys.slice(0, range.limit);
    return Readable.from(keys.map((k) => this.values.get(k)));
  }
}

/**
 * dynalite's store with its tables' items held as values (HeldItems) and each table's description
 * read once it is active, instead of decoded from MemoryLevel for every call. Creating and
 * describing tables stays dynalite's own.
 */
export function heldItemStore<S extends DynaliteStore>(store: S): S {
  const items = new Map<string, HeldItems>();
  const active = new Map<string, unknown>();
  return {
    ...store,
    getItemDb(name: string) {
      let table = items.get(name);
      if (!table) items.set(name, (table = new HeldItems()));
      return table;
    },
    getTable(name: string, checkStatus: boolean | Callback, cb?: Callback) {
      const done = typeof checkStatus === 'function' ? checkStatus : cb!;
      const known = active.get(name);
      if (known) return process.nextTick(done, null, known);
      const remember: Callback = (error, table) => {
        if (!error && (table as { TableStatus?: string }).TableStatus === 'ACTIVE') active.set(name, table);
        done(error, table);
      };
      if (typeof checkStatus === 'function') store.getTable(name, remember);
      else store.getTable(name, checkStatus, remember);
    },
  };
}
