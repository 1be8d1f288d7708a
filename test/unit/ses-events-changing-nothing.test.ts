import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { SES_DETAIL_TYPES } from '#domain/ses-events.ts';
import { changesNothing, type EngagementDeps, recordEngagement } from '../../functions/engagement/record-engagement.ts';

const at = '2026-10-01T08:00:00.000Z';
const mail = { timestamp: at, messageId: 'm-1', destination: ['a@example.com'], tags: { customer: ['c1'], send: ['welcome_once_c1'] } };
const action = { timestamp: at, ipAddress: '198.51.100.1', userAgent: 'Mozilla/5.0 (X11)' };
/** One event of every type SES publishes, as the engagement function receives them. */
const details = [
  { eventType: 'Send', mail, send: {} },
  { eventType: 'Delivery', mail, delivery: { timestamp: at } },
  { eventType: 'Delivery', mail: { ...mail, tags: { customer: ['c1'] } }, delivery: { timestamp: at } },
  { eventType: 'Open', mail, open: action },
  { eventType: 'Click', mail, click: { ...action, link: 'https://shop.example.com/' } },
  { eventType: 'Bounce', mail, bounce: { bounceType: 'Permanent', bounceSubType: 'General', timestamp: at } },
  { eventType: 'Bounce', mail, bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', timestamp: at } },
  { eventType: 'Complaint', mail, complaint: { timestamp: at } },
  { eventType: 'Reject', mail, reject: { reason: 'Bad content' } },
  { eventType: 'DeliveryDelay', mail, deliveryDelay: { timestamp: at } },
  { eventType: 'Rendering Failure', mail, failure: { errorMessage: 'no such template' } },
  { eventType: 'Subscription', mail, subscription: { timestamp: at, newTopicPreferences: { unsubscribeAll: true, topicSubscriptionStatus: [] } } },
  { eventType: 'Subscription', mail, subscription: { timestamp: at } },
  { eventType: 'Send', mail: { ...mail, tags: {} }, send: {} },
];
const detailType = (eventType: string) => SES_DETAIL_TYPES[(eventType === 'Rendering Failure' ? 'RenderingFailure' : eventType) as keyof typeof SES_DETAIL_TYPES];
const eventOf = (detail: (typeof details)[number], i: number) => ({ source: 'aws.ses', id: `ev-${i}`, 'detail-type': detailType(detail.eventType), time: at, detail });

/** Stores that fail the test on any use: what changesNothing promises is that none is needed. */
const untouchable = <T extends object>(name: string) =>
  new Proxy({} as T, {
    get: (_target, property) => () => {
      throw new Error(`${name}.${String(property)} was called`);
    },
  });
const deps: EngagementDeps = {
  customers: untouchable('customers'),
  ledger: untouchable('ledger'),
  failedEvents: untouchable('failedEvents'),
  deliverability: untouchable('deliverability'),
  config: { guardrail: { enabled: true } as EngagementDeps['config']['guardrail'] },
  clock: { now: () => at },
  logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
};

describe('SES events that change nothing (handled without an idempotency record)', () => {
  it('are the ones recordEngagement ignores without reading or writing anything', async () => {
    const inert: string[] = [];
    for (const [i, detail] of details.entries()) {
      const event = eventOf(detail, i);
      if (!changesNothing(event)) continue;
      inert.push(detail.eventType);
      await expect(recordEngagement(event, deps)).resolves.toEqual({ outcome: 'ignored', eventType: detail.eventType });
    }
    expect(inert).toEqual(['Send', 'Reject', 'DeliveryDelay', 'Rendering Failure', 'Subscription']);
  });

  it('leave out every event that counts, flags, changes a profile or is set aside', () => {
    const counted = details.map((d, i) => [d.eventType, changesNothing(eventOf(d, i))] as const).filter(([, inert]) => !inert).map(([type]) => type);
    expect(counted).toEqual(['Delivery', 'Delivery', 'Open', 'Click', 'Bounce', 'Bounce', 'Complaint', 'Subscription', 'Send']);
    expect(changesNothing({ source: 'aws.ses', detail: { eventType: 'Send' } })).toBe(false); // invalid: set aside by the function
  });
});
