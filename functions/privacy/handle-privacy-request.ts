import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '#domain/clock.ts';
import { describeZodIssues } from '#domain/invalid-input-error.ts';
import { PrivacyRequest } from '#domain/privacy-request.ts';
import { erasePerson, eraseStorefront, exportPerson, type ErasureReceipt, type PrivacyDeps, type PrivacyExport } from './privacy-records.ts';

export interface PrivacyHandlerDeps extends PrivacyDeps {
  clock: Clock;
  logger: Logger;
}

export type PrivacyOutcome =
  | { outcome: 'exported'; document: PrivacyExport }
  | { outcome: 'erased'; receipt: ErasureReceipt }
  | { outcome: 'storefront-erased'; receipts: number; keptElsewhere: number }
  | { outcome: 'rejected'; reason: string };

/**
 * One data-subject request: by hand (`aws lambda invoke` with the request as payload), or from the
 * shop bus (the connector's Shopify privacy webhooks, the request in `detail`). Only ids and counts
 * are logged, never an address.
 */
export async function handlePrivacyRequest(input: unknown, deps: PrivacyHandlerDeps): Promise<PrivacyOutcome> {
  const raw = typeof input === 'object' && input !== null && 'detail' in input ? input.detail : input;
  const parsed = PrivacyRequest.safeParse(raw);
  if (!parsed.success) {
    const reason = describeZodIssues(parsed.error).join('; ');
    deps.logger.warn('privacy request rejected', { reason });
    return { outcome: 'rejected', reason };
  }
  const request = parsed.data;
  const now = deps.clock.now();
  switch (request.action) {
    case 'export': {
      const document = await exportPerson(request.subject, deps, now, request.email);
      deps.logger.info('privacy export', { customerId: document.customerId, by: request.by, records: Object.values(document.records).reduce((n, r) => n + (r?.length ?? 0), 0) });
      return { outcome: 'exported', document };
    }
    case 'erase': {
      const receipt = await erasePerson(request.subject, deps, now, request.by, request.email);
      deps.logger.info('privacy erase', { customerId: receipt.customerId, by: request.by, removed: receipt.removed });
      return { outcome: 'erased', receipt };
    }
    case 'erase-storefront': {
      const { erased, keptElsewhere } = await eraseStorefront(request.source, deps, now, request.by);
      deps.logger.info('storefront erased', { source: request.source, by: request.by, customers: erased.length, keptElsewhere });
      return { outcome: 'storefront-erased', receipts: erased.length, keptElsewhere };
    }
  }
}
