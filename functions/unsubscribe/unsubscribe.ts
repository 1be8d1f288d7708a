import type { Journey } from '#domain/journey.ts';
import type { JourneyQueue } from '#adapters/journey-queue.ts';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Campaign } from '#domain/campaign.ts';
import type { Catalog } from '#domain/catalog.ts';
import type { Clock } from '#domain/clock.ts';
import { type ConfirmClaim, verifyConfirmToken } from '#signed-links/confirm-token.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import { confirmConsent, confirmSubscription, type Confirmation } from '#domain/double-opt-in.ts';
import type { MailerConfig } from '#domain/mailer-config.ts';
import { languageFromAcceptLanguage, preferenceLanguage, type PreferenceLanguage } from '#domain/preference-texts.ts';
import { triggeredSend } from '#domain/triggered-send.ts';
import { InvalidTokenError, openUnsubscribeToken, type UnsubscribeClaim } from '#signed-links/unsubscribe-token.ts';
import type { VerifyingKeys } from '#signed-links/signing-keys.ts';
import type { CustomerStore } from '#adapters/customer-store.ts';
import type { FailedEventStore } from '#adapters/failed-event-store.ts';
import type { SendLedger } from '#adapters/send-ledger.ts';
import type { SendQueue } from '#adapters/send-queue.ts';
import { isSubscribed, keepSubscribed, savePreferences, unsubscribeAll, unsubscribeTopic } from './consent-changes.ts';
import { PAGE_HEADERS, type PageView, renderPage } from './preference-page.ts';

export interface UnsubscribeRequest {
  method: 'GET' | 'POST' | (string & {});
  query: Record<string, string | undefined>;
  body?: string;
  contentType?: string;
  /** Picks the language of pages shown before we know who the customer is. */
  acceptLanguage?: string;
}

export interface UnsubscribeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface UnsubscribeDeps {
  customers: Pick<CustomerStore, 'get' | 'modify'>;
  /** Counts an unsubscribe against the send whose link it came through (the report's unsubscribes per campaign and journey). */
  ledger: Pick<SendLedger, 'markUnsubscribed'>;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** The keys the links are signed with (current) and verified with (current, then previous after a rotation); a bare string is one key. */
  secret: VerifyingKeys;
  /** Topics offered on the preference page, in display order. */
  topics: string[];
  /**
   * Queues what a confirmed sign-up should get (the welcome): under double opt-in the
   * campaigns triggered by `Customer Registered` wait for the confirmation.
   */
  onConfirmed: ConfirmedSignUpSends;
}

export interface ConfirmedSignUpSends {
  campaigns: readonly Campaign[];
  config: Pick<MailerConfig, 'frequency' | 'quietHours'>;
  sendQueue: SendQueue;
  failedEvents: Pick<FailedEventStore, 'record'>;
  /** Journeys entered on registration (the welcome series): a confirmation lets the customer in now. */
  journeys?: { journeys: readonly Journey[]; queue: JourneyQueue };
}

/** The topics a preference page offers: every campaign's `audience.topic`, once each, in catalog order. */
export const catalogTopics = (catalog: Pick<Catalog, 'campaigns'>): string[] => [...new Set(catalog.campaigns.map((c) => c.audience.topic))];

/** What a POST asks for. */
type Intent = { action: 'one-click' | 'topic' | 'all' | 'keep' } | { action: 'save'; chosen: string[] };

/** What only a link that has not expired may do: subscribe (again), as opposed to unsubscribe. */
const needsFreshLink = (intent: Intent) => intent.action === 'save' || intent.action === 'keep';

const MAX_BODY_CHARS = 16_384;

const respond = (status: number, view: PageView, extra: Record<string, string> = {}): UnsubscribeResponse => ({
  status,
  headers: { ...PAGE_HEADERS, ...extra },
  body: renderPage(view),
});

/** Form fields of a POST body, urlencoded (browsers, most mail clients) or multipart (RFC 8058 recommends it). */
async function readForm(body: string | undefined, contentType: string | undefined): Promise<Map<string, string[]> | undefined> {
  const fields = new Map<string, string[]>();
  if (!body) return fields;
  if (body.length > MAX_BODY_CHARS) return undefined;
  try {
    const form = await new Response(body, { headers: { 'content-type': contentType || 'application/x-www-form-urlencoded' } }).formData();
    for (const [name, value] of form) if (typeof value === 'string') fields.set(name, [...(fields.get(name) ?? []), value]);
    return fields;
  } catch {
    return undefined; // not a form at all
  }
}

