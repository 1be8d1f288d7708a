import { describe, expect, it } from 'vitest';
import { type CustomerProfile, newProfile } from '#domain/customer-profile.ts';
import { FrequencyRules } from '#domain/mailer-config.ts';
import { languageFromAcceptLanguage, PREFERENCE_LANGUAGES, preferenceLanguage } from '#domain/preference-texts.ts';
import { signUnsubscribeToken } from '#signed-links/unsubscribe-token.ts';
import type { CustomerStore } from '#adapters/customer-store.ts';
import { isSubscribed, savePreferences, unsubscribeAll, unsubscribeTopic } from '../../functions/unsubscribe/consent-changes.ts';
import { createUnsubscribeHandler } from '../../functions/unsubscribe/handler.ts';
import { escapeHtml, renderPage } from '../../functions/unsubscribe/preference-page.ts';
import { handleUnsubscribeRequest, type UnsubscribeDeps } from '../../functions/unsubscribe/unsubscribe.ts';
import { MemoryCustomers } from '../support/memory-customers.ts';

const NOW = '2026-10-01T08:00:00.000Z';
const NOW_S = Date.parse(NOW) / 1000;
const SECRET = 'unit-test-secret-unit-test-secret-0123';
const TOPICS = ['newsletter', 'offers'];
/** These requests never confirm a sign-up, so nothing may be queued. */
const NO_CONFIRMATION_SENDS: UnsubscribeDeps['onConfirmed'] = {
  campaigns: [],
  config: { frequency: FrequencyRules.parse({}) },
  sendQueue: { enqueue: async () => expect.unreachable('an unsubscribe request queued a send') },
  failedEvents: { record: async () => expect.unreachable('an unsubscribe request set a send aside') },
};

function profile(overrides: Partial<CustomerProfile> = {}): CustomerProfile {
  const p = newProfile('c1', NOW);
  return { ...p, email: 'ann@example.com', firstName: 'Ann', locale: 'en', consent: { ...p.consent, marketing: true }, ...overrides };
}

function setup(p: CustomerProfile | null = profile()) {
  const customers = new MemoryCustomers();
  if (p) customers.items.set(p.customerId, p);
  const logs: unknown[] = [];
  const log = (...args: unknown[]) => void logs.push(args);
  const credited: string[] = [];
  const ledger = { markUnsubscribed: async (sendId: string) => (credited.push(sendId), true) };
  const deps: UnsubscribeDeps = { customers, ledger, clock: { now: () => NOW }, logger: { info: log, warn: log, error: log } as UnsubscribeDeps['logger'], secret: SECRET, topics: TOPICS, onConfirmed: NO_CONFIRMATION_SENDS };
  const token = (claim: Partial<{ customerId: string; topic: string; expiresAt: number; sendId: string }> = {}, secret = SECRET) =>
    signUnsubscribeToken({ customerId: 'c1', topic: 'newsletter', expiresAt: NOW_S + 86_400, ...claim }, secret);
  return { customers, deps, logs, token, credited, ledger };
}

