import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCampaigns, loadMailerConfig } from '#authoring/campaign-files.ts';
import type { CustomerStore } from '#adapters/customer-store.ts';
import { templateNames } from '#authoring/template-files.ts';
import { applyShopEvent } from '#domain/apply-shop-event.ts';
import type { Campaign } from '#domain/campaign.ts';
import { chooseCampaign } from '#domain/campaign-choice.ts';
import { composeEmail } from '#domain/compose-email.ts';
import { signConfirmToken, verifyConfirmToken } from '#signed-links/confirm-token.ts';
import { customerFacts } from '#domain/customer-facts.ts';
import { type Consent, type CustomerProfile, newProfile } from '#domain/customer-profile.ts';
import { confirmConsent, confirmSubscription, consentOnRegistration } from '#domain/double-opt-in.ts';
import { MailerConfig } from '#domain/mailer-config.ts';
import { PREFERENCE_LANGUAGES, PREFERENCE_TEXTS } from '#domain/preference-texts.ts';
import { buildSendRequest, type SendRequest } from '#domain/send-request.ts';
import { ShopEvent } from '#domain/shop-events.ts';
import { TemplateRenderer } from '#domain/template-renderer.ts';
import { signUnsubscribeToken, verifyUnsubscribeToken } from '#signed-links/unsubscribe-token.ts';
import { savePreferences, unsubscribeAll, unsubscribeTopic } from '../../functions/unsubscribe/consent-changes.ts';
import { renderPage } from '../../functions/unsubscribe/preference-page.ts';
import { handleUnsubscribeRequest, type UnsubscribeDeps } from '../../functions/unsubscribe/unsubscribe.ts';
import { linkSigner } from '#signed-links/link-signer.ts';
import { MemoryCustomers } from '../support/memory-customers.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const SIGNED_UP = '2026-10-01T08:00:00.000Z';
const NOW = '2026-10-02T09:30:00.000Z';
const NOW_S = Date.parse(NOW) / 1000;
const SECRET = 'unit-test-secret-unit-test-secret-0123';
const DOI = { doubleOptIn: true };
const SINGLE = { doubleOptIn: false };

const registration = (detail: Record<string, unknown> = {}, id = 'reg-1') =>
  ShopEvent.parse({
    id,
    source: 'lifecycle-mailer.shop',
    time: SIGNED_UP,
    'detail-type': 'Customer Registered',
    detail: { customerId: 'c1', email: 'ann@example.com', firstName: 'Ann', marketingConsent: true, topics: ['newsletter', 'offers'], registeredAt: SIGNED_UP, ...detail },
  });
const registered = (event: ShopEvent): Parameters<typeof consentOnRegistration>[1] => {
  if (event['detail-type'] !== 'Customer Registered') throw new Error('not a registration');
  return event.detail;
};
const signUp = (detail: Record<string, unknown> = {}, policy = DOI) => applyShopEvent(undefined, registration(detail), SIGNED_UP, policy).profile;
const consent = (over: Partial<Consent> = {}): Consent => ({ marketing: true, topics: [], unsubscribedTopics: [], updatedAt: SIGNED_UP, ...over });

let campaigns: Campaign[];
let config: MailerConfig;
beforeAll(() => {
  campaigns = loadCampaigns(join(repoRoot, 'campaigns'), templateNames(join(repoRoot, 'templates')))
    // The shipped welcome goes as the welcome series' first step; enabled here as the registration-triggered campaign these mechanics are about.
    .map((c) => (c.id === 'welcome' ? { ...c, enabled: true } : c));
  config = loadMailerConfig(join(repoRoot, 'mailer.config.yaml'));
});
const onRegistration = () => campaigns.filter((c) => c.trigger.type === 'event' && c.trigger.event === 'Customer Registered');
const choose = (p: CustomerProfile, at = SIGNED_UP) => chooseCampaign(onRegistration(), p, customerFacts(p, at), at, config.frequency);

