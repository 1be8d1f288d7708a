import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { localDynamoClient, startDynalite } from '#lib/local/dynamodb-local.ts';

const dir = mkdtempSync(join(tmpdir(), 'lm-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Two commands reading the same local tables at once (failed-events and report, say):
// LevelDB lets one process in, so the second waits its turn instead of failing.
describe('local tables held by another process', () => {
  it('the second opener waits until the first lets go, then reads the same files', async () => {
    const first = await startDynalite(dir);
    const released = new Promise<number>((resolve) => setTimeout(() => void first.stop().then(() => resolve(Date.now())), 1500));
    const second = await startDynalite(dir);
    const openedAt = Date.now();
    try {
      expect(openedAt).toBeGreaterThanOrEqual(await released);
      const client = localDynamoClient(second.endpoint);
      await expect(client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
      client.destroy();
    } finally {
      await second.stop();
    }
  }, 60_000);

  it('gives up with a message naming the files once the wait is over', async () => {
    const holder = await startDynalite(dir);
    try {
      await expect(startDynalite(dir, 500)).rejects.toThrow(`the LevelDB files in ${dir} stayed locked by another process for 0.5 s`);
    } finally {
      await holder.stop();
    }
  }, 60_000);
});
