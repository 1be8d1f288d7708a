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

/** Segmentation's event when it moves a customer to another lifecycle stage (journey `stage` entries and exits). */
export const STAGE_CHANGED_SOURCE = 'lifecycle-mailer.segment';
export const STAGE_CHANGED_DETAIL_TYPE = 'Stage Changed';

/** The shop events a journey enters, exits or waits on (a refund neither starts nor ends one). */
export const JOURNEY_SHOP_EVENT_TYPES = ['Customer Registered', 'Order Placed', 'Cart Abandoned', 'Customer Updated'] as const satisfies readonly ShopEventType[];

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
  {
    id: 'ShopEventsToJourney',
    bus: 'shop',
    pattern: { source: [SHOP_EVENT_SOURCE], 'detail-type': [...JOURNEY_SHOP_EVENT_TYPES] },
    target: 'journey',
  },
  // Opens and clicks end a `waitFor: { email }`; SES publishes them to the default bus only.
  {
    id: 'SesEngagementToJourney',
    bus: 'default',
    pattern: { source: ['aws.ses'], 'detail-type': [SES_DETAIL_TYPES.Open, SES_DETAIL_TYPES.Click] },
    target: 'journey',
  },
  {
    id: 'StageChangesToJourney',
    bus: 'shop',
    pattern: { source: [STAGE_CHANGED_SOURCE], 'detail-type': [STAGE_CHANGED_DETAIL_TYPE] },
    target: 'journey',
  },
];

export const QUEUE_ROUTES: readonly QueueRoute[] = [
  { id: 'SendQueue', target: 'send', batchSize: 10, maxReceiveCount: 5, visibilityTimeoutSeconds: 180 },
  // Journey wake-ups: Scheduler's one-time schedules deliver here (lib/journeys-construct.ts).
  { id: 'JourneyQueue', target: 'journey', batchSize: 10, maxReceiveCount: 5, visibilityTimeoutSeconds: 180 },
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
