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
export async function syncOutbox(sesEndpoint: string, outboxDir: string, keepInInbox = false, written = new Set<string>()): Promise<number> {
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
        writeFileSync(join(outboxDir, `${e.messageId}.eml`), Buffer.from(eml.body.data));
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
