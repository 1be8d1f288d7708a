import { describe, expect, it } from 'vitest';
import { Campaign } from '#domain/campaign.ts';
import { checkEligibility, chooseCampaign } from '#domain/campaign-choice.ts';
import { customerFacts } from '#domain/customer-facts.ts';
import { type CustomerProfile, newProfile } from '#domain/customer-profile.ts';
import { FrequencyRules } from '#domain/mailer-config.ts';
import { buildSendRequest, chooseVariant, sendPeriod } from '#domain/send-request.ts';
import { consentingCustomer } from '../support/profiles.ts';

const now = '2026-10-10T09:00:00.000Z';
const rules = FrequencyRules.parse({ minHoursBetweenMarketing: 48 });
const campaign = (over: Record<string, unknown>) =>
  Campaign.parse({
    id: 'win-back',
    name: 'Win back',
    trigger: { type: 'schedule', cron: '0 9 * * *' },
    audience: { stages: ['declining'], topic: 'offers' },
    priority: 50,
    cooldown: { days: 30 },
    template: 'win-back',
    subject: 'Hi',
    from: { address: 'a@shop.example.com', name: 'Shop' },
    ...over,
  });
const customer = (over: Partial<CustomerProfile> = {}): CustomerProfile =>
  consentingCustomer('c1', now, {
    stage: 'declining',
    orderCount: 3,
    totalSpend: 120,
    ...over,
  });
const check = (c: Campaign, p: CustomerProfile) => checkEligibility(c, p, customerFacts(p, now), now, rules);

describe('checkEligibility', () => {
  it('accepts a consenting customer in the audience stage', () => {
    expect(check(campaign({}), customer())).toEqual({ eligible: true });
  });

  it.each([
    ['no-email', customer({ email: undefined })],
    ['suppressed', customer({ suppression: { reason: 'hard-bounce', at: now } })],
    ['no-consent', customer({ consent: { marketing: false, topics: [], unsubscribedTopics: [], updatedAt: now } })],
    ['topic-unsubscribed', customer({ consent: { marketing: true, topics: ['newsletter'], unsubscribedTopics: [], updatedAt: now } })],
    ['topic-unsubscribed', customer({ consent: { marketing: true, topics: [], unsubscribedTopics: ['offers'], updatedAt: now } })],
    ['stage', customer({ stage: 'stable' })],
    ['cooldown', customer({ campaignsSent: { 'win-back': '2026-09-20T09:00:00.000Z' } })],
    ['frequency-cap', customer({ lastMarketingSentAt: '2026-10-09T09:00:00.000Z' })],
  ])('refuses with reason %s', (reason, profile) => {
    expect(check(campaign({}), profile)).toMatchObject({ eligible: false, reason });
  });

  it('lets a transactional-style campaign through without marketing consent', () => {
    const c = campaign({ kind: 'transactional' });
    expect(check(c, customer({ consent: { marketing: false, topics: [], unsubscribedTopics: [], updatedAt: now } }))).toEqual({ eligible: true });
  });

  it('sends a once-only campaign once', () => {
    const c = campaign({ cooldown: 'once' });
    expect(check(c, customer({ campaignsSent: { 'win-back': '2020-01-01T00:00:00.000Z' } }))).toMatchObject({ reason: 'already-sent' });
  });

  it('evaluates profile conditions', () => {
    const c = campaign({ audience: { stages: ['declining'], topic: 'offers', conditions: [{ field: 'totalSpend', op: 'gte', value: 100 }, { field: 'channel', op: 'in', value: ['web', 'ios'] }] } });
    expect(check(c, customer())).toEqual({ eligible: true });
    expect(check(c, customer({ totalSpend: 99 }))).toMatchObject({ reason: 'condition', detail: 'totalSpend gte' });
    expect(check(c, customer({ channel: 'marketplace' }))).toMatchObject({ reason: 'condition', detail: 'channel in' });
  });

  it('filters on customer value: win-back only for likely-churning, high-CLV customers', () => {
    const c = campaign({ audience: { stages: ['declining'], topic: 'offers', conditions: [{ field: 'pAlive', op: 'lt', value: 0.5 }, { field: 'clvPercentile', op: 'gte', value: 70 }] } });
    const value = { pAlive: 0.3, expectedPurchases90d: 0.2, predictedClv: 300, clvPercentile: 85, churnRisk: 0.7, modelFittedAt: now };
    expect(check(c, customer({ value }))).toEqual({ eligible: true });
    expect(check(c, customer({ value: { ...value, clvPercentile: 40 } }))).toMatchObject({ reason: 'condition', detail: 'clvPercentile gte' });
    expect(check(c, customer({ value: { ...value, pAlive: 0.8 } }))).toMatchObject({ reason: 'condition', detail: 'pAlive lt' });
    expect(check(c, customer())).toMatchObject({ reason: 'condition' }); // no model yet: not eligible
  });

  it('follows a sequence: only after the previous campaign, and only once enough days passed', () => {
    const sunset = campaign({ id: 'sunset', audience: { stages: ['declining'], topic: 'offers', after: { campaign: 'last-chance', days: 21 } } });
    expect(check(sunset, customer())).toMatchObject({ reason: 'condition' });
    expect(check(sunset, customer({ campaignsSent: { 'last-chance': '2026-10-01T09:00:00.000Z' } }))).toMatchObject({ reason: 'condition' });
    expect(check(sunset, customer({ campaignsSent: { 'last-chance': '2026-09-01T09:00:00.000Z' } }))).toEqual({ eligible: true });
  });
});

