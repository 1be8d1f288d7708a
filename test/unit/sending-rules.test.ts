import { describe, expect, it } from 'vitest';
import { Campaign } from '#domain/campaign.ts';
import { checkEligibility } from '#domain/campaign-choice.ts';
import { customerFacts } from '#domain/customer-facts.ts';
import { type CustomerProfile, newProfile } from '#domain/customer-profile.ts';
import { recordSend, releaseCapSlot, takeCapSlot } from '#domain/customer-sends.ts';
import { FrequencyRules } from '#domain/mailer-config.ts';
import { QuietHours, quietHoursEnd, releaseTime } from '#domain/quiet-hours.ts';

const now = '2026-10-10T09:00:00.000Z';
const campaign = (id: string, over: Record<string, unknown> = {}) =>
  Campaign.parse({
    id,
    name: id,
    trigger: { type: 'schedule', cron: '0 9 * * *' },
    audience: { stages: ['declining'], topic: 'offers' },
    priority: 50,
    cooldown: { days: 30 },
    template: 'win-back',
    subject: 'Hi',
    from: { address: 'a@shop.example.com', name: 'Shop' },
    ...over,
  });
const customer = (over: Partial<CustomerProfile> = {}): CustomerProfile => ({
  ...newProfile('c1', now),
  email: 'c1@example.com',
  consent: { marketing: true, topics: [], unsubscribedTopics: [], updatedAt: now },
  stage: 'declining',
  ...over,
});
const daysAgo = (d: number) => new Date(Date.parse(now) - d * 86_400_000).toISOString();
const rules = FrequencyRules.parse({ minHoursBetweenMarketing: 24, maxPerWindow: 2, windowDays: 7, exempt: ['order-follow-up'] });
const check = (c: Campaign, p: CustomerProfile, sendId?: string) => checkEligibility(c, p, customerFacts(p, now), now, rules, sendId);

describe('global frequency cap (rolling window)', () => {
  it('allows up to maxPerWindow capped sends in the window, then refuses with the count', () => {
    const one = customer({ cappedSends: [{ sendId: 'a', at: daysAgo(3) }] });
    expect(check(campaign('win-back'), one)).toEqual({ eligible: true });
    const two = customer({ cappedSends: [{ sendId: 'a', at: daysAgo(3) }, { sendId: 'b', at: daysAgo(2) }] });
    expect(check(campaign('win-back'), two)).toEqual({ eligible: false, reason: 'frequency-cap', detail: '2 in 7 days' });
  });

  it('is a rolling window: a send falls out exactly windowDays later', () => {
    const p = customer({ cappedSends: [{ sendId: 'a', at: daysAgo(7) }, { sendId: 'b', at: daysAgo(2) }] });
    expect(check(campaign('win-back'), p)).toEqual({ eligible: true });
    const inside = customer({ cappedSends: [{ sendId: 'a', at: daysAgo(6.99) }, { sendId: 'b', at: daysAgo(2) }] });
    expect(check(campaign('win-back'), inside)).toMatchObject({ eligible: false, reason: 'frequency-cap' });
  });

  it('keeps the minimum gap between capped sends', () => {
    expect(check(campaign('win-back'), customer({ cappedSends: [{ sendId: 'a', at: daysAgo(0.5) }] }))).toEqual({ eligible: false, reason: 'frequency-cap', detail: 'within 24 h' });
  });

  it('does not count the send being checked against itself (a retry after its slot was taken)', () => {
    const p = customer({ cappedSends: [{ sendId: 'a', at: daysAgo(3) }, { sendId: 'mine', at: now }] });
    expect(check(campaign('win-back'), p, 'mine')).toEqual({ eligible: true });
    expect(check(campaign('win-back'), p, 'other')).toMatchObject({ eligible: false, reason: 'frequency-cap' });
  });

  it('exempts only the campaigns the config lists, whatever their kind', () => {
    const full = customer({ cappedSends: [{ sendId: 'a', at: daysAgo(1) }, { sendId: 'b', at: daysAgo(0.1) }] });
    expect(check(campaign('order-follow-up'), full)).toEqual({ eligible: true });
    expect(check(campaign('receipt-survey', { kind: 'transactional' }), full)).toMatchObject({ eligible: false, reason: 'frequency-cap' });
  });

  it('takes a slot once, releases it, and an exempt send records no slot', () => {
    const p = customer();
    const taken = takeCapSlot(p, 's1', now, rules);
    expect(taken.cappedSends).toEqual([{ sendId: 's1', at: now }]);
    expect(takeCapSlot(taken, 's1', now, rules)).toBe(taken);
    expect(releaseCapSlot(taken, 's1', now)?.cappedSends).toEqual([]);
    expect(releaseCapSlot(p, 's1', now)).toBeUndefined();
    const exempt = recordSend(p, campaign('order-follow-up'), 's2', now, rules);
    expect(exempt.cappedSends).toEqual([]);
    expect(exempt.lastMarketingSentAt).toBeUndefined();
    expect(exempt.campaignsSent['order-follow-up']).toBe(now);
  });

  it('prunes slots that can no longer cap anything', () => {
    const p = customer({ cappedSends: [{ sendId: 'old', at: daysAgo(30) }, { sendId: 'recent', at: daysAgo(1) }] });
    expect(takeCapSlot(p, 'new', now, rules).cappedSends.map((s) => s.sendId)).toEqual(['recent', 'new']);
  });
});

