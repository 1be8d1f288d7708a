import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { parseFaults } from '#lib/local/fault-injection.ts';
import { runJob } from '#cli/run/run-job.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;

describe('the demo shop under injected faults', () => {
  it('mails no one twice, and accounts for every queued send', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lm-faults-'));
    const faults = parseFaults('ses-throttle=0.2,ses-error=0.05,ddb-throttle=0.05,crash-before-send=0.05,crash-after-send=0.05,duplicate-events=0.1');
    // Crash rates above issue 5's 0.02: on a 150-customer shop 0.02 can roll no crash at all, and every kind must happen.
    const { summary } = await runJob({ catalog: await buildCatalog(projectPaths(repoRoot)), dataDir, customers: 150, seed: 'faults', quiet: true, faults });

    // Faults really happened, of every kind.
    for (const [kind, n] of Object.entries(summary.faults!.injected)) expect(n, kind).toBeGreaterThan(0);
    expect(summary.faults!.absorbed.retriedSends).toBeGreaterThan(0);

    // Exactly once, as SES saw it: no send id accepted twice…
    expect(summary.guarantees.mailedTwice).toBe(0);
    const sendIds = readdirSync(join(dataDir, 'outbox')).map((f) => /X-Send-ID: (\S+)/i.exec(readFileSync(join(dataDir, 'outbox', f), 'utf8'))![1]);
    expect(new Set(sendIds).size).toBe(sendIds.length);
    // Journey steps went out under the same faults, each once too (their send ids name the journey and entry).
    const journeyIds = Object.keys(summary.journeys);
    const journeySends = sendIds.filter((id) => journeyIds.some((j) => id!.includes(`_${j}-`)));
    expect(journeySends.length).toBeGreaterThan(20);
    expect(new Set(journeySends).size).toBe(journeySends.length);
    // …and every queued send either went out, was refused at send time, or is in the failed-events store with its reason.
    expect(summary.guarantees.unaccountedIds).toEqual([]);
    expect(summary.guarantees.sent).toBeGreaterThan(50);
    expect(summary.guarantees.setAside).toBeGreaterThan(0);
    // Every message SES took is in the ledger as sent: those whose result a crash lost are
    // confirmed by SES's own events; only sends SES never saw stay set aside as unknown.
    expect(summary.guarantees.sent).toBe(sendIds.length);
    expect(summary.guarantees.confirmedBySes).toBe(summary.faults!.injected['crash-after-send']);
  }, 400_000);
});
