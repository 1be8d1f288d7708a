import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CustomerLocales } from '#authoring/project-check.ts';
import { DEFAULT_DEMO_SHOP, generateDemoShop } from '#cli/run/demo-shop.ts';
import { openWorkbenchData } from './data.ts';

/** The locales the demo shop's customers have (what `npm start` would mail). */
export function demoShopLocales(): string[] {
  const locales = generateDemoShop({ ...DEFAULT_DEMO_SHOP, customers: 200 }).flatMap((e) =>
    e.detailType === 'Customer Registered' && typeof e.detail === 'object' && e.detail !== null && 'locale' in e.detail && typeof e.detail.locale === 'string' ? [e.detail.locale] : [],
  );
  return [...new Set(locales)].sort();
}

/**
 * The locales customers have: those in the local tables of the last run when there are any
 * (and they can be opened), else the demo shop's.
 */
export async function customerLocales(dataDir: string): Promise<CustomerLocales> {
  const dir = join(resolve(dataDir), 'dynamodb');
  if (existsSync(dir)) {
    try {
      const data = await openWorkbenchData({ dataDir });
      try {
        const locales = new Set<string>();
        for (const c of await data.allCustomers()) locales.add(c.locale);
        if (locales.size) return { locales: [...locales].sort(), source: `customers in ${dir}` };
      } finally {
        await data.close();
      }
    } catch {
      // Held by a running `npm start -- --serve` or `ui`, or from an older version: the demo's list still says something.
    }
  }
  return { locales: demoShopLocales(), source: "the demo shop's locales" };
}
