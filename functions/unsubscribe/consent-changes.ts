import { type Consent, type CustomerProfile, isSubscribed } from '#domain/customer-profile.ts';

/**
 * The consent changes the unsubscribe endpoint makes. Pure: each returns the next profile,
 * or undefined when nothing would change (so a repeated request writes nothing).
 * A sign-up still waiting for confirmation (double opt-in) is declined by any unsubscribe,
 * and confirmed by saving the preference form with a topic ticked: both come through a
 * signed link mailed to the address, followed by an explicit POST.
 */
type ConsentChange = Omit<Consent, 'updatedAt'>;

export { isSubscribed };

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

function withConsent(profile: CustomerProfile, consent: ConsentChange, now: string): CustomerProfile | undefined {
  const c = profile.consent;
  if (
    c.marketing === consent.marketing &&
    sameSet(c.topics, consent.topics) &&
    sameSet(c.unsubscribedTopics, consent.unsubscribedTopics) &&
    c.pending === consent.pending &&
    c.confirmed === consent.confirmed
  )
    return undefined;
  return { ...profile, consent: { ...consent, updatedAt: now }, version: profile.version + 1, updatedAt: now };
}

/** The consent without a pending sign-up: the customer said no to it. */
const declined = ({ pending: _pending, updatedAt: _updatedAt, ...rest }: Consent): ConsentChange => rest;

/** RFC 8058 one-click, or the "unsubscribe from this topic" button. */
export function unsubscribeTopic(profile: CustomerProfile, topic: string, now: string): CustomerProfile | undefined {
  const c = profile.consent;
  return withConsent(profile, { ...declined(c), unsubscribedTopics: [...new Set([...c.unsubscribedTopics, topic])] }, now);
}

/** "Unsubscribe from all": withdraws marketing consent; topic choices are kept for a later opt-in. */
export function unsubscribeAll(profile: CustomerProfile, now: string): CustomerProfile | undefined {
  return withConsent(profile, { ...declined(profile.consent), marketing: false }, now);
}

/**
 * The preference form: every topic in `offered` is subscribed if it is in `chosen`, and
 * unsubscribed otherwise. Ticking a topic is an explicit opt-in, so it also restores
 * marketing consent (and confirms a pending sign-up); topics the page did not offer are left as they were.
 */
export function savePreferences(profile: CustomerProfile, offered: readonly string[], chosen: readonly string[], now: string): CustomerProfile | undefined {
  const c = profile.consent;
  const picked = offered.filter((t) => chosen.includes(t));
  if (picked.length === 0 && !c.marketing && !c.pending) return undefined; // all off already; nothing to record
  const dropped = offered.filter((t) => !picked.includes(t));
  const unsubscribedTopics = [...new Set([...c.unsubscribedTopics.filter((t) => !picked.includes(t)), ...dropped])];
  // An empty sign-up list means "every topic"; a non-empty one must name each topic picked now.
  const topics = c.topics.length === 0 ? c.topics : [...new Set([...c.topics, ...picked])];
  const confirmation = c.pending && picked.length > 0 ? { confirmed: { method: 'double-opt-in' as const, requestedAt: c.pending.requestedAt, confirmedAt: now } } : {};
  return withConsent(profile, { ...declined(c), ...confirmation, marketing: c.marketing || picked.length > 0, topics, unsubscribedTopics }, now);
}
