import type { ShopEventType } from '#domain/shop-events.ts';

/** A shop event before the bus wraps it: what a storefront passes to PutEvents. */
export interface ShopEventInput {
  time: string;
  detailType: ShopEventType;
  detail: unknown;
}
