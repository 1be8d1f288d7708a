import { join } from 'node:path';

/** Where a project keeps its files. */
export interface ProjectPaths {
  config: string;
  campaigns: string;
  templates: string;
  /** A project without this folder has no journeys. */
  journeys: string;
}

export const projectPaths = (root: string): ProjectPaths => ({
  config: join(root, 'mailer.config.yaml'),
  campaigns: join(root, 'campaigns'),
  templates: join(root, 'templates'),
  journeys: join(root, 'journeys'),
});
