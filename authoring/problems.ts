/** One thing wrong in a project file: where (file relative to the project, 1-based line when known) and what. */
export interface ProjectProblem {
  file: string;
  line?: number;
  message: string;
}

/** `templates/win-back.mjml:12: unknown field …`: the form every check reports in. */
export const formatProblem = (p: ProjectProblem) => `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`;

/** A config file that cannot be used, with every problem a marketer needs to fix it. */
export class ConfigFileError extends Error {
  override readonly name: string = 'ConfigFileError';
  constructor(readonly problems: ProjectProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/**
 * The project (config, campaigns, templates) has problems: thrown by buildCatalog, so
 * `build` and `cdk synth` refuse to go on. The message lists every problem, one per line.
 */
export class InvalidProjectError extends ConfigFileError {
  override readonly name = 'InvalidProjectError';
}

/** Problems in file order, then line order, each once (a partial's problem shows up in every template that includes it). */
export function sortProblems(problems: readonly ProjectProblem[]): ProjectProblem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const key = formatProblem(p);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
}
