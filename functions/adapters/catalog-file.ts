import { readFileSync } from 'node:fs';
import { Catalog } from '#domain/catalog.ts';
import { InvalidInputError } from '#domain/invalid-input-error.ts';

/**
 * Reads a catalog built earlier (what the Lambda functions do at cold start). Kept apart from
 * the builder so the functions' bundles never pull in mjml or the YAML parser.
 */
export function readCatalogFile(file: string): Catalog {
  const result = Catalog.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!result.success) throw InvalidInputError.fromZod(file, result.error);
  return result.data;
}
