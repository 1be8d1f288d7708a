import { type Campaign, closestLocale, DEFAULT_LOCALE, LocaleKey } from '#domain/campaign.ts';
import type { ProjectProblem } from './problems.ts';

/** `welcome.ja` → the welcome template in `ja`; `welcome` → the default. A suffix that is not a language tag is a problem. */
export function splitTemplateName(name: string): { base: string; locale?: string; problem?: string } {
  const dot = name.indexOf('.');
  if (dot === -1) return { base: name };
  const base = name.slice(0, dot);
  const locale = name.slice(dot + 1);
  if (!LocaleKey.safeParse(locale).success) return { base, problem: `'${locale}' in the file name is not a language tag like de, ja or pt-BR (a translation is named like welcome.ja.mjml)` };
  return { base, locale };
}

/**
 * Campaigns that have no copy in a language some customers read: those customers get the
 * default (English) email. A warning per campaign, naming the languages it lacks.
 */
export function localeCoverageWarnings(
  campaigns: readonly { campaign: Pick<Campaign, 'locales'>; file: string }[],
  customers: { locales: readonly string[]; source: string },
): ProjectProblem[] {
  const warnings: ProjectProblem[] = [];
  for (const { campaign, file } of campaigns) {
    const have = [DEFAULT_LOCALE, ...Object.keys(campaign.locales)];
    const missing = [...new Set(customers.locales.filter((l) => !closestLocale(l, have)))].sort();
    if (missing.length) warnings.push({ file, message: `locales: no copy for customers in ${missing.join(', ')} (${customers.source}): they get the English email` });
  }
  return warnings;
}