function intentOf(form: Map<string, string[]>): Intent | undefined {
  if (form.get('List-Unsubscribe')?.includes('One-Click')) return { action: 'one-click' };
  const action = form.get('action')?.[0];
  if (action === 'save') return { action: 'save', chosen: form.get('topic') ?? [] };
  if (action === 'topic' || action === 'all' || action === 'keep') return { action };
  return undefined;
}

function change(intent: Intent, claim: UnsubscribeClaim, offered: string[], now: string) {
  return (p: CustomerProfile): CustomerProfile | undefined => {
    switch (intent.action) {
      case 'one-click':
      case 'topic':
        return unsubscribeTopic(p, claim.topic, now);
      case 'all':
        return unsubscribeAll(p, now);
      case 'save':
        return savePreferences(p, offered, intent.chosen, now);
      case 'keep':
        return keepSubscribed(p, now);
    }
  };
}

/**
 * The public unsubscribe endpoint. A GET only ever shows a page (mail scanners prefetch
 * links); changes need a POST: RFC 8058 one-click from the mail client, or the preference
 * form. Every request must carry a valid signed token first; nothing is created for an
 * unknown customer. Logs name the customer id and the outcome, never the token or address.
 * With `?confirm=` instead of `?token=` it serves the double opt-in confirmation.
 */
export async function handleUnsubscribeRequest(request: UnsubscribeRequest, deps: UnsubscribeDeps): Promise<UnsubscribeResponse> {
  const fallbackLanguage = languageFromAcceptLanguage(request.acceptLanguage);
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') return respond(405, { kind: 'problem', language: fallbackLanguage, problem: 'bad-request' }, { allow: 'GET, POST' });

  const form = method === 'POST' ? await readForm(request.body, request.contentType) : new Map<string, string[]>();
  if (!form) return respond(400, { kind: 'problem', language: fallbackLanguage, problem: 'bad-request' });

  const now = deps.clock.now();
  const confirmToken = request.query.confirm ?? form.get('confirm')?.[0];
  const token = request.query.token ?? form.get('token')?.[0];
  if (confirmToken !== undefined) {
    if (token !== undefined) return respond(400, { kind: 'problem', language: fallbackLanguage, problem: 'bad-request' });
    return handleConfirmRequest(method, confirmToken, form, now, fallbackLanguage, deps);
  }
  const link = token ?? ''; // no token at all is a malformed one
  // An expired but correctly signed link still unsubscribes; only subscribing needs a fresh one.
  const claim = verifiedOrRefusal(() => openUnsubscribeToken(link, deps.secret, Math.floor(Date.parse(now) / 1000)), 'unsubscribe refused', 'invalid-link', fallbackLanguage, deps);
  if ('status' in claim) return claim;

  const { customerId } = claim;
  const offered = deps.topics.includes(claim.topic) ? deps.topics : [...deps.topics, claim.topic];
  const expiredRefusal = (action: string) => {
    deps.logger.warn('unsubscribe refused', { customerId, action, outcome: 'invalid-token', reason: 'expired' });
    return respond(410, { kind: 'problem', language: fallbackLanguage, problem: 'invalid-link' });
  };
  try {
    if (method === 'GET' && request.query.view === 'keep') {
      if (claim.expired) return expiredRefusal('keep');
      const profile = await deps.customers.get(customerId);
      if (!profile) return notFound(deps, customerId, fallbackLanguage);
      deps.logger.info('keep-subscribed page shown', { customerId, outcome: 'viewed' });
      return respond(200, { kind: 'keep', language: preferenceLanguage(profile.locale), firstName: profile.firstName, token: link });
    }
    if (method === 'GET') {
      const profile = await deps.customers.get(customerId);
      if (!profile) return notFound(deps, customerId, fallbackLanguage);
      deps.logger.info('preference page shown', { customerId, outcome: claim.expired ? 'viewed-expired' : 'viewed' });
      return respond(200, {
        kind: 'preferences',
        language: preferenceLanguage(profile.locale),
        firstName: profile.firstName,
        topics: offered.map((topic) => ({ topic, subscribed: isSubscribed(profile.consent, topic) })),
        allOff: !profile.consent.marketing,
        pending: profile.consent.pending !== undefined,
        expired: claim.expired,
        token: link,
        // The List-Unsubscribe link opened in a browser: offer its topic first, if still subscribed.
        focusTopic: request.query.view !== 'preferences' && isSubscribed(profile.consent, claim.topic) ? claim.topic : undefined,
      });
    }

    const intent = intentOf(form);
    if (!intent) {
      deps.logger.warn('unsubscribe refused', { customerId, outcome: 'bad-request' });
      return respond(400, { kind: 'problem', language: fallbackLanguage, problem: 'bad-request' });
    }
    if (claim.expired && needsFreshLink(intent)) return expiredRefusal(intent.action);
    let changed = false;
    const profile = await deps.customers.modify(customerId, (current) => {
      const next = current && change(intent, claim, offered, now)(current);
      changed = next !== undefined;
      return next;
    });
    if (!profile) return notFound(deps, customerId, fallbackLanguage);
    deps.logger.info('unsubscribe request handled', { customerId, action: intent.action, outcome: changed ? 'changed' : 'unchanged' });
    if (changed && claim.sendId && intent.action !== 'keep' && !isSubscribed(profile.consent, claim.topic)) await creditSend(claim.sendId, now, deps);
    if (intent.action === 'keep') {
      const kept = !profile.suppression && offered.some((topic) => isSubscribed(profile.consent, topic));
      return respond(200, { kind: 'kept', language: preferenceLanguage(profile.locale), outcome: kept ? 'kept' : 'unavailable', token: link });
    }
    return respond(200, {
      kind: 'confirmation',
      language: preferenceLanguage(profile.locale),
      outcome: intent.action === 'save' ? 'saved' : intent.action === 'all' ? 'all-unsubscribed' : 'topic-unsubscribed',
      topic: claim.topic,
      subscribed: offered.filter((topic) => isSubscribed(profile.consent, topic)),
      token: link,
    });
  } catch (error) {
    deps.logger.error('unsubscribe failed', { customerId, outcome: 'error', error: error instanceof Error ? error.name : 'unknown' });
    return respond(500, { kind: 'problem', language: fallbackLanguage, problem: 'error' });
  }
}

