import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CompiledTemplate, compileTemplate, TemplateCompileError } from '#authoring/template-compiler.ts';

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
    try {
      compiled.push(await compileTemplate(name, readFileSync(file, 'utf8'), file));
    } catch (error) {
      if (error instanceof TemplateCompileError) errors.push(error.message);
      else throw error;
    }
  }
  if (errors.length) throw new TemplateCompileError(dir, errors);
  return compiled;
}
