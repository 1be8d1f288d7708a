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
 * One table's items as dynalite's actions read and write them (its item database: get, put, del,
 * a lock per key, a value stream over a key range), kept as the values themselves in key order.
 * dynalite's own keeps them as JSON in MemoryLevel: a parse for every read, a stringify for every
 * write. Sharing the values is safe because dynalite copies an item before changing it (an
 * update clones the old one) and never changes one it has stored or handed back, and the
 * write-behind tables unmarshal every answer into new objects. Keys are dynalite's: hex digits,
 * `/` and `~`, so string order is its byte order.
 */
export class HeldItems {
  readonly lock = Lock();
  private readonly values = new Map<string, unknown>();
  private readonly keys: string[] = [];

  get(key: string, cb: Callback): void {
    const value = this.values.get(key);
    process.nextTick(() => (value === undefined ? cb(notFound()) : cb(null, value)));
  }

  put(key: string, value: unknown, cb: Callback): void {
    if (!this.values.has(key)) this.keys.splice(this.firstAtOrAfter(key), 0, key);
    this.values.set(key, value);
    process.nextTick(cb, null);
  }

  del(key: string, cb: Callback): void {
    if (this.values.delete(key)) this.keys.splice(this.firstAtOrAfter(key), 1);
    process.nextTick(cb, null);
  }

  /** The values whose keys fall in the range, in key order (or reversed), as level's value stream gives them. */
  createValueStream(range: Range): Readable {
    const from = range.gte !== undefined ? this.firstAtOrAfter(range.gte) : range.gt !== undefined ? this.firstAfter(range.gt) : 0;
    let to = range.lte !== undefined ? this.firstAfter(range.lte) : range.lt !== undefined ? this.firstAtOrAfter(range.lt) : this.keys.length;
    if (to < from) to = from;
    let keys = this.keys.slice(from, to);
    if (range.reverse) keys.reverse();
    if (range.limit !== undefined && range.limit >= 0) keys = keys.slice(0, range.limit);
    return Readable.from(keys.map((k) => this.values.get(k)));
  }

  private firstAtOrAfter(key: string): number {
    return this.boundary(key, false);
  }

  private firstAfter(key: string): number {
    return this.boundary(key, true);
  }

  /** The index of the first key after `key` (or at it, unless `past`): a binary search of the ordered keys. */
  private boundary(key: string, past: boolean): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.keys[mid]!;
      if (k < key || (past && k === key)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
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
