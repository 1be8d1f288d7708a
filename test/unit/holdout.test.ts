import { describe, expect, it } from 'vitest';
import { DEFAULT_HOLDOUT_SALT, holdoutFor, holdoutFraction, isHeldOut, isInControlGroup } from '#domain/holdout.ts';
import { MailerConfig } from '#domain/mailer-config.ts';

const N = 10_000;
const ids = Array.from({ length: N }, (_, i) => `cust-${i}`);
/** Four binomial standard deviations of a share of N draws at p: a bound a fair draw breaks about once in 16,000 runs. */
const tolerance = (p: number) => 4 * Math.sqrt((p * (1 - p)) / N);
const share = (f: (id: string) => boolean) => ids.filter(f).length / N;

describe('holdout assignment (keyed hash)', () => {
  it('is stable: the same customer, journey and salt always draw the same', () => {
    for (const id of ids.slice(0, 200)) {
      expect(isHeldOut(DEFAULT_HOLDOUT_SALT, { journeyId: 'welcome-series' }, id, 20)).toBe(isHeldOut(DEFAULT_HOLDOUT_SALT, { journeyId: 'welcome-series' }, id, 20));
    }
    expect(holdoutFraction('s', 'journey:a:c1')).toBe(holdoutFraction('s', 'journey:a:c1'));
  });

  it.each([5, 10, 25, 50])('holds out about %i%% of 10,000 customers (within 4 binomial SDs)', (percent) => {
    const p = percent / 100;
    expect(Math.abs(share((id) => isHeldOut(DEFAULT_HOLDOUT_SALT, { journeyId: 'vip' }, id, percent)) - p)).toBeLessThan(tolerance(p));
    expect(Math.abs(share((id) => isInControlGroup(DEFAULT_HOLDOUT_SALT, id, percent)) - p)).toBeLessThan(tolerance(p));
  });

  it('holds out nobody at 0%', () => {
    expect(share((id) => isHeldOut(DEFAULT_HOLDOUT_SALT, { campaignId: 'win-back' }, id, 0))).toBe(0);
  });

  it('draws each journey independently: the overlap of two 20% holdouts is about 4%', () => {
    const both = share((id) => isHeldOut(DEFAULT_HOLDOUT_SALT, { journeyId: 'welcome-series' }, id, 20) && isHeldOut(DEFAULT_HOLDOUT_SALT, { journeyId: 'win-back' }, id, 20));
    expect(Math.abs(both - 0.04)).toBeLessThan(tolerance(0.04));
    // A journey and a campaign of the same id are different draws too.
    const same = share((id) => isHeldOut(DEFAULT_HOLDOUT_SALT, { journeyId: 'vip' }, id, 20) === isHeldOut(DEFAULT_HOLDOUT_SALT, { campaignId: 'vip' }, id, 20));
    expect(same).toBeLessThan(0.7); // independent: 0.8² + 0.2² = 0.68
  });

  it('re-draws everyone under another salt', () => {
    const a = ids.map((id) => isHeldOut('salt-a', { journeyId: 'vip' }, id, 50));
    const b = ids.map((id) => isHeldOut('salt-b', { journeyId: 'vip' }, id, 50));
    const agree = a.filter((x, i) => x === b[i]).length / N;
    expect(Math.abs(agree - 0.5)).toBeLessThan(tolerance(0.5));
  });

  it('exempts transactional mail from the control group, not marketing', () => {
    const settings = { salt: DEFAULT_HOLDOUT_SALT, controlGroup: 50 };
    const inControl = ids.filter((id) => isInControlGroup(DEFAULT_HOLDOUT_SALT, id, 50)).slice(0, 50);
    expect(inControl).toHaveLength(50);
    for (const customerId of inControl) {
      expect(holdoutFor({ customerId, campaign: { id: 'confirm-subscription', kind: 'transactional', holdout: 0 } }, settings)).toBeUndefined();
      expect(holdoutFor({ customerId, campaign: { id: 'win-back', kind: 'marketing', holdout: 0 } }, settings)).toBe('control-group');
    }
  });

  it('draws a journey send for the journey, a campaign send for the campaign', () => {
    const settings = { salt: DEFAULT_HOLDOUT_SALT, controlGroup: 0 };
    const campaign = { id: 'welcome', kind: 'marketing' as const, holdout: 0 };
    const heldInJourney = ids.find((id) => isHeldOut(DEFAULT_HOLDOUT_SALT, { journeyId: 'welcome-series' }, id, 30))!;
    expect(holdoutFor({ customerId: heldInJourney, journeyId: 'welcome-series', journeyHoldout: 30, campaign }, settings)).toBe('journey-holdout');
    // The step campaign's own holdout does not apply inside a journey.
    expect(holdoutFor({ customerId: heldInJourney, campaign }, settings)).toBeUndefined();
    const heldInCampaign = ids.find((id) => isHeldOut(DEFAULT_HOLDOUT_SALT, { campaignId: 'welcome' }, id, 30))!;
    expect(holdoutFor({ customerId: heldInCampaign, campaign: { ...campaign, holdout: 30 } }, settings)).toBe('campaign-holdout');
  });

  it('config: controlGroup 0–50, a default salt and attribution windows; out of range names the field', () => {
    const base = {
      shop: { name: 'S', url: 'https://s.example.com', postalAddress: '1 Street, Town', supportEmail: 'a@s.example.com' },
      sending: { unsubscribeBaseUrl: 'https://s.example.com/u' },
    };
    const parsed = MailerConfig.parse(base);
    expect(parsed.controlGroup).toBe(0);
    expect(parsed.holdoutSalt).toBe(DEFAULT_HOLDOUT_SALT);
    expect(parsed.attribution).toEqual({ clickDays: 5, humanOpenDays: 1 });
    const bad = MailerConfig.safeParse({ ...base, controlGroup: 60 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['controlGroup']);
  });
});
