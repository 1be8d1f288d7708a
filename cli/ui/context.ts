import type { Hono } from 'hono';
import type { WorkbenchData } from './data.ts';
import type { NavEntry, WorkbenchEnv } from './layout.ts';
import type { ProjectState } from './project-state.ts';
import type { TestSender } from './test-send.ts';

/** What every page module gets: the project, the tables, the test sender, the form token. */
export interface WorkbenchContext {
  project: ProjectState;
  data: WorkbenchData;
  testSender: TestSender;
  /** Every POST form carries it; a POST without it is refused (CSRF). */
  csrfToken: string;
  nav: readonly NavEntry[];
  /** The moment eligibility is judged at: the end of the last local run (its simulated clock), or now for deployed tables. */
  asOf(): Promise<string>;
  /** Real time (the preview's and the rate limit's clock). */
  now(): string;
}

/** A page of the workbench: its route(s) and its navigation entry. Adding a page is one module and one line in pages/index.ts. */
export interface WorkbenchPage {
  nav?: NavEntry;
  register(app: Hono<WorkbenchEnv>, ctx: WorkbenchContext): void;
}
