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
 * Copies the messages the local SES accepted into `.eml` files in `outboxDir`, then empties the
 * stand-in's store (it keeps everything in memory). Called between simulated hours, when no send
 * is in flight. Given `messageIds` (a replay knows what it sent) it copies those; otherwise every
 * message in the store not yet `written`, which costs a listing of the store with every message's body.
 */
export interface OutboxSyncOptions {
  /** The web inbox keeps its copies: the stand-in's store is not emptied. */
  keepInInbox?: boolean;
  /** Messages already copied while the store was kept; updated as messages are copied, and cleared with the store. */
  written?: Set<string>;
  /** When (ms) each message was sent on the simulated clock: its `Date:` header, so a mail client sorts the outbox as it was sent. */
  sentAt?: (messageId: string) => number | undefined;
  /** The messages to copy, when the caller knows what it sent; otherwise the store is listed. */
  messageIds?: readonly string[];
}

export async function syncOutbox(sesEndpoint: string, outboxDir: string, options: OutboxSyncOptions = {}): Promise<number> {
  const { keepInInbox = false, written = new Set<string>(), sentAt, messageIds } = options;
  mkdirSync(outboxDir, { recursive: true });
  const ids = messageIds ?? StoredEmails.parse(await (await fetchStandIn(`${sesEndpoint}/store`)).json()).emails.map((e) => e.messageId);
  const limit = pLimit(8);
  const fresh = ids.filter((id) => !written.has(id));
  await Promise.all(
    fresh.map((messageId) =>
      limit(async () => {
        const response = await fetchStandIn(`${sesEndpoint}/get-emlContent?messageId=${encodeURIComponent(messageId)}`);
        if (!response.ok) throw new Error(`local SES could not give message ${messageId}: HTTP ${response.status}`);
        const raw = emlBytes(messageId, new Uint8Array(await response.arrayBuffer()));
        const at = sentAt?.(messageId);
        writeFileSync(join(outboxDir, outboxFileName(outboxDir, messageId)), at === undefined ? raw : withDateHeader(raw, at));
        written.add(messageId);
      }),
    ),
  );
  if (!keepInInbox) {
    await fetchStandIn(`${sesEndpoint}/clear-store`, { method: 'POST' });
    written.clear();
  }
  return fresh.length;
}

/** Tries of one request to the stand-in's store API before its failure ends the run. */
const STAND_IN_TRIES = 4;

/**
 * A request to the stand-in's store API (each one safe to repeat: a read, or emptying the store).
 * A request that fails before any answer is tried again. The usual cause is a kept-alive
 * connection the stand-in closed just as it was reused ("other side closed"), which happens when
 * the copy runs beside the sends. The last failure names the address and the cause.
 */
export async function fetchStandIn(url: string, init?: RequestInit, tries = STAND_IN_TRIES): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (attempt >= tries) {
        const cause = (error as { cause?: { message?: string; code?: string } }).cause;
        throw new Error(`local SES did not answer ${init?.method ?? 'GET'} ${url} after ${tries} tries: ${(error as Error).message}${cause ? ` (${cause.code ?? ''}${cause.code ? ': ' : ''}${cause.message ?? ''})` : ''}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

const BYTES_START = Buffer.from('"body":{"type":"Buffer","data":[');
const [COMMA, CLOSE, BRACE, ZERO, NINE] = [0x2c, 0x5d, 0x7d, 0x30, 0x39];

/**
 * The bytes of the serialised Buffer that ends the answer (`…"body":{"type":"Buffer","data":[…]}}`,
 * as the stand-in writes it), read digit by digit; undefined for anything else (spaces, another key
 * order, a number that is not a byte as JSON writes it). Quotes inside JSON strings are escaped,
 * so the unescaped marker names the body's array wherever it comes.
 */
function serialisedBufferAtEnd(answer: Buffer): Buffer | undefined {
  const start = answer.indexOf(BYTES_START);
  if (start < 0) return undefined;
  let i = start + BYTES_START.length;
  // Every byte takes at least two characters (a digit and a comma or the closing bracket).
  const out = Buffer.allocUnsafe(Math.ceil((answer.length - i) / 2));
  let n = 0;
  if (answer[i] === CLOSE) i++;
  else
    for (;;) {
      const first = i;
      let value = 0;
      for (let c = answer[i]; c !== undefined && c >= ZERO && c <= NINE; c = answer[++i]) value = value * 10 + c - ZERO;
      const digits = i - first;
      if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && answer[first] === ZERO)) return undefined;
      out[n++] = value;
      const separator = answer[i++];
      if (separator === CLOSE) break;
      if (separator !== COMMA) return undefined;
    }
  return answer[i] === BRACE && answer[i + 1] === BRACE && i + 2 === answer.length ? out.subarray(0, n) : undefined;
}

/**
 * The raw message in `/get-emlContent`'s answer: JSON whose `body` is a serialised Buffer, an array
 * of byte numbers, ~3.5 characters per byte of mail. The usual answer is read without building the
 * JSON's array of numbers (JSON.parse and a check of each element cost more than the rest of the
 * copy); any other answer is parsed as JSON and checked by the schema, which names what is wrong.
 */
export function emlBytes(messageId: string, answer: Uint8Array): Buffer {
  const text = Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength);
  const bytes = serialisedBufferAtEnd(text);
  if (bytes) return bytes;
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (error) {
    throw new Error(`local SES gave message ${messageId} in a form this cannot read: not JSON (${(error as Error).message})`);
  }
  const parsed = EmlContent.safeParse(json);
  if (!parsed.success) throw new Error(`local SES gave message ${messageId} in a form this cannot read: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return Buffer.from(parsed.data.body.data);
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