/** The consent change has been saved; counting it against its send is bookkeeping, and never fails the request. */
async function creditSend(sendId: string, now: string, deps: UnsubscribeDeps): Promise<void> {
  try {
    if (!(await deps.ledger.markUnsubscribed(sendId, now))) deps.logger.warn('unsubscribe not counted', { sendId, reason: 'the ledger does not know the send' });
  } catch (error) {
    deps.logger.warn('unsubscribe not counted', { sendId, reason: error instanceof Error ? error.name : 'unknown' });
  }
}

/** A link's verified claim, or the page refusing it: 410 for an expired link, 400 for any other bad one (logged without the token). */
function verifiedOrRefusal<C extends UnsubscribeClaim | ConfirmClaim>(
  verify: () => C,
  refused: string,
  problem: 'invalid-link' | 'invalid-confirm-link',
  language: PreferenceLanguage,
  deps: UnsubscribeDeps,
): C | UnsubscribeResponse {
  try {
    return verify();
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    deps.logger.warn(refused, { outcome: 'invalid-token', reason: error.reason });
    return respond(error.reason === 'expired' ? 410 : 400, { kind: 'problem', language, problem });
  }
}

function notFound(deps: UnsubscribeDeps, customerId: string, language: PreferenceLanguage, message = 'unsubscribe refused'): UnsubscribeResponse {
  deps.logger.warn(message, { customerId, outcome: 'unknown-customer' });
  return respond(404, { kind: 'problem', language, problem: 'not-found' });
}

/**
 * Double opt-in confirmation (`?confirm=<token>`). A GET shows the confirm button and
 * changes nothing; the POST of that button (`action=confirm`) confirms, idempotently.
 * Only a confirmation token is accepted here: an unsubscribe token is signed with another
 * key and fails as a forgery would.
 */
