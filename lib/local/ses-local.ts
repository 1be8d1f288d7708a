import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { z } from 'zod';
import { type ChildService, startChildService } from './child-service.ts';

/** aws-ses-v2-local: the SES v2 API with a web inbox at its root URL. */
export const startSesLocal = (): Promise<ChildService> =>
  startChildService('aws-ses-v2-local', 'aws-ses-v2-local/dist/cli.js', (port) => ['--host', '127.0.0.1', '--port', String(port)], /server running/);

const StoredEmails = z.object({ emails: z.array(z.object({ messageId: z.string() }).passthrough()) });
/** `/get-emlContent` answers JSON with the raw message as a serialised Buffer. */
const EmlContent = z.object({ body: z.object({ type: z.literal('Buffer'), data: z.array(z.number().int()) }) });

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
        const eml = EmlContent.parse(await response.json());
        const raw = Buffer.from(eml.body.data);
        const at = sentAt?.(e.messageId);
        writeFileSync(join(outboxDir, `${e.messageId}.eml`), at === undefined ? raw : withDateHeader(raw, at));
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
