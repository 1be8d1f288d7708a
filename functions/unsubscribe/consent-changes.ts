import { type Consent, type ConsentRenewal, type CustomerProfile, isSubscribed } from '#domain/customer-profile.ts';

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

/** Whether the customer was suppressed by the sunset campaign (and by nothing the customer cannot undo). */
export const isSunsetSuppressed = (profile: CustomerProfile): boolean => profile.suppression?.reason === 'sunset';

/**
 * Lifts a sunset suppression, recording when and how the customer asked to keep their emails.
 * Only a sunset: a bounce, a complaint or SES's suppression list is never lifted here.
 * `changed` is `profile` with any other change already made (its version counted once).
 */
function liftSunset(profile: CustomerProfile, changed: CustomerProfile | undefined, method: ConsentRenewal['method'], now: string): CustomerProfile | undefined {
  if (!isSunsetSuppressed(profile)) return changed;
  const { suppression: _lifted, ...rest } = changed ?? profile;
  return { ...rest, consent: { ...rest.consent, renewed: { method, at: now }, updatedAt: now }, version: profile.version + 1, updatedAt: now };
}

/** The sunset email's "keep me subscribed": lifts the sunset, and nothing else. Undefined when there is none to lift. */
export function keepSubscribed(profile: CustomerProfile, now: string): CustomerProfile | undefined {
  return liftSunset(profile, undefined, 'keep-subscribed', now);
}

/**
 * The preference form: every topic in `offered` is subscribed if it is in `chosen`, and
 * unsubscribed otherwise. Ticking a topic is an explicit opt-in, so it also restores
 * marketing consent (and confirms a pending sign-up, and lifts a sunset); topics the page did
 * not offer are left as they were.
 */
export function savePreferences(profile: CustomerProfile, offered: readonly string[], chosen: readonly string[], now: string): CustomerProfile | undefined {
  const picked = offered.filter((t) => chosen.includes(t));
  const changed = saveTopics(profile, offered, picked, now);
  return picked.length > 0 ? liftSunset(profile, changed, 'preferences', now) : changed;
}

function saveTopics(profile: CustomerProfile, offered: readonly string[], picked: readonly string[], now: string): CustomerProfile | undefined {
  const c = profile.consent;
  if (picked.length === 0 && !c.marketing && !c.pending) return undefined; // all off already; nothing to record
  const dropped = offered.filter((t) => !picked.includes(t));
  const unsubscribedTopics = [...new Set([...c.unsubscribedTopics.filter((t) => !picked.includes(t)), ...dropped])];
  // An empty sign-up list means "every topic"; a non-empty one must name each topic picked now.
  const topics = c.topics.length === 0 ? c.topics : [...new Set([...c.topics, ...picked])];
  const confirmation = c.pending && picked.length > 0 ? { confirmed: { method: 'double-opt-in' as const, requestedAt: c.pending.requestedAt, confirmedAt: now } } : {};
  return withConsent(profile, { ...declined(c), ...confirmation, marketing: c.marketing || picked.length > 0, topics, unsubscribedTopics }, now);
}
