/**
 * The local runtime's sends on a loaded machine. A replay on a shared 2-core machine can stall
 * this process for seconds; the SDK's request timeout is a timer from the call's start, and after
 * a stall timers run before the stand-in's answer (already in the socket) is read. With SES's
 * production timeout (10 s) such a send was 'outcome unknown' and set aside although the stand-in
 * had taken it. The runtime's SES client has timeouts sized for a stand-in on this machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { SES_TIMEOUTS } from '#adapters/aws-clients.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { campaignsWithoutJourneys } from '../support/campaigns-without-journeys.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
let runtime: LocalRuntime;

/** Holds this process's event loop, as a busy machine or a long synchronous stretch does. */
const stall = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};
const stored = async () => ((await (await fetch(`${runtime.services.ses.endpoint}/store`)).json()) as { emails: { messageId: string }[] }).emails;

beforeAll(async () => {
  runtime = await LocalRuntime.start({ catalog: campaignsWithoutJourneys(await buildCatalog(projectPaths(repoRoot))), start: '2026-10-07T10:00:00.000Z' });
}, 60_000);
afterAll(async () => runtime?.stop());

describe('the local runtime against its SES stand-in', () => {
  it('a send during a stall longer than the production SES timeout goes through once (not outcome unknown)', async () => {
    let stalled = false;
    // Right after the request has left (the last step before the HTTP handler), stall once past the timeout.
    runtime.ses.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'SendEmailCommand' && !stalled) {
          stalled = true;
          setImmediate(() => stall(SES_TIMEOUTS.requestMs + 1_000));
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'stallAfterRequest', priority: 'low' },
    );
    const email = { from: 'shop@example.com', to: 'c1@example.com', subject: 's', html: '<p>h</p>', text: 't', headers: [], tags: [], configurationSet: 'lifecycle-marketing' };
    const messageId = await runtime.mailer.send(email);
    expect(stalled).toBe(true);
    expect((await stored()).map((m) => m.messageId)).toEqual([messageId]);
  }, 40_000);
});
