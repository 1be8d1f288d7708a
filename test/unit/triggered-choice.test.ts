import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaigns, loadMailerConfig } from '#authoring/campaign-files.ts';
import { templateNames } from '#authoring/template-files.ts';
import { triggeredChoice, triggeredSend } from '#domain/triggered-send.ts';
import { consentingCustomer } from '../support/profiles.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const campaigns = loadCampaigns(join(repoRoot, 'campaigns'), templateNames(join(repoRoot, 'templates')))
  // The shipped welcome goes as the welcome series' first step; enabled here as the registration-triggered campaign these mechanics are about.
  .map((c) => (c.id === 'welcome' ? { ...c, enabled: true } : c));
const config = loadMailerConfig(join(repoRoot, 'mailer.config.yaml'));
const NOW = '2026-10-02T10:00:00.000Z';
const registered = { type: 'Customer Registered' as const, time: NOW };

/** The run summary counts event-triggered campaigns from these reasons: each triggered campaign is queued or says why not. */
describe('triggeredChoice: what a shop event triggered, and why the rest was not', () => {
  it('queues the welcome for a new prospect and says why the confirmation was not triggered', () => {
    const choice = triggeredChoice(campaigns, registered, consentingCustomer('c1', NOW), NOW, config);
    expect(choice.request?.campaignId).toBe('welcome');
    expect(choice.skipped).toEqual([{ campaignId: 'confirm-subscription', reason: 'condition' }]);
  });

  it('names the reason for every triggered campaign when none is queued', () => {
    const noConsent = consentingCustomer('c2', NOW, { consent: { marketing: false, topics: [], unsubscribedTopics: [], updatedAt: NOW } });
    const choice = triggeredChoice(campaigns, registered, noConsent, NOW, config);
    expect(choice.request).toBeUndefined();
    expect(choice.skipped.sort((a, b) => a.campaignId.localeCompare(b.campaignId))).toEqual([
      { campaignId: 'confirm-subscription', reason: 'condition' },
      { campaignId: 'welcome', reason: 'no-consent' },
    ]);
  });

  it('considers nothing for an event too old to trigger, and agrees with triggeredSend', () => {
    const old = { ...registered, time: '2026-09-01T10:00:00.000Z' };
    expect(triggeredChoice(campaigns, old, consentingCustomer('c3', NOW), NOW, config)).toEqual({ skipped: [] });
    expect(triggeredSend(campaigns, registered, consentingCustomer('c1', NOW), NOW, config)).toEqual(triggeredChoice(campaigns, registered, consentingCustomer('c1', NOW), NOW, config).request);
  });
});