describe('registration with and without double opt-in', () => {
  it('without double opt-in a sign-up consents at once and gets the welcome email', () => {
    const p = signUp({}, SINGLE);
    expect(p.consent).toEqual({ marketing: true, topics: ['newsletter', 'offers'], unsubscribedTopics: [], updatedAt: SIGNED_UP });
    expect(customerFacts(p, SIGNED_UP).consentPending).toBe(false);
    expect(choose(p).chosen?.id).toBe('welcome');
    expect(choose(p).skipped).toContainEqual({ campaignId: 'confirm-subscription', reason: 'condition', detail: 'consentPending eq' });
  });

  it('with double opt-in a sign-up only asks: no marketing consent, a pending request, and the confirmation email', () => {
    const p = signUp();
    expect(p.consent).toEqual({ marketing: false, topics: ['newsletter', 'offers'], unsubscribedTopics: [], updatedAt: SIGNED_UP, pending: { requestedAt: SIGNED_UP, topics: ['newsletter', 'offers'] } });
    expect(customerFacts(p, SIGNED_UP).consentPending).toBe(true);
    const choice = choose(p);
    expect(choice.chosen?.id).toBe('confirm-subscription');
    expect(choice.skipped).toContainEqual({ campaignId: 'welcome', reason: 'no-consent' });
  });

  it('a sign-up without consent asks for nothing, and a history import keeps the consent it was given', () => {
    expect(signUp({ marketingConsent: false }).consent).toEqual(consent({ marketing: false, topics: ['newsletter', 'offers'] }));
    const imported = signUp({ channel: 'import' });
    expect(imported.consent).toEqual(consent({ topics: ['newsletter', 'offers'] }));
    expect(choose(imported).chosen?.id).toBe('welcome');
  });

  it('is idempotent: the same registration again is a duplicate, and a later one keeps the original request', () => {
    const p = signUp();
    const again = applyShopEvent(p, registration({}, 'reg-2'), NOW, DOI);
    expect(again.outcome).toBe('duplicate');
    expect(again.profile).toBe(p);
    // A registration the profile no longer remembers (its key rolled off) changes nothing either.
    const later = registered(registration({ registeredAt: NOW, topics: ['offers'] }));
    expect(consentOnRegistration(p.consent, later, DOI)).toBe(p.consent);
  });

  it('never resets a confirmed or existing subscriber to pending', () => {
    const confirmed = confirmSubscription(signUp(), NOW).profile!;
    const later = registered(registration({ registeredAt: '2026-11-01T00:00:00.000Z' }));
    expect(consentOnRegistration(confirmed.consent, later, DOI)).toBe(confirmed.consent);
    const existing = consent({ topics: ['newsletter'], unsubscribedTopics: ['offers'] }); // from before double opt-in was turned on
    expect(consentOnRegistration(existing, later, DOI)).toBe(existing);
  });

  it('asks a customer who unsubscribed from all to confirm again, keeping their opt-outs and the earlier proof', () => {
    const confirmed = confirmSubscription(signUp(), NOW).profile!;
    const gone = unsubscribeTopic(unsubscribeAll(confirmed, NOW)!, 'offers', NOW)!;
    const back = consentOnRegistration(gone.consent, registered(registration({ registeredAt: '2026-12-01T00:00:00.000Z', topics: ['newsletter'] })), DOI);
    expect(back).toMatchObject({ marketing: false, unsubscribedTopics: ['offers'], pending: { requestedAt: '2026-12-01T00:00:00.000Z', topics: ['newsletter'] } });
    expect(back.confirmed).toEqual(confirmed.consent.confirmed);
  });
});

describe('confirming', () => {
  it('turns the pending request into consent with proof, and a second confirmation changes nothing', () => {
    const p = signUp();
    const first = confirmSubscription(p, NOW);
    expect(first.outcome).toBe('confirmed');
    expect(first.profile!.consent).toEqual({
      marketing: true,
      topics: ['newsletter', 'offers'],
      unsubscribedTopics: [],
      updatedAt: NOW,
      confirmed: { method: 'double-opt-in', requestedAt: SIGNED_UP, confirmedAt: NOW },
    });
    expect(first.profile!.version).toBe(p.version + 1);
    expect(customerFacts(first.profile!, NOW).consentPending).toBe(false);
    expect(confirmSubscription(first.profile!, '2026-10-03T00:00:00.000Z')).toEqual({ outcome: 'already-subscribed' });
  });

  it('makes marketing campaigns eligible only after confirmation', () => {
    const confirmed = confirmSubscription(signUp(), NOW).profile!;
    const choice = choose(confirmed, NOW);
    expect(choice.chosen?.id).toBe('welcome');
    expect(choice.skipped).toContainEqual({ campaignId: 'confirm-subscription', reason: 'condition', detail: 'consentPending eq' });
  });

  it('has nothing to confirm for a customer who never asked or declined', () => {
    expect(confirmConsent(consent({ marketing: false }), NOW)).toEqual({ outcome: 'not-pending' });
    expect(confirmSubscription(unsubscribeAll(signUp(), NOW)!, NOW)).toEqual({ outcome: 'not-pending' });
  });

  it('lifts earlier opt-outs from the topics the confirmed request names', () => {
    const result = confirmConsent(consent({ marketing: false, unsubscribedTopics: ['offers', 'tips'], pending: { requestedAt: SIGNED_UP, topics: ['offers'] } }), NOW);
    expect(result.outcome === 'confirmed' && result.consent).toMatchObject({ marketing: true, topics: ['offers'], unsubscribedTopics: ['tips'] });
  });

  it('an unsubscribe declines a pending request; ticking a topic on the preference page confirms it', () => {
    const p = signUp();
    const topic = unsubscribeTopic(p, 'newsletter', NOW)!.consent;
    expect(topic).toMatchObject({ marketing: false, unsubscribedTopics: ['newsletter'] });
    expect(topic).not.toHaveProperty('pending');
    expect(unsubscribeAll(p, NOW)!.consent).not.toHaveProperty('pending');
    const none = savePreferences(p, ['newsletter', 'offers'], [], NOW)!.consent;
    expect(none).toMatchObject({ marketing: false, unsubscribedTopics: ['newsletter', 'offers'] });
    expect(none).not.toHaveProperty('pending');
    const saved = savePreferences(p, ['newsletter', 'offers'], ['offers'], NOW)!.consent;
    expect(saved).toMatchObject({ marketing: true, unsubscribedTopics: ['newsletter'], confirmed: { method: 'double-opt-in', requestedAt: SIGNED_UP, confirmedAt: NOW } });
    expect(saved).not.toHaveProperty('pending');
  });
});

