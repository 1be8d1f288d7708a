import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { campaignsById } from '#domain/catalog.ts';
import { parseOrThrow } from '#domain/invalid-input-error.ts';
import { SendRequest } from '#domain/send-request.ts';
import { TemplateRenderer } from '#domain/template-renderer.ts';
import { deliverSend, type SendDeps, type SendOutcome } from './deliver-send.ts';
import { lambdaDependencies } from '#adapters/lambda-dependencies.ts';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { DynamoJourneyEntryStore } from '#adapters/journey-entry-store.ts';

/**
 * SQS consumer of the send queue with partial batch responses: a record that throws
 * (SES throttled, a fault) is retried by SQS alone, then lands in the dead-letter queue.
 */
export interface SendObserver {
  onOutcome?(request: SendRequest, outcome: SendOutcome): void;
  /** A record failed and goes back to the queue (the local runtime keeps the reason for its dead-letter store). */
  onError?(request: SendRequest | undefined, error: unknown): void;
}

export function createSendHandler(deps: SendDeps, observer: SendObserver = {}) {
  const processRecord = async (record: SQSRecord) => {
    let request: SendRequest | undefined;
    try {
      request = parseOrThrow(SendRequest, JSON.parse(record.body), `send-queue message ${record.messageId}`);
      const outcome = await deliverSend(request, deps);
      observer.onOutcome?.(request, outcome);
      return outcome;
    } catch (error) {
      deps.logger.warn('send will be retried', { messageId: record.messageId, sendId: request?.sendId, error: error instanceof Error ? error.name : 'unknown' }); // messages may quote addresses: never logged
      observer.onError?.(request, error);
      throw error;
    }
  };
  // A processor per invocation: it keeps the batch's state, and invocations may overlap.
  return (event: SQSEvent): Promise<SQSBatchResponse> =>
    processPartialResponse(event, processRecord, new BatchProcessor(EventType.SQS), { throwOnFullBatchFailure: false });
}

let instance: { deps: SendDeps; handle: ReturnType<typeof createSendHandler> } | undefined;
export const handler = async (event: SQSEvent) => {
  const d = lambdaDependencies();
  // Read at cold start, then from Powertools' cache; a rotated key is picked up when it expires.
  const signingKeys = await d.signingKeys();
  if (!instance) {
    const deps: SendDeps = {
      ...d,
      mailer: d.mailer(),
      sendQueue: d.sendQueue(),
      campaigns: campaignsById(d.catalog),
      renderer: new TemplateRenderer(d.catalog.templates),
      config: d.catalog.config,
      signingKeys,
      journeys: new Map(d.catalog.journeys.map((j) => [j.id, j])),
      ...(d.env.JOURNEY_ENTRIES_TABLE ? { journeyEntries: new DynamoJourneyEntryStore(createDocumentClient(), d.env.JOURNEY_ENTRIES_TABLE) } : {}),
    };
    instance = { deps, handle: createSendHandler(deps) };
  }
  instance.deps.signingKeys = signingKeys; // one event at a time per instance: safe to swap between events
  return instance.handle(event);
};
