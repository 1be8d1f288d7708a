/** Shared CDNOW fixtures for the customer-value tests (the data ships with the repository, under data/cdnow). */
import { readFileSync } from 'node:fs';
import { parseOrderLog, type Order } from '#cli/run/order-log.ts';
import { summarisePurchases, type CustomerSummary } from '#domain/customer-value/purchase-summary.ts';

export const CDNOW_SAMPLE_URL = new URL('../../../data/cdnow/CDNOW_sample.txt', import.meta.url);
export const CDNOW_MASTER_URL = new URL('../../../data/cdnow/CDNOW_master.txt', import.meta.url);

/** Fader & Hardie's CDNOW calibration: 39 weeks ending 1997-09-30; hold-out to 1998-06-30. */
export const CDNOW_CALIBRATION = { calibrationEnd: '1997-09-30', periodDays: 7, holdoutEnd: '1998-06-30' } as const;

let sampleOrders: Order[] | undefined;
export function cdnowSampleOrders(): Order[] {
  if (sampleOrders === undefined) {
    const { orders, rejected } = parseOrderLog(readFileSync(CDNOW_SAMPLE_URL, 'utf8'), 'cdnow');
    if (rejected.length > 0) throw new Error(`CDNOW sample: ${rejected.length} rejected lines`);
    sampleOrders = orders;
  }
  return sampleOrders;
}

let sampleSummaries: CustomerSummary[] | undefined;
export function cdnowSampleSummaries(): CustomerSummary[] {
  sampleSummaries ??= summarisePurchases(cdnowSampleOrders(), CDNOW_CALIBRATION);
  return sampleSummaries;
}