describe('confirmation token', () => {
  const claim = { customerId: 'c1', expiresAt: NOW_S + 3600 };

  it('round-trips, carries no address, and expires', () => {
    const token = signConfirmToken(claim, SECRET);
    expect(verifyConfirmToken(token, SECRET, NOW_S)).toEqual({ ...claim, purpose: 'confirm' });
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual(['c1', 'confirm', claim.expiresAt]);
    expect(() => verifyConfirmToken(token, SECRET, claim.expiresAt + 1)).toThrow(/confirm token expired/);
  });

  it('is refused when tampered with or signed with another secret', () => {
    const [, signature] = signConfirmToken(claim, SECRET).split('.');
    const otherCustomer = `${Buffer.from(JSON.stringify(['c2', 'confirm', claim.expiresAt])).toString('base64url')}.${signature}`;
    expect(() => verifyConfirmToken(otherCustomer, SECRET, NOW_S)).toThrow(/bad-signature/);
    expect(() => verifyConfirmToken(signConfirmToken(claim, 'another-secret-another-secret-another'), SECRET, NOW_S)).toThrow(/bad-signature/);
    expect(() => verifyConfirmToken('garbage', SECRET, NOW_S)).toThrow(/malformed/);
  });

  it('and unsubscribe tokens are not interchangeable (each kind signs with its own key)', () => {
    const unsubscribe = signUnsubscribeToken({ customerId: 'c1', topic: 'confirm', expiresAt: claim.expiresAt }, SECRET);
    expect(() => verifyConfirmToken(unsubscribe, SECRET, NOW_S)).toThrow(/bad-signature/);
    expect(() => verifyUnsubscribeToken(signConfirmToken(claim, SECRET), SECRET, NOW_S)).toThrow(/bad-signature/);
  });
});

describe('MailerConfig consent', () => {
  it('defaults to single opt-in with 7-day links, and refuses unknown fields', () => {
    const base = { shop: config.shop, sending: config.sending };
    expect(MailerConfig.parse(base).consent).toEqual({ doubleOptIn: false, confirmLinkDays: 7 });
    expect(MailerConfig.parse({ ...base, consent: { doubleOptIn: true } }).consent).toEqual({ doubleOptIn: true, confirmLinkDays: 7 });
    expect(MailerConfig.safeParse({ ...base, consent: { doubleOptin: true } }).success).toBe(false);
  });
});