describe('quiet hours in the customer time zone', () => {
  const night = QuietHours.parse({ start: '21:00', end: '08:00' });

  it.each([
    // [instant, zone, expected end or undefined]
    ['2026-10-10T12:00:00.000Z', 'Europe/Berlin', undefined], // 14:00 CEST
    ['2026-10-10T20:30:00.000Z', 'Europe/Berlin', '2026-10-11T06:00:00.000Z'], // 22:30 CEST → 08:00 CEST
    ['2026-10-10T03:00:00.000Z', 'Europe/Berlin', '2026-10-10T06:00:00.000Z'], // 05:00 CEST → 08:00 same day
    ['2026-10-10T09:00:00.000Z', 'America/Los_Angeles', '2026-10-10T15:00:00.000Z'], // 02:00 PDT → 08:00 PDT
    ['2026-10-10T09:00:00.000Z', 'Asia/Tokyo', undefined], // 18:00 JST
    ['2026-10-10T12:30:00.000Z', 'Asia/Tokyo', '2026-10-10T23:00:00.000Z'], // 21:30 JST → 08:00 JST
    ['2026-10-10T15:00:00.000Z', 'Asia/Kolkata', undefined], // 20:30 IST (a half-hour zone)
    ['2026-10-10T15:30:00.000Z', 'Asia/Kolkata', '2026-10-11T02:30:00.000Z'], // 21:00 IST: the window starts
    ['2026-10-10T06:00:00.000Z', 'Europe/Berlin', undefined], // 08:00 CEST: the window has ended
  ])('%s in %s → %s', (at, zone, end) => {
    expect(quietHoursEnd(at, zone, night)).toBe(end);
  });

  it('ends at 08:00 local on the morning after Europe moves its clocks back (a 12-hour night)', () => {
    // 25 Oct 2026: CEST (UTC+2) → CET (UTC+1) at 03:00. 21:30 CEST on the 24th is 19:30Z.
    expect(quietHoursEnd('2026-10-24T19:30:00.000Z', 'Europe/Berlin', night)).toBe('2026-10-25T07:00:00.000Z');
  });

  it('ends at 08:00 local on the morning after the US moves its clocks forward', () => {
    // 8 Mar 2026: PST (UTC−8) → PDT (UTC−7) at 02:00. 23:00 PST on the 7th is 07:00Z on the 8th.
    expect(quietHoursEnd('2026-03-08T07:00:00.000Z', 'America/New_York', night)).toBe('2026-03-08T12:00:00.000Z');
    expect(quietHoursEnd('2026-03-08T07:00:00.000Z', 'America/Los_Angeles', night)).toBe('2026-03-08T15:00:00.000Z');
  });

  it('handles an end time the clock change skips or repeats', () => {
    const early = QuietHours.parse({ start: '23:00', end: '02:30' });
    // 02:30 does not exist in New York on 8 Mar 2026: the window ends one gap later, at 03:30 EDT.
    expect(quietHoursEnd('2026-03-08T05:00:00.000Z', 'America/New_York', early)).toBe('2026-03-08T07:30:00.000Z');
    // 02:30 happens twice in Berlin on 25 Oct 2026: the first one ends the window.
    expect(quietHoursEnd('2026-10-24T22:00:00.000Z', 'Europe/Berlin', QuietHours.parse({ start: '23:00', end: '02:30' }))).toBe('2026-10-25T00:30:00.000Z');
  });

  it('supports a daytime window and exempt campaigns', () => {
    const lunch = QuietHours.parse({ start: '12:00', end: '13:00', exempt: ['confirm-subscription'] });
    expect(quietHoursEnd('2026-10-10T12:15:00.000Z', 'UTC', lunch)).toBe('2026-10-10T13:00:00.000Z');
    expect(releaseTime('welcome', 'UTC', '2026-10-10T12:15:00.000Z', lunch)).toBe('2026-10-10T13:00:00.000Z');
    expect(releaseTime('confirm-subscription', 'UTC', '2026-10-10T12:15:00.000Z', lunch)).toBeUndefined();
    expect(releaseTime('welcome', 'UTC', '2026-10-10T12:15:00.000Z', undefined)).toBeUndefined();
  });

  it('rejects a window that is not one', () => {
    expect(QuietHours.safeParse({ start: '21:00', end: '21:00' }).success).toBe(false);
    expect(QuietHours.safeParse({ start: '25:00', end: '08:00' }).success).toBe(false);
  });
});
