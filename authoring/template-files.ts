import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTemplate, type CompiledTemplate, TemplateCompileError } from '#authoring/template-compiler.ts';
import { formatProblem } from './problems.ts';

/** Template names available in a folder (`*.mjml`, partials excluded). */
export const templateNames = (dir: string) =>
  new Set(
    readdirSync(dir)
      .filter((f) => f.endsWith('.mjml'))
      .map((f) => f.slice(0, -'.mjml'.length)),
  );

/** Compiles every template in the folder once (MJML is the slow step; it never runs per recipient). */
export async function compileTemplateFolder(dir: string): Promise<CompiledTemplate[]> {
  const compiled: CompiledTemplate[] = [];
  const errors: string[] = [];
  for (const name of [...templateNames(dir)].sort()) {
    const file = join(dir, `${name}.mjml`);
    const { template, problems } = await buildTemplate(name, readFileSync(file, 'utf8'), file, { templatesDir: dir });
    errors.push(...problems.map(formatProblem));
    compiled.push(template);
  }
  if (errors.length) throw new TemplateCompileError(dir, errors);
  return compiled;
}
