import { describe, expect, it } from 'vitest';
import {
  ALL_MARKETING,
  blockingPause,
  bounceOutcome,
  campaignScope,
  DayCounters,
  decidePauses,
  DEFAULT_GUARDRAIL,
  GuardrailConfig,
  judgeDay,
  mayPause,
  NotPausedError,
  type PauseRecord,
  type PauseScope,
  pausedRecord,
  resumedRecord,
  sendingDay,
} from '#domain/deliverability-guardrail.ts';
import { MailerConfig } from '#domain/mailer-config.ts';

const day = '2026-10-05';
const counts = (c: Partial<DayCounters>) => DayCounters.parse(c);
// These cases judge single events; the minEvents floor has its own test.
const config = { ...DEFAULT_GUARDRAIL, minEvents: 1 };

function paused(scope: PauseScope, onDay = day): PauseRecord {
  const verdict = judgeDay(scope, onDay, counts({ sends: 200, complaints: 1 }), config);
  if (!verdict.pause) throw new Error('expected a pause');
  return pausedRecord(undefined, scope, onDay, verdict, `${onDay}T12:00:00.000Z`);
}

describe('guardrail config', () => {
  it('defaults below the SES review thresholds, and an existing config file without the section stays valid', () => {
    expect(DEFAULT_GUARDRAIL).toEqual({ enabled: true, minSends: 200, minEvents: 2, bounceRate: 0.04, complaintRate: 0.0008 });
    const minimal = {
      shop: { name: 'S', url: 'https://s.example/', postalAddress: '1 Road, Town', supportEmail: 'h@s.example' },
      sending: { unsubscribeBaseUrl: 'https://s.example/u' },
    };
    expect(MailerConfig.parse(minimal).guardrail).toEqual(DEFAULT_GUARDRAIL);
    expect(MailerConfig.parse({ ...minimal, guardrail: { minSends: 500 } }).guardrail).toEqual({ ...DEFAULT_GUARDRAIL, minSends: 500 });
  });

  it('rejects unknown fields and rates outside (0, 1)', () => {
    expect(GuardrailConfig.safeParse({ bounceRate: 5 }).success).toBe(false);
    expect(GuardrailConfig.safeParse({ complaintRate: 0 }).success).toBe(false);
    expect(GuardrailConfig.safeParse({ minsends: 10 }).success).toBe(false);
  });
});

describe('judgeDay', () => {
  it('does not judge a rate resting on a single complaint or bounce (minEvents, 2 by default)', () => {
    const one = { sends: 1208, hardBounces: 1, softBounces: 0, suppressedBounces: 0, complaints: 1 };
    expect(judgeDay('all-marketing', '2026-09-20', one, DEFAULT_GUARDRAIL)).toEqual({ pause: false, why: 'within-thresholds' });
    const two = { ...one, complaints: 2 };
    expect(judgeDay('all-marketing', '2026-09-20', two, DEFAULT_GUARDRAIL)).toMatchObject({ pause: true, reason: 'all campaigns: complaint rate 0.17% (2 of 1208 sends on 2026-09-20) ≥ 0.08%' });
  });

  it('does not judge a day below minSends, however bad its rates (small numbers are noise)', () => {
    expect(judgeDay(campaignScope('win-back'), day, counts({ sends: 199, hardBounces: 50, complaints: 10 }), config)).toEqual({ pause: false, why: 'below-min-sends' });
  });

  it('pauses at the complaint threshold and says why, with the numbers', () => {
    const verdict = judgeDay(campaignScope('win-back'), day, counts({ sends: 1250, complaints: 1 }), config);
    expect(verdict).toMatchObject({
      pause: true,
      reason: 'complaint rate 0.08% (1 of 1250 sends on 2026-10-05) ≥ 0.08%',
      numbers: { sends: 1250, complaints: 1, complaintRate: 0.0008, thresholds: { minSends: 200, minEvents: 1, bounceRate: 0.04, complaintRate: 0.0008 } },
    });
    expect(judgeDay(campaignScope('win-back'), day, counts({ sends: 1251, complaints: 1 }), config).pause).toBe(false);
  });

  it('judges hard bounces only: soft and account-suppression bounces do not count, as in SES', () => {
    expect(judgeDay(ALL_MARKETING, day, counts({ sends: 200, hardBounces: 7, softBounces: 40, suppressedBounces: 40 }), config)).toEqual({ pause: false, why: 'within-thresholds' });
    const verdict = judgeDay(ALL_MARKETING, day, counts({ sends: 200, hardBounces: 8 }), config);
    expect(verdict).toMatchObject({ pause: true, reason: 'all campaigns: hard-bounce rate 4.00% (8 of 200 sends on 2026-10-05) ≥ 4.00%' });
  });

  it('names both rates when both cross', () => {
    const verdict = judgeDay(campaignScope('sunset'), day, counts({ sends: 400, hardBounces: 20, complaints: 2 }), config);
    expect(verdict.pause && verdict.reason).toBe('hard-bounce rate 5.00% (20 of 400 sends on 2026-10-05) ≥ 4.00%; complaint rate 0.50% (2 of 400 sends on 2026-10-05) ≥ 0.08%');
  });

  it('classifies bounces the way SES counts them', () => {
    expect(bounceOutcome('Permanent', 'General')).toBe('hardBounce');
    expect(bounceOutcome('Permanent', 'Suppressed')).toBe('hardBounce'); // the global list counts
    expect(bounceOutcome('Permanent', 'OnAccountSuppressionList')).toBe('suppressedBounce');
    expect(bounceOutcome('Transient', 'MailboxFull')).toBe('softBounce');
    expect(bounceOutcome('Undetermined', 'Undetermined')).toBe('softBounce');
  });

  it('attributes to the UTC sending day', () => {
    expect(sendingDay('2026-10-05T23:59:59.999Z')).toBe('2026-10-05');
    expect(sendingDay('2026-10-06T01:00:00+02:00')).toBe('2026-10-05');
  });
});

