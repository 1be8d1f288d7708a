/** `lifecycle-mailer campaigns validate` and `build` as a marketer runs them, on a project with planted mistakes. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyProject, plantedProject } from '../support/project-copy.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin/lifecycle-mailer.js'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });

describe('campaigns validate (the command)', () => {
  it('exits 1 naming every file and line with a mistake, one problem per line, and never prints a stack trace', () => {
    const { root, expected } = plantedProject();
    const run = cli('campaigns', 'validate', '--project', root);
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    for (const e of expected) expect(lines, `${e.file}:${e.line}`).toContainEqual(expect.stringMatching(new RegExp(`^error: ${e.file.replace(/\./g, '\\.')}:${e.line}: `)));
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr).not.toContain(root); // files are named relative to the project
    expect(run.stdout).toBe('');
  });

  it('build refuses the same project without a stack trace and writes no catalog', () => {
    const { root, expected } = plantedProject();
    const out = join(mkdtempSync(join(tmpdir(), 'build-')), 'catalog.json');
    const run = cli('build', '--project', root, '--out', out);
    expect(run.status).not.toBe(0);
    for (const e of expected) expect(run.stderr).toContain(`${e.file}:${e.line}: `);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(out)).toBe(false);
  });

  it('passes the shipped project', () => {
    const run = cli('campaigns', 'validate', '--project', copyProject());
    expect(run.stderr).toBe('');
    const count = (dir: string) => readdirSync(join(repoRoot, dir)).filter((f) => /\.(ya?ml|mjml)$/.test(f)).length;
    expect(run.stdout).toBe(`ok: ${count('campaigns')} campaigns, ${count('templates')} templates\n`);
    expect(run.status).toBe(0);
  });
});