describe('chooseCampaign', () => {
  it('picks the highest-priority eligible campaign and records why the others were not chosen', () => {
    const low = campaign({ id: 'cross-sell', priority: 10 });
    const high = campaign({ id: 'win-back', priority: 80 });
    const other = campaign({ id: 'vip', priority: 90, audience: { stages: ['stable'], topic: 'offers' } });
    const choice = chooseCampaign([low, other, high], customer(), customerFacts(customer(), now), now, rules);
    expect(choice.chosen?.id).toBe('win-back');
    expect(choice.skipped).toEqual(
      expect.arrayContaining([
        { campaignId: 'vip', reason: 'stage', detail: 'declining' },
        { campaignId: 'cross-sell', reason: 'lower-priority', detail: 'win-back' },
      ]),
    );
  });

  it('chooses nothing when nothing is eligible', () => {
    const choice = chooseCampaign([campaign({})], customer({ stage: 'prospect' }), customerFacts(customer(), now), now, rules);
    expect(choice.chosen).toBeUndefined();
  });
});

describe('send periods and variants', () => {
  it('puts sends in the same cooldown window into one period (one ledger key)', () => {
    const c = campaign({ cooldown: { days: 7 } });
    const a = buildSendRequest(c, 'c1', '2026-10-10T09:00:00.000Z', 'schedule');
    const b = buildSendRequest(c, 'c1', '2026-10-10T21:00:00.000Z', 'schedule');
    expect(a.sendId).toBe(b.sendId);
    expect(a.sendId).toMatch(/^win-back_\d{4}-\d{2}-\d{2}-P7D_c1$/);
    expect(sendPeriod(campaign({ cooldown: 'once' }), now)).toBe('once');
  });

  it('assigns variants by weight, stably per customer', () => {
    const c = campaign({ variants: [{ id: 'a', weight: 3 }, { id: 'b', weight: 1 }] });
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let i = 0; i < 4000; i++) counts[chooseVariant(c, `c${i}`)]!++;
    expect(counts.a! / 4000).toBeGreaterThan(0.7);
    expect(counts.a! / 4000).toBeLessThan(0.8);
    expect(chooseVariant(c, 'c42')).toBe(chooseVariant(c, 'c42'));
  });
});
