import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, loadCampaigns } from '#authoring/campaign-files.ts';

function folder(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'campaigns-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const valid = `id: ok
name: OK
trigger: { type: schedule, cron: "0 9 * * *" }
audience: { stages: [declining] }
priority: 10
cooldown: { days: 7 }
template: win-back
subject: Hi
from: { address: a@shop.example.com, name: Shop }
`;

describe('loadCampaigns', () => {
  it('loads valid campaigns', () => {
    expect(loadCampaigns(folder({ 'ok.yaml': valid }), new Set(['win-back'])).map((c) => c.id)).toEqual(['ok']);
  });

  it('names the file, the field and what is wrong, for every broken file at once', () => {
    const dir = folder({
      'ok.yaml': valid,
      'typo.yaml': valid.replace('id: ok', 'id: typo').replace('stages: [declining]', 'stages: [declinning]').replace('priority: 10', 'priority: high'),
      'cond.yaml': valid.replace('id: ok', 'id: cond').replace('audience: { stages: [declining] }', 'audience: { stages: [lapsed], conditions: [{ field: totalSpendd, op: gt, value: 1 }] }'),
      'syntax.yaml': 'id: [unclosed',
      'tpl.yaml': valid.replace('id: ok', 'id: tpl').replace('template: win-back', 'template: nope'),
    });
    let error: unknown;
    try {
      loadCampaigns(dir, new Set(['win-back']));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigFileError);
    const message = (error as Error).message;
    expect(message).toMatch(/typo\.yaml:4: audience\.stages\[0\]: 'declinning' is not a stage; expected one of .*; did you mean declining\?/);
    expect(message).toMatch(/typo\.yaml:5: priority: 'high' is not a number/);
    expect(message).toMatch(/cond\.yaml:4: audience\.conditions\[0\]\.field: 'totalSpendd' is not a customer field; .*did you mean totalSpend\?/);
    expect(message).toMatch(/syntax\.yaml:1: YAML syntax/);
    expect(message).toMatch(/tpl\.yaml:7: template: no templates\/nope\.mjml/);
  });
});

describe('buildCatalog cross-checks the config against the campaigns', () => {
  it('refuses an exempt list naming a campaign that does not exist, naming the setting', async () => {
    const { cpSync, readFileSync } = await import('node:fs');
    const { buildCatalog, projectPaths } = await import('#authoring/catalog-files.ts');
    const repoRoot = new URL('../..', import.meta.url).pathname;
    const root = mkdtempSync(join(tmpdir(), 'project-'));
    for (const dir of ['campaigns', 'templates']) cpSync(join(repoRoot, dir), join(root, dir), { recursive: true });
    const config = readFileSync(join(repoRoot, 'mailer.config.yaml'), 'utf8');
    writeFileSync(join(root, 'mailer.config.yaml'), config.replace(/^quietHours:(.*)\n((?:  .*\n)*)/m, (block) => block.replace(/exempt: \[[^\]]*\]/, 'exempt: [order-folow-up]')));
    await expect(buildCatalog(projectPaths(root))).rejects.toThrow(/quietHours\.exempt: no campaign "order-folow-up"/);
    writeFileSync(join(root, 'mailer.config.yaml'), config);
    expect((await buildCatalog(projectPaths(root))).config.quietHours?.exempt).toEqual(['confirm-subscription']);
  });
});
