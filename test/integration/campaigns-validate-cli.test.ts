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

  it('passes the shipped project, warning of the languages each campaign lacks (the demo shop\'s locales when there are no local tables)', () => {
    const run = cli('campaigns', 'validate', '--project', copyProject(), '--data-dir', mkdtempSync(join(tmpdir(), 'no-tables-')));
    const warnings = run.stderr.trim().split('\n');
    const campaignFiles = readdirSync(join(repoRoot, 'campaigns')).filter((f) => f.endsWith('.yaml'));
    const templateFiles = readdirSync(join(repoRoot, 'templates')).filter((f) => f.endsWith('.mjml'));
    const translations = templateFiles.filter((f) => /\.[a-z]{2}\.mjml$/.test(f)).length;
    // Every campaign lacks at least one of the demo shop's ten locales, so each gets one warning.
    expect(warnings).toHaveLength(campaignFiles.length);
    expect(warnings).toContain("warning: campaigns/welcome.yaml: locales: no copy for customers in es-ES, fr-FR, pt-BR, zh-CN (the demo shop's locales): they get the English email");
    expect(warnings).toContain("warning: campaigns/win-back.yaml: locales: no copy for customers in de-DE, es-ES, fr-FR, ja-JP, pt-BR, zh-CN (the demo shop's locales): they get the English email");
    expect(run.stdout).toBe(`ok: ${campaignFiles.length} campaigns, ${templateFiles.length} templates (${translations} translations), ${campaignFiles.length} warnings\n`);
    expect(run.status).toBe(0);
  });
});
