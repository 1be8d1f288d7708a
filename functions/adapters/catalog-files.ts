import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Catalog } from '#domain/catalog.ts';
import { InvalidInputError } from '#domain/invalid-input-error.ts';
import { loadCampaigns, loadMailerConfig } from './campaign-files.ts';
import { compileTemplateFolder, templateNames } from './template-files.ts';

/** Where a project keeps what marketers edit. */
export interface ProjectPaths {
  config: string;
  campaigns: string;
  templates: string;
}

export const projectPaths = (root: string): ProjectPaths => ({
  config: join(root, 'mailer.config.yaml'),
  campaigns: join(root, 'campaigns'),
  templates: join(root, 'templates'),
});

/** Validates the config and campaigns and compiles the templates (MJML runs here, once). */
export async function buildCatalog(paths: ProjectPaths): Promise<Catalog> {
  const config = loadMailerConfig(paths.config);
  const campaigns = loadCampaigns(paths.campaigns, templateNames(paths.templates));
  const templates = await compileTemplateFolder(paths.templates);
  return { config, campaigns, templates };
}

/** Reads a catalog built earlier (what the Lambda functions do at cold start). */
export function readCatalogFile(file: string): Catalog {
  const result = Catalog.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!result.success) throw InvalidInputError.fromZod(file, result.error);
  return result.data;
}
