import { describe, expect, it } from 'vitest';
import { Campaign } from '#domain/campaign.ts';
import { checkEligibility, explainEligibility, explainSendTime } from '#domain/campaign-choice.ts';
import type { OutgoingEmail } from '#domain/compose-email.ts';
import { customerFacts } from '#domain/customer-facts.ts';
import { MailerConfig } from '#domain/mailer-config.ts';
import { isHeldOut } from '#domain/holdout.ts';
import { DataLocationError, parseTableOption } from '#cli/ui-command.ts';
import { searchCustomers } from '#cli/ui/pages/customers.ts';
import { asTestEmail, testSendAllowed } from '#cli/ui/test-send.ts';
import { consentingCustomer } from '../support/profiles.ts';
import { TABLES } from '#lib/tables.ts';

const now = '2026-10-10T09:00:00.000Z';
const campaign = Campaign.parse({
  id: 'win-back',
  name: 'Win back',
  trigger: { type: 'schedule', cron: '0 9 * * *' },
  audience: { stages: ['declining'], topic: 'offers', conditions: [{ field: 'orderCount', op: 'gte', value: 2 }] },
  priority: 50,
  cooldown: { days: 30 },
  template: 'win-back',
  subject: 'Hi',
  from: { address: 'a@shop.example.com', name: 'Shop' },
});
const config = MailerConfig.parse({
  shop: { name: 'S', url: 'https://shop.example.com/', postalAddress: '1 Example Street', supportEmail: 's@shop.example.com', currency: 'USD' },
  sending: { configurationSet: 'cs', unsubscribeBaseUrl: 'https://u.example.com/u' },
  quietHours: { start: '21:00', end: '08:00' },
});

describe('explainEligibility', () => {
  it('judges every rule on its own, and checkEligibility is its first failure', () => {
    const p = consentingCustomer('c1', now, { stage: 'growing', orderCount: 1, campaignsSent: { 'win-back': '2026-10-01T09:00:00.000Z' } });
    const verdicts = explainEligibility(campaign, p, customerFacts(p, now), now, config.frequency);
    expect(verdicts.filter((v) => !v.passed).map((v) => v.rule)).toEqual(['stage', 'condition orderCount gte 2', 'cooldown']);
    expect(verdicts.find((v) => v.rule === 'cooldown')?.explanation).toBe('last sent 2026-10-01T09:00:00.000Z, 9 of 30 cooldown days ago');
    expect(checkEligibility(campaign, p, customerFacts(p, now), now, config.frequency)).toEqual({ eligible: false, reason: 'stage', detail: 'growing' });
  });

  it('passes every rule for a customer who would get it', () => {
    const p = consentingCustomer('c2', now, { stage: 'declining', orderCount: 3 });
    expect(explainEligibility(campaign, p, customerFacts(p, now), now, config.frequency).every((v) => v.passed)).toBe(true);
    expect(checkEligibility(campaign, p, customerFacts(p, now), now, config.frequency)).toEqual({ eligible: true });
  });

  it('says when the send would wait for the end of the quiet hours, in the customer\'s zone', () => {
    const verdicts = explainSendTime(campaign, { timeZone: 'Asia/Tokyo', customerId: 'c1' }, '2026-10-10T13:00:00.000Z', config, new Map()); // 22:00 in Tokyo
    expect(verdicts.find((v) => v.rule === 'quiet hours')).toMatchObject({ passed: false, explanation: expect.stringMatching(/waits until 2026-10-10T23:00:00\.000Z$/) });
  });

  it('names the holdout as the send path draws it: held out customers are recorded, not mailed', () => {
    const measured = { ...campaign, holdout: 30 };
    const ids = Array.from({ length: 200 }, (_, i) => `c${i}`);
    const drawn = ids.filter((id) => isHeldOut(config.holdoutSalt, { campaignId: measured.id }, id, 30));
    expect(drawn.length).toBeGreaterThan(30);
    expect(drawn.length).toBeLessThan(90);
    const verdict = (customerId: string) => explainSendTime(measured, { timeZone: 'UTC', customerId }, '2026-10-10T03:00:00.000Z', config, new Map()).find((v) => v.rule === 'holdout');
    for (const id of ids) {
      expect(verdict(id), id).toMatchObject(drawn.includes(id) ? { passed: false, explanation: expect.stringMatching(/30% holdout: recorded as held out/) } : { passed: true });
    }
    expect(explainSendTime(campaign, { timeZone: 'UTC', customerId: 'c1' }, '2026-10-10T03:00:00.000Z', config, new Map()).find((v) => v.rule === 'holdout')).toMatchObject({ passed: true, explanation: 'no holdout set' });
  });
});

describe('test sends', () => {
  const email: OutgoingEmail = {
    from: '"Shop" <a@shop.example.com>', to: 'customer@example.com', subject: 'Hello', html: '<p>h</p>', text: 'h',
    headers: [{ name: 'X-Send-Id', value: 's1' }, { name: 'X-Campaign-Id', value: 'welcome' }], tags: [{ name: 'campaign', value: 'welcome' }], configurationSet: 'cs',
  };
  it('are marked in the subject and a header, go to the typed address, and carry no tags, send id or configuration set (nothing can count them)', () => {
    const test = asTestEmail(email, 'me@example.com');
    expect(test).toMatchObject({ to: 'me@example.com', subject: '[TEST] Hello', tags: [], configurationSet: '' });
    expect(test.headers).toEqual([{ name: 'X-Campaign-Id', value: 'welcome' }, { name: 'X-Lifecycle-Test', value: 'true' }]);
  });

  it('allow five a minute, and say when the next may go', () => {
    const t = 1_000_000;
    expect(testSendAllowed([t, t + 1000, t + 2000, t + 3000], t + 4000)).toEqual({ allowed: true });
    expect(testSendAllowed([t, t + 1000, t + 2000, t + 3000, t + 4000], t + 5000)).toEqual({ allowed: false, retryAfterSeconds: 55 });
    expect(testSendAllowed([t, t + 1000, t + 2000, t + 3000, t + 4000], t + 60_000)).toEqual({ allowed: true });
  });
});

describe('the ui command and lookup', () => {
  it('reads --table name=physical, naming the known tables when one is unknown', () => {
    expect(parseTableOption('send-ledger=Prod-Ledger', parseTableOption('customers=Prod-Customers'))).toEqual({ customers: 'Prod-Customers', 'send-ledger': 'Prod-Ledger' });
    expect(() => parseTableOption('custmers=X')).toThrow(new DataLocationError(`--table custmers=X: no table 'custmers'; the tables are ${TABLES.map((t) => t.name).join(', ')}`));
    expect(() => parseTableOption('customers')).toThrow(DataLocationError);
  });

  it('finds customers by part of the id or email, the exact id first', () => {
    const a = consentingCustomer('c1', now, { email: 'ana@example.com' });
    const b = consentingCustomer('c10', now, { email: 'bob@example.com' });
    expect(searchCustomers([b, a], 'C1').map((p) => p.customerId)).toEqual(['c1', 'c10']);
    expect(searchCustomers([a, b], 'BOB@').map((p) => p.customerId)).toEqual(['c10']);
    expect(searchCustomers([a, b], '  ')).toEqual([]);
  });
});
