/**
 * Last-touch attribution: an order is credited to the customer's latest qualifying touch
 * before it. A click counts for `clickDays` after it, an open by a person for
 * `humanOpenDays`; an open by a machine (Apple Mail Privacy Protection and other proxies
 * that fetch every image) shows nothing about the person and never counts.
 *
 * Last-touch credits the email with orders the customer would have placed anyway: it
 * measures association, not effect. The holdout uplift (uplift.ts) is the causal number.
 */
import { z } from 'zod';
import type { CustomerProfile } from './customer-profile.ts';

const IsoInstant = z.iso.datetime({ offset: true });
const HOUR = 3_600_000;

export const TouchKind = z.enum(['click', 'human-open', 'machine-open']);
export type TouchKind = z.infer<typeof TouchKind>;

/** One engagement with one send: what the customer did, when. */
export const Touch = z.object({
  sendId: z.string().min(1),
  kind: TouchKind,
  at: IsoInstant,
});
export type Touch = z.infer<typeof Touch>;

/** How long after each kind of touch an order is still credited to it, in days. */
export const AttributionWindows = z
  .object({
    clickDays: z.number().min(0).max(90).default(5),
    humanOpenDays: z.number().min(0).max(90).default(1),
  })
  .strict();
export type AttributionWindows = z.infer<typeof AttributionWindows>;
export const DEFAULT_ATTRIBUTION_WINDOWS: AttributionWindows = AttributionWindows.parse({});

export interface Attribution {
  sendId: string;
  touch: Exclude<TouchKind, 'machine-open'>;
  touchAt: string;
  hoursToOrder: number;
}

/** The window of a touch kind in milliseconds; undefined for a kind that never attributes. */
function windowMs(kind: TouchKind, windows: AttributionWindows): number | undefined {
  if (kind === 'click') return windows.clickDays * 24 * HOUR;
  if (kind === 'human-open') return windows.humanOpenDays * 24 * HOUR;
  return undefined;
}

/**
 * The send an order placed at `orderAt` is credited to: the latest touch at or before the
 * order that is still inside its kind's window. On a tie in time a click beats an open
 * (it shows more intent). Undefined when no touch qualifies (no touch yet, all too old, or
 * only machine opens).
 */
export function attributeOrder(orderAt: string, touches: readonly Touch[], windows: AttributionWindows = DEFAULT_ATTRIBUTION_WINDOWS): Attribution | undefined {
  const order = Date.parse(orderAt);
  let best: { touch: Touch; at: number } | undefined;
  for (const touch of touches) {
    const window = windowMs(touch.kind, windows);
    if (window === undefined) continue;
    const at = Date.parse(touch.at);
    if (at > order || order - at > window) continue;
    if (!best || at > best.at || (at === best.at && touch.kind === 'click' && best.touch.kind !== 'click')) best = { touch, at };
  }
  if (!best) return undefined;
  return { sendId: best.touch.sendId, touch: best.touch.kind as Attribution['touch'], touchAt: best.touch.at, hoursToOrder: (order - best.at) / HOUR };
}

/** The touches a profile's recent sends hold: each send's latest click and latest human open. */
export function touchesOf(profile: Pick<CustomerProfile, 'recentSends'>): Touch[] {
  return profile.recentSends.flatMap((s) => [
    ...(s.lastClickAt ? [{ sendId: s.sendId, kind: 'click' as const, at: s.lastClickAt }] : []),
    ...(s.lastHumanOpenAt ? [{ sendId: s.sendId, kind: 'human-open' as const, at: s.lastHumanOpenAt }] : []),
  ]);
}