describe('the confirmation email', () => {
  let renderer: TemplateRenderer;
  beforeAll(async () => {
    const { compileTemplateFolder } = await import('#authoring/template-files.ts');
    renderer = new TemplateRenderer(await compileTemplateFolder(join(repoRoot, 'templates')));
  });
  const compose = (campaignId: string, profile: CustomerProfile) => {
    const campaign = campaigns.find((c) => c.id === campaignId)!;
    const doiConfig = { ...config, consent: { doubleOptIn: true, confirmLinkDays: 5 } };
    return composeEmail({ request: buildSendRequest(campaign, profile.customerId, NOW, 'event'), campaign, profile, config: doiConfig, renderer, links: linkSigner(SECRET), now: NOW });
  };

  it('carries a confirm link with a confirmation token valid for confirmLinkDays, only while confirmation is pending', () => {
    const email = compose('confirm-subscription', signUp());
    const link = /Confirm my subscription \[([^\]]+)\]/.exec(email.text)![1]!;
    expect(link.startsWith(`${config.sending.unsubscribeBaseUrl}?confirm=`)).toBe(true);
    const token = new URL(link).searchParams.get('confirm')!;
    expect(verifyConfirmToken(token, SECRET, NOW_S)).toEqual({ customerId: 'c1', purpose: 'confirm', expiresAt: NOW_S + 5 * 86_400 });
    expect(email.html).toContain('Confirm my subscription');
    expect(email.subject).toBe('Please confirm your subscription to Demo Tea & Coffee Co.');

    const confirmed = compose('confirm-subscription', confirmSubscription(signUp(), NOW).profile!);
    expect(confirmed.text).not.toContain('confirm=');
    expect(confirmed.text).toContain('Your subscription is confirmed');
    expect(compose('welcome', confirmSubscription(signUp(), NOW).profile!).text).not.toContain('confirm=');
  });
});

