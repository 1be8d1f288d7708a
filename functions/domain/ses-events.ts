import { z } from 'zod';

/**
 * The events SES publishes to EventBridge through a configuration set's event destination
 * (source `aws.ses`). `detail` is the same record SES sends to SNS/Firehose.
 */
export const SES_DETAIL_TYPES = {
  Send: 'Email Sent',
  Delivery: 'Email Delivered',
  Open: 'Email Opened',
  Click: 'Email Clicked',
  Bounce: 'Email Bounced',
  Complaint: 'Email Complaint Received',
  Reject: 'Email Rejected',
  DeliveryDelay: 'Email Delivery Delayed',
  RenderingFailure: 'Email Rendering Failed',
  Subscription: 'Email Subscribed',
} as const;
export type SesEventType = keyof typeof SES_DETAIL_TYPES;

const Instant = z.iso.datetime({ offset: true });

export const SesMail = z.object({
  timestamp: Instant,
  messageId: z.string().min(1),
  source: z.string().optional(),
  destination: z.array(z.string()).default([]),
  /** Message tags as SES publishes them: name → values. */
  tags: z.record(z.string(), z.array(z.string())).default({}),
});

const UserAction = z.object({ timestamp: Instant, ipAddress: z.string().default(''), userAgent: z.string().default('') });

export const SesEventDetail = z.discriminatedUnion('eventType', [
  z.object({ eventType: z.literal('Send'), mail: SesMail, send: z.object({}).passthrough().optional() }),
  z.object({ eventType: z.literal('Delivery'), mail: SesMail, delivery: z.object({ timestamp: Instant }).passthrough() }),
  z.object({ eventType: z.literal('Open'), mail: SesMail, open: UserAction }),
  z.object({ eventType: z.literal('Click'), mail: SesMail, click: UserAction.extend({ link: z.string() }) }),
  z.object({
    eventType: z.literal('Bounce'),
    mail: SesMail,
    bounce: z
      .object({
        bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
        bounceSubType: z.string(),
        timestamp: Instant,
      })
      .passthrough(),
  }),
  z.object({
    eventType: z.literal('Complaint'),
    mail: SesMail,
    complaint: z.object({ timestamp: Instant, complaintFeedbackType: z.string().optional() }).passthrough(),
  }),
  z.object({ eventType: z.literal('Reject'), mail: SesMail, reject: z.object({ reason: z.string() }).passthrough() }),
  z.object({ eventType: z.literal('DeliveryDelay'), mail: SesMail, deliveryDelay: z.object({ timestamp: Instant }).passthrough() }),
  z.object({ eventType: z.literal('Rendering Failure'), mail: SesMail, failure: z.object({ errorMessage: z.string() }).passthrough() }),
  z.object({
    eventType: z.literal('Subscription'),
    mail: SesMail,
    subscription: z
      .object({
        timestamp: Instant,
        newTopicPreferences: z
          .object({
            unsubscribeAll: z.boolean().default(false),
            topicSubscriptionStatus: z.array(z.object({ topicName: z.string(), subscriptionStatus: z.enum(['OptIn', 'OptOut']) })).default([]),
          })
          .optional(),
      })
      .passthrough(),
  }),
]);
export type SesEventDetail = z.infer<typeof SesEventDetail>;

export const SesEvent = z.object({
  version: z.string().default('0'),
  id: z.string().min(1),
  'detail-type': z.enum(Object.values(SES_DETAIL_TYPES) as [string, ...string[]]),
  source: z.literal('aws.ses'),
  account: z.string().default('000000000000'),
  time: Instant,
  region: z.string().default('local'),
  resources: z.array(z.string()).default([]),
  detail: SesEventDetail,
});
export type SesEvent = z.infer<typeof SesEvent>;

/** Tag names the send function puts on every message, so events can be traced back. */
export const SEND_TAGS = { campaign: 'campaign', customer: 'customer', variant: 'variant', send: 'send', locale: 'locale' } as const;

export function tagValue(mail: z.infer<typeof SesMail>, name: string): string | undefined {
  return mail.tags[name]?.[0];
}
