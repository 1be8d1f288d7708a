import { type CustomerProfile, newProfile } from '#domain/customer-profile.ts';

/** A customer with an address and marketing consent to the given topics; override anything else. */
export function consentingCustomer(id: string, at: string, overrides: Partial<CustomerProfile> = {}, topics: string[] = ['offers', 'newsletter']): CustomerProfile {
  const p = newProfile(id, at);
  return { ...p, email: `${id}@example.com`, consent: { ...p.consent, marketing: true, topics, unsubscribedTopics: [], updatedAt: at }, ...overrides };
}