const oneClick = { method: 'POST', body: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' };
const checkboxIds = (html: string) => [...html.matchAll(/<input type="checkbox" id="([^"]+)"/g)].map((m) => m[1]!);

describe('preference page rendering', () => {
  it('escapes customer data, topics and the token', () => {
    const html = renderPage({
      kind: 'preferences',
      language: 'en',
      firstName: '<script>alert(1)</script>"',
      topics: [{ topic: '"><img src=x onerror=alert(1)>', subscribed: true }],
      allOff: false,
      token: 'a"b<c',
    });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;');
    expect(html).toContain('value="a&quot;b&lt;c"');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('sets <html lang> from the locale, with English as the fallback', () => {
    expect(['de-DE', 'fr', 'es-MX', 'ja-JP', 'zh_CN', 'pt-BR', 'en-GB', ''].map(preferenceLanguage)).toEqual(['de', 'fr', 'es', 'ja', 'zh', 'en', 'en', 'en']);
    for (const language of PREFERENCE_LANGUAGES) {
      const html = renderPage({ kind: 'preferences', language, topics: [{ topic: 'newsletter', subscribed: true }], allOff: false, token: 't' });
      expect(html).toMatch(new RegExp(`<html lang="${language}"`));
    }
    expect(languageFromAcceptLanguage('pt-BR,ja;q=0.8,de;q=0.9')).toBe('de');
    expect(languageFromAcceptLanguage(undefined)).toBe('en');
  });

  it('binds a label to every checkbox and offers save and unsubscribe-all buttons in a POST form', () => {
    const html = renderPage({ kind: 'preferences', language: 'de', topics: TOPICS.map((topic) => ({ topic, subscribed: topic === 'offers' })), allOff: false, token: 't' });
    const ids = checkboxIds(html);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(html).toContain(`<label for="${id}">`);
    expect(html).toMatch(/<input type="checkbox" id="topic-1" name="topic" value="offers" checked/);
    expect(html).not.toMatch(/value="newsletter" checked/);
    expect(html).toContain('<form method="post">');
    expect(html).toContain('<input type="hidden" name="token" value="t">');
    expect(html).toContain('<button type="submit" name="action" value="save" class="primary">Einstellungen speichern</button>');
    expect(html).toContain('<button type="submit" name="action" value="all">Von allen abmelden</button>');
  });
});

describe('consent changes', () => {
  it('unsubscribes a topic once, and "all" withdraws marketing consent', () => {
    const once = unsubscribeTopic(profile(), 'offers', NOW)!;
    expect(once.consent.unsubscribedTopics).toEqual(['offers']);
    expect(once.version).toBe(1);
    expect(unsubscribeTopic(once, 'offers', NOW)).toBeUndefined();
    expect(unsubscribeAll(once, NOW)!.consent.marketing).toBe(false);
  });

  it('saves the form: unticked topics are dropped, ticking one opts back in', () => {
    const p = profile({ consent: { marketing: false, topics: ['newsletter'], unsubscribedTopics: ['offers'], updatedAt: NOW } });
    const saved = savePreferences(p, TOPICS, ['offers'], '2026-10-02T00:00:00.000Z')!;
    expect(saved.consent).toEqual({ marketing: true, topics: ['newsletter', 'offers'], unsubscribedTopics: ['newsletter'], updatedAt: '2026-10-02T00:00:00.000Z' });
    expect(TOPICS.map((t) => isSubscribed(saved.consent, t))).toEqual([false, true]);
    expect(savePreferences(saved, TOPICS, ['offers', 'not-offered'], NOW)).toBeUndefined();
  });
});

describe('handleUnsubscribeRequest', () => {
  it('turns every bad token into a 4xx page and changes nothing', async () => {
    const { customers, deps, token } = setup();
    const good = token();
    const [payload, signature] = good.split('.');
    const forged = `${Buffer.from(JSON.stringify(['c1', 'offers', NOW_S + 86_400])).toString('base64url')}.${signature}`;
    const cases = [
      { query: {}, status: 400 },
      { query: { token: 'garbage' }, status: 400 },
      { query: { token: forged }, status: 400 },
      { query: { token: `${payload}.${signature!.slice(0, -2)}AA` }, status: 400 },
      { query: { token: token({}, 'another-secret-another-secret-another') }, status: 400 },
    ];
    for (const { query, status } of cases) {
      const response = await handleUnsubscribeRequest({ ...oneClick, query }, deps);
      expect(response.status).toBe(status);
      expect(response.body).toContain('invalid or has expired');
      const get = await handleUnsubscribeRequest({ method: 'GET', query }, deps);
      expect(get.status).toBe(status);
    }
    expect(customers.writes).toBe(0);
  });

  it('one-click unsubscribes the token topic, idempotently, urlencoded or multipart', async () => {
    const { customers, deps, token } = setup();
    const first = await handleUnsubscribeRequest({ ...oneClick, query: { token: token() } }, deps);
    expect(first.status).toBe(200);
    expect(customers.items.get('c1')!.consent).toMatchObject({ marketing: true, unsubscribedTopics: ['newsletter'], updatedAt: NOW });
    const boundary = 'xYzZY';
    const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
    const second = await handleUnsubscribeRequest({ method: 'POST', query: { token: token() }, body: multipart, contentType: `multipart/form-data; boundary=${boundary}` }, deps);
    expect(second.status).toBe(200);
    expect(customers.writes).toBe(1);
  });

  it('counts the unsubscribe against the send its link names, once, and never for a link without one', async () => {
    const { deps, token, credited } = setup();
    const link = token({ sendId: 'welcome_2026-09-01_c1' });
    expect((await handleUnsubscribeRequest({ ...oneClick, query: { token: link } }, deps)).status).toBe(200);
    expect((await handleUnsubscribeRequest({ ...oneClick, query: { token: link } }, deps)).status).toBe(200); // already off: nothing changes
    expect(credited).toEqual(['welcome_2026-09-01_c1']);
    // A link mailed before links named their send unsubscribes just the same, and credits nobody.
    const older = setup();
    expect((await handleUnsubscribeRequest({ ...oneClick, query: { token: older.token() } }, older.deps)).status).toBe(200);
    expect(older.customers.items.get('c1')!.consent.unsubscribedTopics).toEqual(['newsletter']);
    expect(older.credited).toEqual([]);
  });

  it('unsubscribes even when the ledger cannot count it, and says so in the log', async () => {
    const { customers, deps, token, logs } = setup();
    deps.ledger = { markUnsubscribed: () => Promise.reject(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' })) };
    expect((await handleUnsubscribeRequest({ ...oneClick, query: { token: token({ sendId: 's1' }) } }, deps)).status).toBe(200);
    expect(customers.items.get('c1')!.consent.unsubscribedTopics).toEqual(['newsletter']);
    expect(JSON.stringify(logs)).toContain('"unsubscribe not counted",{"sendId":"s1","reason":"ProvisionedThroughputExceededException"}');
  });

  it('shows the page on GET without changing anything, in the customer language, with no address in it', async () => {
    const { customers, deps, token, logs } = setup(profile({ locale: 'ja-JP', firstName: '<b>花子</b>' }));
    const t = token();
    const response = await handleUnsubscribeRequest({ method: 'GET', query: { token: t } }, deps);
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    expect(response.body).toContain('<html lang="ja"');
    expect(response.body).toContain('&lt;b&gt;花子&lt;/b&gt;');
    expect(response.body).toContain('「ニュースレター」の配信を停止');
    expect(response.body).not.toContain('@');
    expect(customers.writes).toBe(0);
    expect(JSON.stringify(logs)).not.toContain(t);
    expect(JSON.stringify(logs)).not.toContain('@');
  });

  it('saves the preference form and unsubscribes from all', async () => {
    const { customers, deps, token } = setup();
    const form = (fields: string) => ({ method: 'POST', query: {}, body: `token=${token()}&${fields}`, contentType: 'application/x-www-form-urlencoded' });
    const page = async () => (await handleUnsubscribeRequest({ method: 'GET', query: { token: token() } }, deps)).body;
    expect(await page()).toContain('name="action" value="topic"');
    const topic = await handleUnsubscribeRequest(form('action=topic'), deps);
    expect(topic.body).toContain('You will no longer receive “Newsletter” emails.');
    expect(customers.items.get('c1')!.consent.unsubscribedTopics).toEqual(['newsletter']);
    expect(await page()).not.toContain('name="action" value="topic"'); // nothing left to unsubscribe from
    const saved = await handleUnsubscribeRequest(form('action=save&topic=newsletter'), deps);
    expect(saved.status).toBe(200);
    expect(saved.body).toContain('Preferences saved');
    expect(customers.items.get('c1')!.consent).toMatchObject({ marketing: true, unsubscribedTopics: ['offers'] });
    const all = await handleUnsubscribeRequest(form('action=all'), deps);
    expect(all.status).toBe(200);
    expect(customers.items.get('c1')!.consent.marketing).toBe(false);
    expect((await handleUnsubscribeRequest(form('action=delete-everything'), deps)).status).toBe(400);
    expect(customers.writes).toBe(3);
  });

  it('answers 404 for an unknown customer and creates nothing', async () => {
    const { customers, deps, token } = setup(null);
    expect((await handleUnsubscribeRequest({ ...oneClick, query: { token: token() } }, deps)).status).toBe(404);
    expect((await handleUnsubscribeRequest({ method: 'GET', query: { token: token() } }, deps)).status).toBe(404);
    expect(customers.items.size).toBe(0);
  });

  it('refuses other methods', async () => {
    const { deps, token } = setup();
    const response = await handleUnsubscribeRequest({ method: 'DELETE', query: { token: token() } }, deps);
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, POST');
  });
});

describe('an expired, correctly signed link', () => {
  const form = (body: string) => ({ method: 'POST', body, contentType: 'application/x-www-form-urlencoded' });

  it('still unsubscribes: one-click, the topic button and unsubscribe-from-all', async () => {
    for (const [request, expected] of [
      [oneClick, { marketing: true, unsubscribedTopics: ['newsletter'] }],
      [form('action=topic'), { marketing: true, unsubscribedTopics: ['newsletter'] }],
      [form('action=all'), { marketing: false }],
    ] as const) {
      const { customers, deps, token } = setup();
      const response = await handleUnsubscribeRequest({ ...request, query: { token: token({ expiresAt: NOW_S - 90 * 86_400 }) } }, deps);
      expect(response.status).toBe(200);
      expect(customers.items.get('c1')!.consent).toMatchObject({ ...expected, updatedAt: NOW });
    }
  });

  it('can no longer subscribe: saving topics and keep-me-subscribed get 410 and change nothing', async () => {
    const { customers, deps, token } = setup(profile({ consent: { ...profile().consent, unsubscribedTopics: ['offers'] }, suppression: { reason: 'sunset', at: NOW } }));
    const expired = token({ expiresAt: NOW_S - 1 });
    for (const body of ['action=save&topic=newsletter&topic=offers', 'action=keep']) {
      const response = await handleUnsubscribeRequest({ ...form(body), query: { token: expired } }, deps);
      expect(response.status).toBe(410);
    }
    expect((await handleUnsubscribeRequest({ method: 'GET', query: { token: expired, view: 'keep' } }, deps)).status).toBe(410);
    expect(customers.writes).toBe(0);
  });

  it('GET shows the unsubscribe buttons only, no topics to tick', async () => {
    const { deps, token } = setup();
    const response = await handleUnsubscribeRequest({ method: 'GET', query: { token: token({ expiresAt: NOW_S - 1 }) } }, deps);
    expect(response.status).toBe(200);
    expect(checkboxIds(response.body)).toEqual([]);
    expect(response.body).not.toContain('value="save"');
    expect(response.body).toContain('value="topic"');
    expect(response.body).toContain('value="all"');
    expect(response.body).toContain('too old to change your topics');
  });

  it('a tampered token still gets 400 and changes nothing', async () => {
    const { customers, deps, token } = setup();
    const [payload, signature] = token({ expiresAt: NOW_S - 1 }).split('.');
    const tampered = `${Buffer.from(JSON.stringify(['c1', 'newsletter', NOW_S + 86_400])).toString('base64url')}.${signature}`;
    for (const t of [tampered, `${payload}.${signature!.slice(0, -2)}AA`]) {
      expect((await handleUnsubscribeRequest({ ...oneClick, query: { token: t } }, deps)).status).toBe(400);
    }
    expect(customers.writes).toBe(0);
  });
});

describe('keep me subscribed (the sunset email)', () => {
  const keep = { method: 'POST', body: 'action=keep', contentType: 'application/x-www-form-urlencoded' };
  const sunsetAt = '2026-09-20T09:00:00.000Z';

  it('lifts a sunset suppression, records the re-consent with its time, and changes nothing else', async () => {
    const before = profile({ suppression: { reason: 'sunset', at: sunsetAt, detail: 'sunset' }, consent: { ...profile().consent, topics: ['newsletter'], unsubscribedTopics: ['offers'] } });
    const { customers, deps, token } = setup(before);
    const shown = await handleUnsubscribeRequest({ method: 'GET', query: { token: token(), view: 'keep' } }, deps);
    expect(shown.status).toBe(200);
    expect(shown.body).toContain('value="keep"');
    expect(customers.writes).toBe(0); // a GET never changes anything
    const response = await handleUnsubscribeRequest({ ...keep, query: { token: token(), view: 'keep' } }, deps);
    expect(response.status).toBe(200);
    expect(response.body).toContain('You are still subscribed');
    const after = customers.items.get('c1')!;
    expect(after.suppression).toBeUndefined();
    expect(after.consent).toEqual({ ...before.consent, renewed: { method: 'keep-subscribed', at: NOW }, updatedAt: NOW });
    const { suppression: _s, consent: _c, version: _v, updatedAt: _u, ...rest } = before;
    expect(after).toMatchObject(rest);
    expect((await handleUnsubscribeRequest({ ...keep, query: { token: token() } }, deps)).status).toBe(200);
    expect(customers.writes).toBe(1); // pressing it again changes nothing
  });

  it('is not counted as an unsubscribe of the send', async () => {
    const { deps, token, credited, customers } = setup(profile({ suppression: { reason: 'sunset', at: sunsetAt, detail: 'sunset' } }));
    expect((await handleUnsubscribeRequest({ ...keep, query: { token: token({ sendId: 'sunset_p_c1' }) } }, deps)).status).toBe(200);
    expect(customers.items.get('c1')!.suppression).toBeUndefined();
    expect(credited).toEqual([]);
  });

  it('never lifts a bounce, a complaint or an SES suppression', async () => {
    for (const reason of ['hard-bounce', 'complaint', 'ses-suppression-list', 'soft-bounces', 'unsubscribed'] as const) {
      const { customers, deps, token } = setup(profile({ suppression: { reason, at: sunsetAt } }));
      const response = await handleUnsubscribeRequest({ ...keep, query: { token: token() } }, deps);
      expect(response.status).toBe(200);
      expect(response.body).toContain('cannot be restarted from this link');
      expect(customers.items.get('c1')!.suppression?.reason).toBe(reason);
      expect(customers.writes).toBe(0);
    }
  });

  it('saving topics on the preference page lifts a sunset too; saving none does not', async () => {
    const sunset = profile({ suppression: { reason: 'sunset', at: sunsetAt } });
    const { customers, deps, token } = setup(sunset);
    const save = (body: string) => handleUnsubscribeRequest({ method: 'POST', query: { token: token() }, body, contentType: 'application/x-www-form-urlencoded' }, deps);
    expect((await save('action=save')).status).toBe(200);
    expect(customers.items.get('c1')!.suppression?.reason).toBe('sunset');
    expect((await save('action=save&topic=offers')).status).toBe(200);
    const after = customers.items.get('c1')!;
    expect(after.suppression).toBeUndefined();
    expect(after.consent.renewed).toEqual({ method: 'preferences', at: NOW });
    const bounced = setup(profile({ suppression: { reason: 'hard-bounce', at: sunsetAt } }));
    await handleUnsubscribeRequest({ method: 'POST', query: { token: bounced.token() }, body: 'action=save&topic=offers', contentType: 'application/x-www-form-urlencoded' }, bounced.deps);
    expect(bounced.customers.items.get('c1')!.suppression?.reason).toBe('hard-bounce');
  });
});

describe('createUnsubscribeHandler', () => {
  it('reads a Function URL event with a base64 body', async () => {
    const { customers, deps, token } = setup();
    const result = await createUnsubscribeHandler(deps)({
      requestContext: { http: { method: 'POST' } },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      queryStringParameters: { token: token({ topic: 'offers' }) },
      body: Buffer.from('List-Unsubscribe=One-Click').toString('base64'),
      isBase64Encoded: true,
    });
    expect(result.statusCode).toBe(200);
    expect(customers.items.get('c1')!.consent.unsubscribedTopics).toEqual(['offers']);
  });
});
