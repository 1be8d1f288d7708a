import type { Catalog } from '#domain/catalog.ts';
import { SES_DETAIL_TYPES } from '#domain/ses-events.ts';
import { SHOP_EVENT_SOURCE, SHOP_EVENT_TYPES, type ShopEventType } from '#domain/shop-events.ts';

/**
 * The one routes table: which events, schedules and queues reach which function.
 * The CDK stack builds its EventBridge rules, Scheduler schedules and SQS event source
 * from it, and the local runtime routes with it, so the two cannot drift apart.
 */
export type FunctionName = 'ingest' | 'segment' | 'send' | 'engagement' | 'journey';

export type EventPattern = { [field: string]: readonly unknown[] | EventPattern };

export interface EventRoute {
  id: string;
  /** `shop`: the shop's own bus; `default`: the account's default bus, the only one SES publishes to. */
  bus: 'shop' | 'default';
  pattern: EventPattern;
  target: FunctionName;
}

export interface QueueRoute {
  id: string;
  target: FunctionName;
  batchSize: number;
  /** Receives before a message goes to the dead-letter queue. */
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
}

export interface ScheduleRoute {
  id: string;
  /** Five-field cron, evaluated in timeZone. */
  cron: string;
  timeZone: string;
  target: FunctionName;
  input: { recompute: boolean; campaignIds: string[] };
}

/** Shop events that enter, advance or end journey entries (a refund does none of these). */
export const JOURNEY_SHOP_EVENTS = ['Customer Registered', 'Order Placed', 'Cart Abandoned', 'Customer Updated'] as const;

export const EVENT_ROUTES: readonly EventRoute[] = [
  {
    id: 'ShopEventsToIngest',
    bus: 'shop',
    pattern: { source: [SHOP_EVENT_SOURCE], 'detail-type': [...SHOP_EVENT_TYPES] },
    target: 'ingest',
  },
  {
    id: 'SesEventsToEngagement',
    bus: 'default',
    pattern: { source: ['aws.ses'], 'detail-type': Object.values(SES_DETAIL_TYPES) },
    target: 'engagement',
  },
  // Journeys hear the shop's events as ingest does (EventBridge does not order the two targets:
  // the journey function reads the profile and takes what it needs from the event itself).
  {
    id: 'ShopEventsToJourneys',
    bus: 'shop',
    pattern: { source: [SHOP_EVENT_SOURCE], 'detail-type': [...JOURNEY_SHOP_EVENTS] },
    target: 'journey',
  },
  // Opens and clicks: a journey's waitFor { email } step listens for them.
  {
    id: 'SesEngagementToJourneys',
    bus: 'default',
    pattern: { source: ['aws.ses'], 'detail-type': [SES_DETAIL_TYPES.Open, SES_DETAIL_TYPES.Click] },
    target: 'journey',
  },
];

export const QUEUE_ROUTES: readonly QueueRoute[] = [
  { id: 'SendQueue', target: 'send', batchSize: 10, maxReceiveCount: 5, visibilityTimeoutSeconds: 180 },
  // Journey wake-ups (Scheduler one-time schedules target this queue) and stage changes (ingest, segmentation).
  { id: 'JourneyQueue', target: 'journey', batchSize: 10, maxReceiveCount: 5, visibilityTimeoutSeconds: 60 },
];

/**
 * Schedules: the daily segmentation, then one per distinct cron of the scheduled
 * campaigns. Campaigns sharing a cron run together, so a customer gets at most one of them.
 */
export function scheduleRoutes(catalog: Pick<Catalog, 'config' | 'campaigns'>): ScheduleRoute[] {
  const { segmentation } = catalog.config;
  const routes: ScheduleRoute[] = [
    { id: 'Segmentation', cron: segmentation.cron, timeZone: segmentation.timeZone, target: 'segment', input: { recompute: true, campaignIds: [] } },
  ];
  const groups = new Map<string, ScheduleRoute>();
  for (const c of catalog.campaigns) {
    if (!c.enabled || c.trigger.type !== 'schedule') continue;
    const key = `${c.trigger.cron}|${c.trigger.timeZone}`;
    let route = groups.get(key);
    if (!route) {
      route = { id: `Campaigns${groups.size + 1}`, cron: c.trigger.cron, timeZone: c.trigger.timeZone, target: 'segment', input: { recompute: false, campaignIds: [] } };
      groups.set(key, route);
    }
    route.input.campaignIds.push(c.id);
  }
  return [...routes, ...groups.values()];
}
