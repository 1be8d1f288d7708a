import { describe, expect, it } from 'vitest';
import { decayedScore, ENGAGEMENT_HALF_LIFE_DAYS, isMachineOpen, recordInteraction } from '#domain/engagement.ts';
import { loyaltyScore } from '#domain/loyalty-score.ts';

const t0 = '2026-10-01T00:00:00.000Z';
const human = { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15', ipAddress: '198.51.100.4' };

describe('engagement', () => {
  it('counts a click more than an open, and an Apple privacy-proxy open very little', () => {
    const click = recordInteraction(undefined, { kind: 'click', at: t0 });
    const open = recordInteraction(undefined, { kind: 'open', at: t0, ...human });
    const proxy = recordInteraction(undefined, { kind: 'open', at: t0, userAgent: 'Mozilla/5.0', ipAddress: '17.58.1.1' });
    expect(click.score).toBeGreaterThan(open.score);
    expect(open.score).toBeGreaterThan(proxy.score * 5);
    expect(proxy.machineOpens).toBe(1);
    expect(proxy.opens).toBe(0);
  });

  it('recognises machine opens', () => {
    expect(isMachineOpen('Mozilla/5.0', '17.1.2.3')).toBe(true);
    expect(isMachineOpen(human.userAgent, human.ipAddress)).toBe(false);
  });

  it('halves engagement every half-life', () => {
    const later = new Date(Date.parse(t0) + ENGAGEMENT_HALF_LIFE_DAYS * 86_400_000).toISOString();
    expect(decayedScore(8, t0, later)).toBeCloseTo(4, 6);
  });
});

describe('loyaltyScore', () => {
  it('grows with value and with engagement, within 0–100', () => {
    const engaged = recordInteraction(recordInteraction(undefined, { kind: 'click', at: t0 }), { kind: 'click', at: t0 });
    const low = loyaltyScore({ r: 1, f: 1, m: 1, segment: 'Lost' }, undefined, t0);
    const high = loyaltyScore({ r: 5, f: 5, m: 5, segment: 'Champions' }, undefined, t0);
    const highEngaged = loyaltyScore({ r: 5, f: 5, m: 5, segment: 'Champions' }, engaged, t0);
    expect(low).toBe(0);
    expect(high).toBeGreaterThan(low);
    expect(highEngaged).toBeGreaterThan(high);
    expect(highEngaged).toBeLessThanOrEqual(100);
  });
});
