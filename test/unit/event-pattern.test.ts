import { describe, expect, it } from 'vitest';
import { EVENT_ROUTES } from '#lib/routes.ts';
import { matchesPattern } from '#lib/local/event-pattern.ts';

describe('matchesPattern (the local bus routes by the same patterns as the stack)', () => {
  const shop = EVENT_ROUTES.find((r) => r.target === 'ingest')!.pattern;
  const ses = EVENT_ROUTES.find((r) => r.target === 'engagement')!.pattern;

  it('routes shop events to ingest and SES events to engagement only', () => {
    const order = { source: 'lifecycle-mailer.shop', 'detail-type': 'Order Placed', detail: {} };
    const open = { source: 'aws.ses', 'detail-type': 'Email Opened', detail: {} };
    expect(matchesPattern(order, shop)).toBe(true);
    expect(matchesPattern(order, ses)).toBe(false);
    expect(matchesPattern(open, ses)).toBe(true);
    expect(matchesPattern({ ...order, 'detail-type': 'Order Teleported' }, shop)).toBe(false);
  });

  it('supports nested fields, prefix, anything-but and exists', () => {
    const event = { detail: { kind: 'vip-gold', tier: 2 } };
    expect(matchesPattern(event, { detail: { kind: [{ prefix: 'vip-' }] } })).toBe(true);
    expect(matchesPattern(event, { detail: { kind: [{ 'anything-but': ['vip-gold'] }] } })).toBe(false);
    expect(matchesPattern(event, { detail: { missing: [{ exists: false }] } })).toBe(true);
    expect(matchesPattern(event, { detail: { tier: [1, 2] } })).toBe(true);
  });
});
