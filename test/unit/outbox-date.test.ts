import { describe, expect, it } from 'vitest';
import { rfc5322Date, withDateHeader } from '#lib/local/ses-local.ts';

const at = Date.parse('2026-09-20T09:00:07.450Z');

describe("the outbox's Date: header (the simulated send time)", () => {
  it('replaces the date the stand-in stamped, keeping CRLF line ends and the body byte for byte', () => {
    const body = 'Date: not a header here\r\n\r\nGr\xfc\xdfe\r\n';
    const raw = Buffer.from(`From: a@example.com\r\nDate: Tue, 01 Dec 2026 19:49:52 +0000\r\nSubject: hi\r\n\r\n${body}`, 'latin1');
    const out = withDateHeader(raw, at).toString('latin1');
    expect(out).toBe(`From: a@example.com\r\nDate: Sun, 20 Sep 2026 09:00:07 +0000\r\nSubject: hi\r\n\r\n${body}`);
  });

  it('replaces a folded Date: with its continuation line, and leaves one Date: where there were two', () => {
    const raw = Buffer.from('Date: Tue, 01 Dec 2026\n 19:49:52 +0000\nX-A: 1\nDate: Wed, 02 Dec 2026 10:00:00 +0000\n\nbody\n');
    expect(withDateHeader(raw, at).toString()).toBe('Date: Sun, 20 Sep 2026 09:00:07 +0000\nX-A: 1\n\nbody\n');
  });

  it('adds a Date: when the message has none', () => {
    expect(withDateHeader(Buffer.from('Subject: x\r\n\r\nbody'), at).toString()).toBe('Date: Sun, 20 Sep 2026 09:00:07 +0000\r\nSubject: x\r\n\r\nbody');
  });

  it('writes RFC 5322 dates that parse back to the second', () => {
    expect(rfc5322Date(at)).toBe('Sun, 20 Sep 2026 09:00:07 +0000');
    expect(Date.parse(rfc5322Date(at))).toBe(Math.floor(at / 1000) * 1000);
  });
});
