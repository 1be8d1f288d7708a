import { join } from 'node:path';
import type { Catalog } from '#domain/catalog.ts';
import { ConfigFileError, loadCampaigns, loadMailerConfig } from './campaign-files.ts';
import { loadJourneys } from './journey-files.ts';
import { compileTemplateFolder, templateNames } from './template-files.ts';

/** Where a project keeps what marketers edit. */
export interface ProjectPaths {
  config: string;
  campaigns: string;
  templates: string;
  journeys: string;
}

export const projectPaths = (root: string): ProjectPaths => ({
  config: join(root, 'mailer.config.yaml'),
  campaigns: join(root, 'campaigns'),
  templates: join(root, 'templates'),
  journeys: join(root, 'journeys'),
});

/** Validates the config and campaigns and compiles the templates (MJML runs here, once). */
export async function buildCatalog(paths: ProjectPaths): Promise<Catalog> {
  const config = loadMailerConfig(paths.config);
  const campaigns = loadCampaigns(paths.campaigns, templateNames(paths.templates));
  const journeys = loadJourneys(paths.journeys, campaigns);
  const templates = await compileTemplateFolder(paths.templates);
  const known = new Set(campaigns.map((c) => c.id));
  const unknown = [
    ...config.frequency.exempt.filter((id) => !known.has(id)).map((id) => `frequency.exempt: no campaign "${id}"`),
    ...(config.quietHours?.exempt ?? []).filter((id) => !known.has(id)).map((id) => `quietHours.exempt: no campaign "${id}"`),
  ];
  if (unknown.length) throw new ConfigFileError(unknown.map((message) => ({ file: paths.config, message: `${message} in ${paths.campaigns}` })));
  return { config, campaigns, templates, journeys };
}

