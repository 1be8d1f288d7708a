import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syncOutbox } from '#lib/local/ses-local.ts';

// A stand-in for the SES stand-in's store API: what it holds now, by message id.
let stored: { messageId: string; raw: string; bytes?: unknown[] }[] = [];
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  res.setHeader('content-type', 'application/json');
  if (url.pathname === '/store') return res.end(JSON.stringify({ emails: stored.map((e) => ({ messageId: e.messageId })) }));
  if (url.pathname === '/get-emlContent') {
    const email = stored.find((e) => e.messageId === url.searchParams.get('messageId'));
    return res.end(JSON.stringify({ body: { type: 'Buffer', data: email!.bytes ?? [...Buffer.from(email!.raw)] } }));
  }
  if (url.pathname === '/clear-store') stored = [];
  return res.end('{}');
});
const endpoint = await new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
const outbox = mkdtempSync(join(tmpdir(), 'lm-outbox-'));
afterAll(() => {
  server.close();
  rmSync(outbox, { recursive: true, force: true });
});

describe('the outbox copy of the local SES store', () => {
  it('keeps both messages when the stand-in draws the same message id twice (after its store was emptied)', async () => {
    stored = [{ messageId: 'ses-618951708', raw: 'Subject: first\r\n\r\none' }];
    await syncOutbox(endpoint, outbox);
    stored = [{ messageId: 'ses-618951708', raw: 'Subject: second\r\n\r\ntwo' }, { messageId: 'ses-100000001', raw: 'Subject: third\r\n\r\nthree' }];
    await syncOutbox(endpoint, outbox);
    expect(readdirSync(outbox).sort()).toEqual(['ses-100000001.eml', 'ses-618951708-2.eml', 'ses-618951708.eml']);
    expect(readFileSync(join(outbox, 'ses-618951708.eml'), 'utf8')).toContain('first');
    expect(readFileSync(join(outbox, 'ses-618951708-2.eml'), 'utf8')).toContain('second');
  });

  it('names the message whose bytes the stand-in gave in a form it cannot read, and writes nothing for it', async () => {
    stored = [{ messageId: 'ses-200000002', raw: '', bytes: [83, 256, 10] }];
    await expect(syncOutbox(endpoint, outbox)).rejects.toThrow(/message ses-200000002 .*body\.data: expected an array of bytes/);
    stored = [{ messageId: 'ses-200000003', raw: '', bytes: [83, 'x'] }];
    await expect(syncOutbox(endpoint, outbox)).rejects.toThrow(/message ses-200000003/);
    expect(readdirSync(outbox).filter((f) => f.startsWith('ses-2'))).toEqual([]);
  });
});