async function handleConfirmRequest(
  method: string,
  token: string,
  form: Map<string, string[]>,
  now: string,
  fallbackLanguage: PreferenceLanguage,
  deps: UnsubscribeDeps,
): Promise<UnsubscribeResponse> {
  const claim = verifiedOrRefusal(() => verifyConfirmToken(token, deps.secret, Math.floor(Date.parse(now) / 1000)), 'confirmation refused', 'invalid-confirm-link', fallbackLanguage, deps);
  if ('status' in claim) return claim;

  const { customerId } = claim;
  const subscribedTopics = (profile: CustomerProfile) => {
    const offered = [...new Set([...deps.topics, ...profile.consent.topics])];
    return offered.filter((topic) => isSubscribed(profile.consent, topic));
  };
  const answer = (profile: CustomerProfile, outcome: Confirmation['outcome']): UnsubscribeResponse => {
    const language = preferenceLanguage(profile.locale);
    if (outcome === 'not-pending') return respond(409, { kind: 'problem', language, problem: 'not-pending' });
    return respond(200, { kind: 'confirmed', language, outcome, subscribed: subscribedTopics(profile) });
  };
  try {
    if (method === 'GET') {
      const profile = await deps.customers.get(customerId);
      if (!profile) return notFound(deps, customerId, fallbackLanguage, 'confirmation refused');
      const { pending } = profile.consent;
      if (!pending) {
        const outcome = confirmConsent(profile.consent, now).outcome;
        deps.logger.info('confirmation page shown', { customerId, outcome });
        return answer(profile, outcome);
      }
      deps.logger.info('confirmation page shown', { customerId, outcome: 'viewed' });
      return respond(200, { kind: 'confirm', language: preferenceLanguage(profile.locale), firstName: profile.firstName, topics: pending.topics, token });
    }

    if (form.get('action')?.[0] !== 'confirm') {
      deps.logger.warn('confirmation refused', { customerId, outcome: 'bad-request' });
      return respond(400, { kind: 'problem', language: fallbackLanguage, problem: 'bad-request' });
    }
    const result: { outcome?: Confirmation['outcome'] } = {};
    const profile = await deps.customers.modify(customerId, (current) => {
      if (!current) return undefined;
      const confirmation = confirmSubscription(current, now);
      result.outcome = confirmation.outcome;
      return confirmation.profile;
    });
    if (!profile || !result.outcome) return notFound(deps, customerId, fallbackLanguage, 'confirmation refused');
    deps.logger.info('confirmation handled', { customerId, outcome: result.outcome });
    // Only the one request that turned pending into consent queues the welcome: a repeat says 'already-subscribed'.
    if (result.outcome === 'confirmed') await queueConfirmedSignUpSends(profile, now, deps);
    return answer(profile, result.outcome);
  } catch (error) {
    deps.logger.error('confirmation failed', { customerId, outcome: 'error', error: error instanceof Error ? error.name : 'unknown' });
    return respond(500, { kind: 'problem', language: fallbackLanguage, problem: 'error' });
  }
}

/** The journeys a registration enters, entered at the confirmation (the registration itself was refused: no consent yet). */
async function enterRegistrationJourneys(profile: CustomerProfile, now: string, deps: UnsubscribeDeps): Promise<void> {
  const j = deps.onConfirmed.journeys;
  if (!j) return;
  const onRegistration = j.journeys.filter((journey) => journey.enabled && 'event' in journey.entry && journey.entry.event === 'Customer Registered');
  // The registration's own key: a late redelivery of the registration event starts nothing more.
  const messages = onRegistration.map((journey) => ({ customerId: profile.customerId, journeyId: journey.id, input: { kind: 'entered' as const, at: now, key: 'Customer Registered:registered' } }));
  if (!messages.length) return;
  try {
    await j.queue.enqueue(messages);
  } catch (error) {
    const reason = `could not enter ${onRegistration.map((x) => x.id).join(', ')} after confirmation: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    await deps.onConfirmed.failedEvents.record('confirm', `journeys_${profile.customerId}`, reason, messages, now).catch(() => undefined);
  }
}

/**
 * Queues the registration-triggered campaign a newly confirmed customer is now eligible
 * for, timed from the confirmation. Consent is already stored, so a queue failure must
 * not undo it or fail the page: the send is set aside with its reason instead.
 */
async function queueConfirmedSignUpSends(profile: CustomerProfile, now: string, deps: UnsubscribeDeps): Promise<void> {
  const { campaigns, config, sendQueue, failedEvents } = deps.onConfirmed;
  await enterRegistrationJourneys(profile, now, deps);
  const request = triggeredSend(campaigns, { type: 'Customer Registered', time: now }, profile, now, config);
  if (!request) return;
  try {
    await sendQueue.enqueue([request]);
    deps.logger.info('confirmed sign-up send queued', { customerId: profile.customerId, campaignId: request.campaignId, sendId: request.sendId });
  } catch (error) {
    const reason = `could not queue ${request.campaignId} after confirmation: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    deps.logger.error('confirmed sign-up send not queued', { customerId: profile.customerId, campaignId: request.campaignId, error: error instanceof Error ? error.name : 'unknown' });
    await failedEvents.record('confirm', request.sendId, reason, request, now).catch(() => undefined);
  }
}
