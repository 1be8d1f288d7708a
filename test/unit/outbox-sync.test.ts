import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { emlBytes, syncOutbox } from '#lib/local/ses-local.ts';

// A stand-in for the SES stand-in's store API: what it holds now, by message id.
let stored: { messageId: string; raw: string; bytes?: unknown[] }[] = [];
let listed = 0;
/** Requests for a message's bytes to drop without an answer, as a closed connection does. */
let dropped = 0;
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/get-emlContent' && dropped > 0) {
    dropped--;
    return req.socket.destroy();
  }
  res.setHeader('content-type', 'application/json');
  if (url.pathname === '/store') listed++;
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

describe("reading a message's bytes from the stand-in's answer", () => {
  const answerOf = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  const mail = Buffer.from('Subject: Grüße "quoted" ]}\r\n\r\n\u00ff\u0000 body', 'utf8');

  it('gives back the bytes of a serialised Buffer, byte for byte, whatever the other keys hold', () => {
    const answer = answerOf({ messageId: 'ses-1', fileName: 'a "body":{"type":"Buffer","data":[1,2]} subject', body: mail.toJSON() });
    const parse = vi.spyOn(JSON, 'parse');
    expect(emlBytes('ses-1', answer).equals(mail)).toBe(true);
    expect(parse).not.toHaveBeenCalled(); // the stand-in's usual answer is read without JSON.parse
    parse.mockRestore();
    expect(emlBytes('ses-1', answerOf({ body: { type: 'Buffer', data: [] } })).length).toBe(0);
    expect(emlBytes('ses-1', answerOf({ body: { type: 'Buffer', data: [0, 9, 10, 99, 100, 255] } }))).toEqual(Buffer.from([0, 9, 10, 99, 100, 255]));
  });

  it('reads an answer in another layout of the same JSON (spaces, another key order) as the JSON says', () => {
    const spaced = new TextEncoder().encode(JSON.stringify({ body: { data: [72, 105], type: 'Buffer' }, messageId: 'ses-2' }, null, 2));
    expect(emlBytes('ses-2', spaced).toString()).toBe('Hi');
  });

  it('names the message and what is wrong in an answer that is not a Buffer of bytes', () => {
    expect(() => emlBytes('ses-3', answerOf({ body: { type: 'Buffer', data: [83, 256, 10] } }))).toThrow(/message ses-3 .*body\.data: expected an array of bytes/);
    expect(() => emlBytes('ses-4', answerOf({ body: { type: 'Buffer', data: [83, -1] } }))).toThrow(/message ses-4 .*body\.data/);
    expect(() => emlBytes('ses-5', answerOf({ body: { type: 'Buffer', data: [1.5] } }))).toThrow(/message ses-5 .*body\.data/);
    expect(() => emlBytes('ses-6', new TextEncoder().encode('{"body":{"type":"Buffer","data":[1,2'))).toThrow(/message ses-6 .*not JSON/);
  });
});

describe('the outbox copy of messages the caller names', () => {
  it('copies just those messages, without listing the store, and empties it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lm-outbox-ids-'));
    stored = [{ messageId: 'ses-300000001', raw: 'Subject: one\r\n\r\n1' }, { messageId: 'ses-300000002', raw: 'Subject: two\r\n\r\n2' }];
    listed = 0;
    expect(await syncOutbox(endpoint, dir, { sentAt: () => Date.parse('2026-09-20T09:00:00Z'), messageIds: ['ses-300000002'] })).toBe(1);
    expect(listed).toBe(0);
    expect(readdirSync(dir)).toEqual(['ses-300000002.eml']);
    expect(readFileSync(join(dir, 'ses-300000002.eml'), 'utf8')).toBe('Date: Sun, 20 Sep 2026 09:00:00 +0000\r\nSubject: two\r\n\r\n2');
    expect(stored).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks again for a message whose request failed without an answer (a closed connection), and names the address when it keeps failing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lm-outbox-retry-'));
    try {
      stored = [{ messageId: 'ses-200000001', raw: 'Subject: kept\r\n\nbody' }];
      dropped = 2;
      expect(await syncOutbox(endpoint, dir, { messageIds: ['ses-200000001'] })).toBe(1);
      expect(dropped).toBe(0);
      expect(readFileSync(join(dir, 'ses-200000001.eml'), 'utf8')).toContain('kept');
      stored = [{ messageId: 'ses-200000002', raw: 'Subject: lost\r\n\nbody' }];
      dropped = 100;
      await expect(syncOutbox(endpoint, dir, { messageIds: ['ses-200000002'] })).rejects.toThrow(`local SES did not answer GET ${endpoint}/get-emlContent?messageId=ses-200000002 after 4 tries: fetch failed`);
      expect(readdirSync(dir)).toEqual(['ses-200000001.eml']);
    } finally {
      dropped = 0;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
