import type { CustomerStore } from '#adapters/customer-store.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';

/** Just enough of a CustomerStore for a use case under test: a map, and a count of writes. */
export class MemoryCustomers implements Pick<CustomerStore, 'get' | 'modify'> {
  readonly items = new Map<string, CustomerProfile>();
  writes = 0;
  async get(id: string) {
    return this.items.get(id);
  }
  async modify(id: string, change: (p: CustomerProfile | undefined) => CustomerProfile | undefined) {
    const next = change(this.items.get(id));
    if (!next) return this.items.get(id);
    this.writes++;
    this.items.set(id, next);
    return next;
  }
}
