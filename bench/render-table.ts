/**
 * Only the rendering rows of `npm run bench`: every shipped template through composeEmail
 * against MJML per recipient, in CPU time (best of five rounds, each round through every template), without the slower areas.
 *
 *   npx tsx bench/render-table.ts [recipients = 20000] [mjml sample = 20]
 */
import { benchRendering } from './rendering.ts';

const root = new URL('..', import.meta.url).pathname;
const [recipients = 20_000, mjmlSample = 20] = process.argv.slice(2).map(Number);
for (const r of await benchRendering(root, { recipients, mjmlSample })) {
  process.stdout.write(`${r.template.padEnd(26)} ${r.precompiledMicros.toFixed(2).padStart(6)} µs/recipient   MJML ${(r.mjmlPerRecipientMicros / 1000).toFixed(2)} ms (${r.speedup.toFixed(0)}×)\n`);
}
