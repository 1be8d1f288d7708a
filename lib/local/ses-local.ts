import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { z } from 'zod';
import { type ClientOptions, createSesClient } from '#adapters/aws-clients.ts';
import { type ChildService, startChildService } from './child-service.ts';

/** aws-ses-v2-local: the SES v2 API with a web inbox at its root URL. */
export const startSesLocal = (): Promise<ChildService> =>
  startChildService('aws-ses-v2-local', 'aws-ses-v2-local/dist/cli.js', (port) => ['--host', '127.0.0.1', '--port', String(port)], /server running/);

/**
 * The stand-in's timeouts. In AWS, 10 s without an answer means SES may be stuck; here the
 * stand-in is a process on this machine, and what 10 s measures is the machine's load. The SDK's
 * request timeout is a timer from the call's start, and after this process stalls (a busy shared
 * machine, a long synchronous stretch of a replay) timers run before the answer already waiting
 * in the socket is read: a send the stand-in took would be 'outcome unknown' and set aside.
 * A stand-in that really hangs still fails the call, after minutes instead of seconds.
 */
export const LOCAL_SES_TIMEOUTS = { connectionMs: 60_000, requestMs: 300_000 };

/**
 * The SES client of the local runtime: never retried by the SDK (a retried timeout could mail
 * twice), the timeouts above, and a connection per call. The stand-in (Node's HTTP server) closes
 * a connection idle for 5 s; a busy replay process can hand a call to such a connection before it
 * has read the close, and the call ends in "socket hang up" with no answer: outcome unknown, set
 * aside, though the stand-in never saw it. A fresh loopback connection costs well under a millisecond.
 */
export const createLocalSesClient = (endpoint: string, options: Pick<ClientOptions, 'region' | 'credentials'>) =>
  createSesClient({ ...options, endpoint, maxAttempts: 1, timeouts: LOCAL_SES_TIMEOUTS, keepAlive: false });

const StoredEmails = z.object({ emails: z.array(z.object({ messageId: z.string() }).passthrough()) });
/** A serialised Buffer's bytes, checked in one loop: a message is tens of thousands of them, and a per-element schema cost more than the rest of the copy. */
const Bytes = z.custom<number[]>((v) => Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255), { message: 'expected an array of bytes (integers 0 to 255)' });
/** `/get-emlContent` answers JSON with the raw message as a serialised Buffer. */
const EmlContent = z.object({ body: z.object({ type: z.literal('Buffer'), data: Bytes }) });

/**
 * Copies every message the local SES accepted into `.eml` files in `outboxDir`, then
 * empties the stand-in's store (it keeps everything in memory). Called between simulated
 * hours, when no send is in flight; with `keepInInbox` the web inbox keeps its copies.
 */
export async function syncOutbox(
  sesEndpoint: string,
  outboxDir: string,
  keepInInbox = false,
  written = new Set<string>(),
  /** When (ms) each message was sent on the simulated clock: its `Date:` header, so a mail client sorts the outbox as it was sent. */
  sentAt?: (messageId: string) => number | undefined,
): Promise<number> {
  mkdirSync(outboxDir, { recursive: true });
  const store = StoredEmails.parse(await (await fetch(`${sesEndpoint}/store`)).json());
  const limit = pLimit(8);
  const fresh = store.emails.filter((e) => !written.has(e.messageId));
  await Promise.all(
    fresh.map((e) =>
      limit(async () => {
        const response = await fetch(`${sesEndpoint}/get-emlContent?messageId=${encodeURIComponent(e.messageId)}`);
        if (!response.ok) throw new Error(`local SES could not give message ${e.messageId}: HTTP ${response.status}`);
        const parsed = EmlContent.safeParse(await response.json());
        if (!parsed.success) throw new Error(`local SES gave message ${e.messageId} in a form this cannot read: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        const eml = parsed.data;
        const raw = Buffer.from(eml.body.data);
        const at = sentAt?.(e.messageId);
        writeFileSync(join(outboxDir, outboxFileName(outboxDir, e.messageId)), at === undefined ? raw : withDateHeader(raw, at));
        written.add(e.messageId);
      }),
    ),
  );
  if (!keepInInbox) {
    await fetch(`${sesEndpoint}/clear-store`, { method: 'POST' });
    written.clear();
  }
  return fresh.length;
}

/**
 * The stand-in draws message ids at random from 900 million (`ses-` and nine digits), so a
 * replay of thousands of sends can draw one twice after the store was emptied: the later
 * message gets `<id>-2.eml` (and so on) instead of overwriting the earlier one's file.
 */
export function outboxFileName(outboxDir: string, messageId: string): string {
  let name = `${messageId}.eml`;
  for (let n = 2; existsSync(join(outboxDir, name)); n++) name = `${messageId}-${n}.eml`;
  return name;
}

/** RFC 5322 date-time in UTC, e.g. `Sun, 20 Sep 2026 09:00:00 +0000`. */
export const rfc5322Date = (ms: number): string => new Date(ms).toUTCString().replace(/GMT$/, '+0000');

/**
 * The message with its `Date:` header set to `ms` (replacing the one there, or added first).
 * Only the header block is touched; the body's bytes stay as they are.
 */
export function withDateHeader(raw: Buffer, ms: number): Buffer {
  const text = raw.toString('latin1'); // byte for byte, whatever the body's charset
  const split = /\r?\n\r?\n/.exec(text);
  const headerEnd = split ? split.index : text.length;
  const eol = /\r\n/.test(text.slice(0, headerEnd + 2)) ? '\r\n' : '\n';
  const lines = text.slice(0, headerEnd).split(/\r?\n/);
  const date = `Date: ${rfc5322Date(ms)}`;
  const out: string[] = [];
  let replaced = false;
  for (let i = 0; i < lines.length; i++) {
    if (/^date:/i.test(lines[i]!)) {
      while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1]!)) i++; // a folded Date: goes with it
      if (!replaced) out.push(date);
      replaced = true;
    } else out.push(lines[i]!);
  }
  if (!replaced) out.unshift(date);
  return Buffer.from(out.join(eol) + text.slice(headerEnd), 'latin1');
}
