import { existsSync, type FSWatcher, watch } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { campaignFiles, checkCampaignFile } from '#authoring/campaign-files.ts';
import type { ProjectPaths } from '#authoring/catalog-files.ts';
import { localeCoverageWarnings } from '#authoring/locale-checks.ts';
import { type ProjectProblem, sortProblems } from '#authoring/problems.ts';
import { type CustomerLocales, type ProjectCheck, validateProject } from '#authoring/project-check.ts';
import type { Campaign } from '#domain/campaign.ts';
import type { Catalog } from '#domain/catalog.ts';
import { TemplateRenderer } from '#domain/template-renderer.ts';

/** One campaign file as the overview lists it: the campaign when its file parses, and the problems of the file. */
export interface CampaignFileState {
  file: string;
  campaign?: Campaign;
  problems: ProjectProblem[];
  warnings: ProjectProblem[];
}

export interface ProjectSnapshot {
  /** Bumped on every rebuild: the pages' auto-reload compares it. */
  version: number;
  builtAt: string;
  check: ProjectCheck;
  files: CampaignFileState[];
  /** Present only when the project is valid: a preview never shows a stale email. */
  catalog?: Catalog;
  renderer?: TemplateRenderer;
}

/** The problems that concern a campaign: its own file's, and those of the templates (and their translations) it uses. */
function concerns(problem: ProjectProblem, file: string, campaign?: Campaign): boolean {
  if (problem.file === file) return true;
  if (!campaign) return false;
  const templates = [campaign.template, ...campaign.variants.flatMap((v) => (v.template ? [v.template] : []))];
  return templates.some((t) => problem.file === `templates/${t}.mjml` || problem.file.startsWith(`templates/${t}.`)) || problem.file.startsWith('templates/partials/') || problem.file === 'mailer.config.yaml';
}

/** Validates and compiles the project the way a send uses it (buildCatalog's checks), and keeps per-file results. */
export async function snapshotProject(paths: ProjectPaths, version: number, customerLocales?: CustomerLocales): Promise<ProjectSnapshot> {
  const check = await validateProject(paths, customerLocales ? { customerLocales } : {});
  const root = dirname(paths.config);
  const files = existsSync(paths.campaigns)
    ? campaignFiles(paths.campaigns).map((name) => {
        const path = join(paths.campaigns, name);
        const file = relative(root, path);
        const campaign = checkCampaignFile(path, file).value;
        return { file, ...(campaign ? { campaign } : {}), problems: check.problems.filter((p) => concerns(p, file, campaign)), warnings: check.warnings.filter((p) => concerns(p, file, campaign)) };
      })
    : [];
  return {
    version,
    builtAt: new Date().toISOString(),
    check,
    files,
    ...(check.catalog ? { catalog: check.catalog, renderer: new TemplateRenderer(check.catalog.templates) } : {}),
  };
}

/**
 * The project as the workbench shows it, rebuilt when a campaign, journey, template or the
 * config changes on disk (debounced: an editor's save is several events), with listeners told
 * after each rebuild.
 */
export class ProjectState {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(snapshot: ProjectSnapshot) => void>();
  private building: Promise<void> = Promise.resolve();

  private customerLocales: CustomerLocales | undefined;

  private constructor(
    readonly paths: ProjectPaths,
    public current: ProjectSnapshot,
  ) {}

  static async load(paths: ProjectPaths): Promise<ProjectState> {
    return new ProjectState(paths, await snapshotProject(paths, 1));
  }

  /**
   * From now on, campaigns lacking a language these customers read get a warning. Added to
   * the current snapshot in place (no rebuild: the tables open while the project is checked,
   * and the start must stay quick), and passed to every later check.
   */
  useCustomerLocales(customerLocales: CustomerLocales): void {
    this.customerLocales = customerLocales;
    const added = localeCoverageWarnings(this.current.files.flatMap((f) => (f.campaign ? [{ campaign: f.campaign, file: f.file }] : [])), customerLocales);
    this.current.check.warnings = sortProblems([...this.current.check.warnings, ...added]);
    for (const f of this.current.files) f.warnings.push(...added.filter((w) => w.file === f.file));
  }

  onChange(listener: (snapshot: ProjectSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Rebuilds now (rebuilds run one at a time, in order). */
  rebuild(): Promise<void> {
    this.building = this.building.then(async () => {
      this.current = await snapshotProject(this.paths, this.current.version + 1, this.customerLocales);
      for (const listener of this.listeners) listener(this.current);
    });
    return this.building;
  }

  watch(debounceMs = 150): void {
    const root = dirname(this.paths.config);
    const targets = [this.paths.campaigns, this.paths.templates, join(root, 'journeys'), this.paths.config].filter((p) => existsSync(p));
    const changed = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.rebuild(), debounceMs);
    };
    for (const target of targets) this.watchers.push(watch(target, { recursive: true }, changed));
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
