import type { Consent, CustomerProfile } from './customer-profile.ts';
import type { CustomerRegistered } from './shop-events.ts';

/**
 * Double opt-in as pure decisions over consent. With it on, a sign-up's marketing consent
 * is only a request (`consent.pending`) until the customer confirms by the link mailed to
 * them; confirming turns it into consent with a record of proof (`consent.confirmed`).
 */
export interface ConsentPolicy {
  doubleOptIn: boolean;
}

export const SINGLE_OPT_IN: ConsentPolicy = { doubleOptIn: false };

/**
 * The consent a `Customer Registered` event leaves on a profile.
 * - Without double opt-in, a history import (channel `import`: consent given before), or a
 *   registration without consent: the event's consent, as given.
 * - With it, a customer who already consents (confirmed, or an existing subscriber) keeps
 *   their consent unchanged, and a customer already waiting keeps their original request:
 *   a re-registration neither resets nor repeats anything.
 * - Anyone else, including a customer who unsubscribed from all, gets a pending request and
 *   no marketing consent until they confirm. Their earlier topic opt-outs stay until then.
 * The proof of an earlier confirmation is always kept.
 */
export function consentOnRegistration(current: Consent, registration: CustomerRegistered, policy: ConsentPolicy, statedAt: string = registration.consentAt ?? registration.registeredAt): Consent {
  const { marketingConsent, topics, registeredAt, channel } = registration;
  const proof = { ...(current.confirmed ? { confirmed: current.confirmed } : {}), ...(current.renewed ? { renewed: current.renewed } : {}) };
  if (!policy.doubleOptIn || !marketingConsent || channel === 'import') {
    return { marketing: marketingConsent, topics, unsubscribedTopics: [], updatedAt: statedAt, ...proof };
  }
  if (current.marketing || current.pending) return current;
  return {
    marketing: false,
    topics,
    unsubscribedTopics: current.unsubscribedTopics,
    updatedAt: statedAt,
    pending: { requestedAt: registeredAt, topics },
    ...proof,
  };
}

export type Confirmation =
  | { outcome: 'confirmed'; consent: Consent }
  /** Nothing pending and consent already given: confirming again is fine and changes nothing. */
  | { outcome: 'already-subscribed' }
  /** Nothing pending and no consent: the request was declined or withdrawn since, or never made. */
  | { outcome: 'not-pending' };

/** The customer followed their confirmation link and confirmed: the pending request becomes consent, with proof. */
export function confirmConsent(consent: Consent, now: string): Confirmation {
  const { pending } = consent;
  if (!pending) return consent.marketing ? { outcome: 'already-subscribed' } : { outcome: 'not-pending' };
  const asked = pending.topics;
  return {
    outcome: 'confirmed',
    consent: {
      marketing: true,
      topics: asked,
      // The confirmed request is newer than any earlier opt-out from the topics it names.
      unsubscribedTopics: asked.length === 0 ? [] : consent.unsubscribedTopics.filter((t) => !asked.includes(t)),
      updatedAt: now,
      confirmed: { method: 'double-opt-in', requestedAt: pending.requestedAt, confirmedAt: now },
      ...(consent.renewed ? { renewed: consent.renewed } : {}),
    },
  };
}

/** `confirmConsent` on a profile: the next profile when something changed, or undefined (so a repeated confirmation writes nothing). */
export function confirmSubscription(profile: CustomerProfile, now: string): { outcome: Confirmation['outcome']; profile?: CustomerProfile } {
  const result = confirmConsent(profile.consent, now);
  if (result.outcome !== 'confirmed') return { outcome: result.outcome };
  return { outcome: 'confirmed', profile: { ...profile, consent: result.consent, version: profile.version + 1, updatedAt: now } };
}

/** Whether the customer's marketing consent waits for confirmation. */
export const isConsentPending = (consent: Consent): boolean => consent.pending !== undefined;
