import type { Catalog } from '#domain/catalog.ts';

/** The campaigns that sent on their own before the journeys took them over as steps. */
const SUBSUMED_BY_JOURNEYS = ['welcome', 'abandoned-cart', 'win-back', 'last-chance', 'sunset', 'vip-thanks'];

/**
 * The shipped catalog with its journeys taken out and the campaigns they subsumed sending on
 * their own again: for tests of the campaign send path that use, say, `welcome` as "a campaign
 * triggered by a registration" (the journeys have their own tests).
 */
export function campaignsWithoutJourneys(catalog: Catalog): Catalog {
  const missing = SUBSUMED_BY_JOURNEYS.filter((id) => !catalog.campaigns.some((c) => c.id === id));
  if (missing.length) throw new Error(`test/support: the catalog has no campaign ${missing.join(', ')}`);
  return { ...catalog, journeys: [], campaigns: catalog.campaigns.map((c) => (SUBSUMED_BY_JOURNEYS.includes(c.id) ? { ...c, enabled: true } : c)) };
}
