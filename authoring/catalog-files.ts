import type { Catalog } from '#domain/catalog.ts';
import { InvalidProjectError } from './problems.ts';
import { validateProject } from './project-check.ts';
import { type ProjectPaths, projectPaths } from './project-paths.ts';

export { type ProjectPaths, projectPaths };

/**
 * Validates the config and campaigns and compiles the templates (MJML runs here, once).
 * Runs every check `campaigns validate` runs and throws InvalidProjectError with all the
 * problems, so `build` and `cdk synth` refuse a project a send would fail on.
 */
export async function buildCatalog(paths: ProjectPaths): Promise<Catalog> {
  const { problems, catalog } = await validateProject(paths);
  if (problems.length || !catalog) throw new InvalidProjectError(problems);
  return catalog;
}