describe('confirmation at the unsubscribe endpoint', () => {
  function setup(profile: CustomerProfile | null = { ...signUp(), locale: 'de-DE' }) {
    const customers = new MemoryCustomers();
    if (profile) customers.items.set(profile.customerId, profile);
    const logs: unknown[] = [];
    const log = (...args: unknown[]) => void logs.push(args);
    const queued: SendRequest[] = [];
    const setAside: unknown[][] = [];
    const sendQueue = { enqueue: async (requests: readonly SendRequest[]) => void queued.push(...requests) };
    const failedEvents = { record: async (...args: unknown[]) => void setAside.push(args) };
    const deps: UnsubscribeDeps = {
      customers,
      ledger: { markUnsubscribed: async () => true },
      clock: { now: () => NOW },
      logger: { info: log, warn: log, error: log } as UnsubscribeDeps['logger'],
      secret: SECRET,
      topics: ['newsletter', 'offers'],
      onConfirmed: { campaigns, config, sendQueue, failedEvents },
    };
    const token = (over: Partial<{ customerId: string; expiresAt: number }> = {}) => signConfirmToken({ customerId: 'c1', expiresAt: NOW_S + 86_400, ...over }, SECRET);
    return { customers, deps, logs, token, queued, setAside, sendQueue };
  }
  const post = (token: string, body = 'action=confirm') => ({ method: 'POST', query: { confirm: token }, body, contentType: 'application/x-www-form-urlencoded' });

  it('GET shows the confirm button in the customer language and changes nothing', async () => {
    const { customers, deps, token, logs } = setup();
    const t = token();
    const response = await handleUnsubscribeRequest({ method: 'GET', query: { confirm: t } }, deps);
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    expect(response.body).toContain('<html lang="de"');
    expect(response.body).toContain('<button type="submit" name="action" value="confirm" class="primary">Mein Abonnement bestätigen</button>');
    expect(response.body).toContain(`<input type="hidden" name="confirm" value="${t}">`);
    expect(response.body).not.toContain('@');
    expect(customers.writes).toBe(0);
    expect(JSON.stringify(logs)).not.toContain(t);
  });

  it('POST confirms, once; confirming again is fine and writes nothing', async () => {
    const { customers, deps, token, logs } = setup();
    const first = await handleUnsubscribeRequest(post(token()), deps);
    expect(first.status).toBe(200);
    expect(first.body).toContain('Ihr Abonnement ist bestätigt');
    expect(customers.items.get('c1')!.consent).toMatchObject({ marketing: true, confirmed: { method: 'double-opt-in', confirmedAt: NOW } });
    expect(customers.items.get('c1')!.consent).not.toHaveProperty('pending');
    const again = await handleUnsubscribeRequest(post(token()), deps);
    expect(again.status).toBe(200);
    expect(again.body).toContain('Sie sind bereits angemeldet');
    expect(customers.writes).toBe(1);
    expect(logs).toContainEqual(['confirmation handled', { customerId: 'c1', outcome: 'confirmed' }]);
    expect(logs).toContainEqual(['confirmation handled', { customerId: 'c1', outcome: 'already-subscribed' }]);
  });

  it('the confirming POST queues the welcome, timed from the confirmation; a repeat queues nothing', async () => {
    const { deps, token, queued, setAside } = setup();
    await handleUnsubscribeRequest(post(token()), deps);
    await handleUnsubscribeRequest(post(token()), deps);
    await handleUnsubscribeRequest({ method: 'GET', query: { confirm: token() } }, deps);
    expect(queued).toEqual([buildSendRequest(campaigns.find((c) => c.id === 'welcome')!, 'c1', NOW, 'event', undefined, 'UTC')]);
    expect(setAside).toEqual([]);
  });

  it('a confirmation in the customer\'s night queues the welcome for the end of their quiet hours', async () => {
    // 09:30Z is 02:30 in Chicago (CDT): quiet until 08:00 CDT, 13:00Z.
    const { deps, token, queued } = setup({ ...signUp(), timeZone: 'America/Chicago' });
    await handleUnsubscribeRequest(post(token()), deps);
    expect(queued.map((r) => [r.campaignId, r.notBefore, r.timeZone])).toEqual([['welcome', '2026-10-02T13:00:00.000Z', 'America/Chicago']]);
  });

  it('when the welcome cannot be queued, the confirmation stands and the send is set aside with its reason', async () => {
    const { customers, deps, token, setAside, sendQueue, logs } = setup();
    sendQueue.enqueue = async () => {
      throw Object.assign(new Error('queue unavailable'), { name: 'QueueDoesNotExist' });
    };
    const response = await handleUnsubscribeRequest(post(token()), deps);
    expect(response.status).toBe(200);
    expect(customers.items.get('c1')!.consent.marketing).toBe(true);
    expect(setAside).toHaveLength(1);
    const [stage, id, reason] = setAside[0]!;
    expect([stage, id]).toEqual(['confirm', `welcome_once_c1`]);
    expect(reason).toBe('could not queue welcome after confirmation: QueueDoesNotExist: queue unavailable');
    expect(logs).toContainEqual(['confirmed sign-up send not queued', { customerId: 'c1', campaignId: 'welcome', error: 'QueueDoesNotExist' }]);
  });

  it('refuses bad, expired, unknown-customer and wrong-kind tokens, and a POST without the button, changing nothing', async () => {
    const { customers, deps, token, queued } = setup();
    const [, signature] = token().split('.');
    const forged = `${Buffer.from(JSON.stringify(['c1', 'confirm', NOW_S + 999_999])).toString('base64url')}.${signature}`;
    const unsubscribe = signUnsubscribeToken({ customerId: 'c1', topic: 'newsletter', expiresAt: NOW_S + 86_400 }, SECRET);
    const cases: [string, number][] = [
      [forged, 400],
      ['', 400],
      [unsubscribe, 400],
      [token({ expiresAt: NOW_S - 1 }), 410],
      [token({ customerId: 'ghost' }), 404],
    ];
    for (const [t, status] of cases) {
      expect((await handleUnsubscribeRequest(post(t), deps)).status, t).toBe(status);
      expect((await handleUnsubscribeRequest({ method: 'GET', query: { confirm: t } }, deps)).status, t).toBe(status);
    }
    expect((await handleUnsubscribeRequest(post(token(), 'List-Unsubscribe=One-Click'), deps)).status).toBe(400);
    expect((await handleUnsubscribeRequest({ ...post(token()), query: { confirm: token(), token: unsubscribe } }, deps)).status).toBe(400);
    // A confirmation token is no unsubscribe token either.
    expect((await handleUnsubscribeRequest({ method: 'POST', query: { token: token() }, body: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' }, deps)).status).toBe(400);
    expect(customers.writes).toBe(0);
    expect(customers.items.has('ghost')).toBe(false);
    expect(queued).toEqual([]);
  });

  it('answers 409 when the request was declined in the meantime', async () => {
    const { customers, deps, token } = setup(unsubscribeAll(signUp(), NOW)!);
    expect((await handleUnsubscribeRequest(post(token()), deps)).status).toBe(409);
    expect((await handleUnsubscribeRequest({ method: 'GET', query: { confirm: token() } }, deps)).status).toBe(409);
    expect(customers.writes).toBe(0);
  });

  it('has the confirmation texts in every page language', () => {
    for (const language of PREFERENCE_LANGUAGES) {
      const t = PREFERENCE_TEXTS[language];
      const page = renderPage({ kind: 'confirm', language, topics: [], token: 't' });
      expect(page).toContain(`<html lang="${language}"`);
      expect(page).toContain(t.confirmButton);
      expect(page).toContain(t.allTopics);
      expect(renderPage({ kind: 'confirmed', language, outcome: 'confirmed', subscribed: ['newsletter'] })).toContain(t.confirmedBody);
      expect(renderPage({ kind: 'problem', language, problem: 'not-pending' })).toContain(t.notPendingBody);
      for (const text of [t.confirmTitle, t.confirmIntro, t.confirmButton, t.confirmedTitle, t.pendingNote, t.invalidConfirmLinkBody]) expect(text.length, language).toBeGreaterThan(3);
    }
  });
});