describe('escalation: decidePauses', () => {
  const none = new Map<PauseScope, PauseRecord>();

  it('pauses the campaign on its own rates while the whole day is still fine', () => {
    const decisions = decidePauses({ day, campaignId: 'win-back', campaign: counts({ sends: 200, complaints: 1 }), all: counts({ sends: 2000, complaints: 1 }), existing: none }, config);
    expect(decisions.map((d) => d.scope)).toEqual(['campaign#win-back']);
  });

  it('pauses all marketing when the whole day crosses, even if no single campaign has enough sends to be judged', () => {
    const decisions = decidePauses({ day, campaignId: 'win-back', campaign: counts({ sends: 50, complaints: 1 }), all: counts({ sends: 400, complaints: 1 }), existing: none }, config);
    expect(decisions.map((d) => d.scope)).toEqual([ALL_MARKETING]);
    expect(decisions[0]!.verdict.reason).toBe('all campaigns: complaint rate 0.25% (1 of 400 sends on 2026-10-05) ≥ 0.08%');
  });

  it('leaves alone a scope that is paused already', () => {
    const existing = new Map([[campaignScope('win-back'), paused(campaignScope('win-back'))]]);
    const decisions = decidePauses({ day, campaignId: 'win-back', campaign: counts({ sends: 200, complaints: 1 }), all: counts({ sends: 400, complaints: 1 }), existing }, config);
    expect(decisions.map((d) => d.scope)).toEqual([ALL_MARKETING]);
  });
});

describe('resume and re-arming', () => {
  const scope = campaignScope('win-back');

  it('keeps the pause and its reason, adds who, when and why, and re-arms after the day it was resumed on', () => {
    const record = paused(scope);
    const resumed = resumedRecord(record, scope, { by: 'ops@host', reason: 'bad import removed', now: '2026-10-06T08:00:00.000Z' });
    expect(resumed).toMatchObject({ status: 'resumed', reason: record.reason, day, resumedBy: 'ops@host', resumedReason: 'bad import removed', rearmsAfter: '2026-10-06', version: 2 });
    expect(mayPause(resumed, '2026-10-05')).toBe(false);
    expect(mayPause(resumed, '2026-10-06')).toBe(false);
    expect(mayPause(resumed, '2026-10-07')).toBe(true);
  });

  it('never re-arms before the paused day, whatever the resuming clock says', () => {
    const resumed = resumedRecord(paused(scope), scope, { by: 'ops', reason: 'ok', now: '2026-01-01T00:00:00.000Z' });
    expect(resumed.rearmsAfter).toBe(day);
    expect(mayPause(resumed, day)).toBe(false);
  });

  it('a new pause moves the resumed one into the history', () => {
    const resumed = resumedRecord(paused(scope), scope, { by: 'ops', reason: 'ok', now: `${day}T13:00:00.000Z` });
    const verdict = judgeDay(scope, '2026-10-06', counts({ sends: 300, complaints: 1 }), config);
    if (!verdict.pause) throw new Error('expected a pause');
    const again = pausedRecord(resumed, scope, '2026-10-06', verdict, '2026-10-06T15:00:00.000Z');
    expect(again).toMatchObject({ status: 'active', day: '2026-10-06', version: 3 });
    expect(again.resumedAt).toBeUndefined();
    expect(again.history).toEqual([expect.objectContaining({ day, resumedBy: 'ops', resumedReason: 'ok', reason: resumed.reason })]);
  });

  it('refuses to resume what is not paused', () => {
    expect(() => resumedRecord(undefined, scope, { by: 'ops', reason: 'x', now: `${day}T13:00:00.000Z` })).toThrow(NotPausedError);
    const resumed = resumedRecord(paused(scope), scope, { by: 'ops', reason: 'x', now: `${day}T13:00:00.000Z` });
    expect(() => resumedRecord(resumed, scope, { by: 'ops', reason: 'x', now: `${day}T14:00:00.000Z` })).toThrow(/is not paused/);
  });
});

describe('blockingPause', () => {
  it('holds a campaign by its own pause, and marketing campaigns only by the all-marketing pause', () => {
    const own = new Map([[campaignScope('win-back'), paused(campaignScope('win-back'))]]);
    expect(blockingPause({ id: 'win-back', kind: 'marketing' }, own)?.scope).toBe('campaign#win-back');
    expect(blockingPause({ id: 'welcome', kind: 'marketing' }, own)).toBeUndefined();
    const all = new Map([[ALL_MARKETING as PauseScope, paused(ALL_MARKETING)]]);
    expect(blockingPause({ id: 'welcome', kind: 'marketing' }, all)?.scope).toBe(ALL_MARKETING);
    expect(blockingPause({ id: 'order-care', kind: 'transactional' }, all)).toBeUndefined();
  });
});
