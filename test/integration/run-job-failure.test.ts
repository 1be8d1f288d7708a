import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';

// The replay fails half way; so, afterwards, does stopping the runtime.
vi.mock('#cli/run/replay.ts', async (original) => ({
  ...(await original<typeof import('#cli/run/replay.ts')>()),
  replay: async () => {
    throw new Error('the replay broke');
  },
}));
const { runJob } = await import('#cli/run/run-job.ts');

const repoRoot = resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'lm-run-failure-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('a run that fails', () => {
  it("throws its own error, not the stop's after it, and says the stop's on stderr; the stand-ins are stopped", async () => {
    const stop = LocalRuntime.prototype.stop;
    const stopped: LocalRuntime[] = [];
    const spy = vi.spyOn(LocalRuntime.prototype, 'stop').mockImplementation(async function (this: LocalRuntime) {
      stopped.push(this);
      await stop.call(this);
      throw new Error('the stop broke too');
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(runJob({ catalog: await buildCatalog(projectPaths(repoRoot)), dataDir, customers: 20, seed: 'failure', quiet: true })).rejects.toThrow('the replay broke');
      expect(stderr.mock.calls.map(([line]) => String(line))).toContain('while stopping after the error below: the stop broke too\n');
    } finally {
      stderr.mockRestore();
      spy.mockRestore();
    }
    expect(stopped).toHaveLength(1);
    await expect(fetch(stopped[0]!.services.ses.endpoint)).rejects.toThrow();
  });
});
