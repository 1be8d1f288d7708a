/**
 * The real `lifecycle-mailer` command (node bin/lifecycle-mailer.js): every bad argument is one
 * line on stderr and exit code 2, never a stack trace; `campaigns preview` with each of its
 * options, a real customer read from the local tables; `failed-events` against tables with
 * planted failures (dynalite through the local runtime, then the CLI opening the same files).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pLimit from 'p-limit';
import { buildCatalog, projectPaths } from '#authoring/catalog-files.ts';
import { FailedEvent } from '#adapters/failed-event-store.ts';
import { buildSendRequest } from '#domain/send-request.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import { consentingCustomer } from '../support/profiles.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;
const AT = '2026-10-05T09:00:00.000Z';
let dataDir: string;
let scratch: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
// Two at a time: each run starts node and tsx, and the machine is shared.
const limit = pLimit(2);
const cli = (args: string[], cwd = repoRoot): Promise<Result> =>
  limit(() =>
    promisify(execFile)(process.execPath, [join(repoRoot, 'bin/lifecycle-mailer.js'), ...args], { cwd }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    ),
  );

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lm-cli-'));
  scratch = mkdtempSync(join(tmpdir(), 'lm-cli-scratch-'));
  const catalog = await buildCatalog(projectPaths(repoRoot));
  const runtime = await LocalRuntime.start({ catalog, start: AT, dataDir });
  try {
    await runtime.customers.save({ ...consentingCustomer('real-1', AT, { firstName: 'Ada', locale: 'de-DE', stage: 'growing', orderCount: 3 }), version: 1 });
    const welcome = catalog.campaigns.find((c) => c.id === 'welcome')!;
    const request = buildSendRequest(welcome, 'real-1', AT, 'schedule');
    await runtime.failedEvents.record('ingest', 'evt-1', 'detail.email: Invalid email address', { id: 'evt-1', detail: { customerId: 'c-9', email: 'nope' } }, '2026-10-05T09:01:00.000Z');
    await runtime.failedEvents.record('send', request.sendId, 'customer real-1 has no email address', request, '2026-10-05T09:02:00.000Z');
    await runtime.failedEvents.record('engagement', 'ses-3', 'unknown customer c-404', { id: 'ses-3', detail: { mail: { tags: { customer: ['c-404'] } } } }, '2026-10-05T09:03:00.000Z');
  } finally {
    await runtime.stop(); // dynalite holds the LevelDB files; the CLI opens them itself
  }
}, 120_000);
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

const oneLine = (r: Result) => {
  expect(r.stderr.endsWith('\n'), r.stderr).toBe(true);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).toMatch(/^error: /);
};

describe.concurrent('a bad argument is one line and exit code 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['a month 13', ['run', '--from', '2026-13-01'], /'--from <date>' argument '2026-13-01' is invalid\. not a date/],
    ['a date in another shape', ['run', '--to', '01/03/2026'], /'--to <date>' argument '01\/03\/2026' is invalid\. not a date: expected YYYY-MM-DD/],
    ['--from after --to', ['run', '--from', '2026-03-01', '--to', '2026-02-01'], /^error: --from 2026-03-01 must be on or before --to 2026-02-01$/m],
    ['a count that is not a number', ['run', '--customers', 'abc'], /'--customers <n>' argument 'abc' is invalid\. expected a whole number/],
    ['a negative send rate', ['run', '--send-rate', '-1'], /'--send-rate <n>' argument '-1' is invalid\. expected a number greater than 0/],
    ['an unknown fault', ['run', '--faults', 'bogus=0.1'], /'--faults <spec>' argument 'bogus=0\.1' is invalid\. unknown fault 'bogus' \(known: ses-throttle, /],
    ['a fault probability above 1', ['run', '--faults', 'ses-error=2'], /ses-error=<probability between 0 and 1>/],
    ['a missing order log', ['run', '--orders', 'missing.txt'], /'--orders <file>' argument 'missing\.txt' is invalid\. no such file/],
    ['a missing order log for models fit', ['models', 'fit', '--orders', 'missing.txt', '--calibration-end', '1997-09-30'], /'--orders <file>' argument 'missing\.txt' is invalid\. no such file/],
    ['a bad calibration end', ['models', 'fit', '--orders', 'data/cdnow/CDNOW_sample.txt', '--calibration-end', '1997-02-30'], /'--calibration-end <date>' argument '1997-02-30' is invalid\. not a date/],
    ['an unknown campaign id to preview', ['campaigns', 'preview', 'no-such'], /^error: unknown campaign 'no-such' \(campaigns: abandoned-cart, .*welcome/],
    ['an unknown journey id to simulate', ['journeys', 'simulate', 'welcome-serie', '--events', 'package.json'], /^error: unknown journey 'welcome-serie' in .*journeys \(journeys: abandoned-cart, .*\); did you mean 'welcome-series'\?$/m],
    ['an unknown stage', ['campaigns', 'preview', 'welcome', '--stage', 'vip'], /'--stage <stage>' argument 'vip' is invalid\. Allowed choices are prospect, /],
    ['an unknown variant', ['campaigns', 'preview', 'welcome', '--variant', 'zz'], /^error: campaign welcome has no variant 'zz' \(variants: a, b\)$/m],
    ['an unknown persona', ['campaigns', 'preview', 'welcome', '--persona', 'bogus'], /^error: no persona 'bogus'; expected one of prospect, exploring, /],
    ['a bad locale', ['campaigns', 'preview', 'welcome', '--locale', 'not a locale'], /'--locale <tag>' argument 'not a locale' is invalid/],
    ['an unknown failed-events stage', ['failed-events', '--stage', 'nope'], /Allowed choices are ingest, segment, send, engagement, import, confirm/],
    ['a missing project folder', ['--project', 'no-such-folder', 'campaigns', 'validate'], /'--project <dir>' argument 'no-such-folder' is invalid\. no such folder/],
    ['an unknown command', ['deploy'], /^error: unknown command 'deploy'/],
    ['an unknown option', ['run', '--colour'], /^error: unknown option '--colour'/],
  ];
  it.each(cases)('%s', async (_, args, message) => {
    // A scratch data dir: nothing here may touch the planted tables (run clears its data dir).
    const r = await cli([...args, ...(args[0] === 'run' || args[0] === 'failed-events' ? ['--data-dir', scratch] : [])]);
    expect(r.code, r.stderr).toBe(2);
    oneLine(r);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  }, 60_000);

  it('--debug adds the stack trace', async () => {
    const r = await cli(['campaigns', 'preview', 'welcome', '--persona', 'bogus', '--debug']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: no persona 'bogus'/);
    expect(r.stderr).toMatch(/^UnknownPersonaError: no persona 'bogus'.*\n\s+at personaById /m);
  }, 60_000);

  it('missing local tables are a failure (exit 1), named', async () => {
    const r = await cli(['failed-events', '--data-dir', join(scratch, 'never-run')]);
    expect(r.code).toBe(1);
    oneLine(r);
    expect(r.stderr).toContain(`no local tables in ${join(scratch, 'never-run', 'dynamodb')}: run \`npm start\` first`);
  }, 60_000);
});

describe('models fit on a log it cannot fit', () => {
  it('prints the fit marked NOT USABLE, writes no scores and exits 1 with one line', async () => {
    // 40 customers with the same history: nothing to tell them apart, the BG/NBD shapes run off.
    const lines = ['customer_id,date,quantity,amount'];
    for (let c = 0; c < 40; c++) for (let w = 0; w < 5; w++) lines.push(`c${c},${new Date(Date.parse('2024-01-01') + w * 35 * 86_400_000).toISOString().slice(0, 10)},1,30`);
    const orders = join(scratch, 'same.csv');
    writeFileSync(orders, `${lines.join('\n')}\n`);
    const scores = join(scratch, 'same-scores.csv');
    const r = await cli(['models', 'fit', '--orders', orders, '--format', 'csv', '--calibration-end', '2024-05-10', '--scores', scores]);
    expect(r.code).toBe(1);
    oneLine(r);
    expect(r.stderr).toMatch(/^error: the model fit is not usable, its scores must not be used: BG\/NBD did not converge/);
    expect(r.stdout).toMatch(/converged: NO/);
    expect(r.stdout).toMatch(/^NOT USABLE: /m);
    expect(existsSync(scores)).toBe(false);
  }, 60_000);
});

describe('campaigns preview', () => {
  const preview = (id: string, ...args: string[]) => cli(['campaigns', 'preview', id, '--out', join(scratch, `${id}-${args.join('_').replace(/[^a-z0-9_-]/gi, '')}.html`), ...args]);
  const html = (r: Result) => readFileSync(/wrote (\S+) and the text part/.exec(r.stdout)![1]!, 'utf8');

  it('renders the typical customer of the campaign stage by default, and says who, which variant and locale', async () => {
    const r = await preview('welcome');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Rendered welcome for persona 'prospect' \(a typical prospect customer\): stage prospect, variant (a|b), locale en-US$/m);
  }, 60_000);

  it('--persona: the awkward names come out escaped', async () => {
    const r = await preview('welcome', '--persona', 'hostile-name');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/for persona 'hostile-name' .*: stage stable, /);
    expect(html(r)).toContain('&lt;script&gt;');
    expect(html(r)).not.toContain('<script>alert(1)');
  }, 60_000);

  it('--stage, --variant and --locale change the customer and the variant', async () => {
    const [stage, variantA, variantB, locale] = await Promise.all([
      preview('welcome', '--stage', 'growing'),
      preview('welcome', '--variant', 'a', '--persona', 'growing'),
      preview('welcome', '--variant', 'b', '--persona', 'growing'),
      preview('welcome', '--locale', 'ja-jp'),
    ]);
    expect(stage.stdout).toMatch(/for persona 'growing' .*: stage growing, /);
    expect(variantA.stdout).toMatch(/variant a, locale en-US\nSubject: Welcome, Zoë: 10% off your first order\n/);
    expect(variantB.stdout).toMatch(/variant b, locale en-US\nSubject: Zoë, here is 10% off to get you started\n/);
    expect(locale.stdout).toMatch(/: stage prospect, variant (a|b), locale ja-JP\n/);
    for (const r of [stage, variantA, variantB, locale]) expect(r.code, r.stderr).toBe(0);
  }, 60_000);

  it('--customer renders a real customer read from the local tables of the last run', async () => {
    const r = await preview('welcome', '--customer', 'real-1', '--data-dir', dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Rendered welcome for customer real-1: stage growing, variant (a|b), locale de-DE$/m);
    expect(r.stdout).toMatch(/^Subject: .*Ada/m);
    const unknown = await preview('welcome', '--customer', 'nobody', '--data-dir', dataDir);
    expect(unknown.code).toBe(2);
    oneLine(unknown);
    expect(unknown.stderr).toMatch(/^error: --customer nobody: no such customer in local table lifecycle-customers/);
  }, 60_000);
});

describe('failed-events', () => {
  it('lists what was set aside: when, stage, the key, the customer and the reason', async () => {
    const r = await cli(['failed-events', '--data-dir', dataDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`3 failed event(s) (local table lifecycle-failed-events in ${join(dataDir, 'dynamodb')}):`);
    expect(lines[1]).toMatch(/^when\s+stage\s+key\s+customer\s+reason$/);
    expect(lines[2]).toMatch(/^2026-10-05T09:01:00\.000Z\s+ingest\s+evt-1\s+c-9\s+detail\.email: Invalid email address$/);
    expect(lines[3]).toMatch(/^2026-10-05T09:02:00\.000Z\s+send\s+welcome_once_real-1\s+real-1\s+customer real-1 has no email address$/);
    expect(lines[4]).toMatch(/^2026-10-05T09:03:00\.000Z\s+engagement\s+ses-3\s+c-404\s+unknown customer c-404$/);
    expect(lines).toHaveLength(6);
  }, 60_000);

  it('--stage filters, --json prints the records with their payloads', async () => {
    const [send, json, confirm] = await Promise.all([
      cli(['failed-events', '--data-dir', dataDir, '--stage', 'send']),
      cli(['failed-events', '--data-dir', dataDir, '--json']),
      cli(['failed-events', '--data-dir', dataDir, '--stage', 'confirm']),
    ]);
    expect(send.stdout).toMatch(/^1 failed event\(s\) at stage send /);
    expect(send.stdout).not.toContain('evt-1');
    const records = FailedEvent.array().parse(JSON.parse(json.stdout));
    expect(records.map((f) => [f.stage, f.reason])).toEqual([
      ['ingest', 'detail.email: Invalid email address'],
      ['send', 'customer real-1 has no email address'],
      ['engagement', 'unknown customer c-404'],
    ]);
    expect(JSON.parse(records[1]!.payload)).toMatchObject({ campaignId: 'welcome', customerId: 'real-1' });
    expect(confirm.stdout).toMatch(/^No failed events at stage confirm /);
    for (const r of [send, json, confirm]) expect(r.code, r.stderr).toBe(0);
  }, 60_000);
});

describe('commands loaded on demand', () => {
  it('every command the top-level help lists answers its own --help (only its module is loaded)', async () => {
    const top = await cli(['--help']);
    expect(top.code, top.stderr).toBe(0);
    const listed = [...top.stdout.split('Commands:')[1]!.matchAll(/^  ([a-z-]+)/gm)].map((m) => m[1]!).filter((name) => name !== 'help');
    expect(listed).toEqual(expect.arrayContaining(['run', 'campaigns', 'build', 'report', 'journeys', 'privacy', 'failed-events', 'resume', 'cost']));
    const helps = await Promise.all(listed.map((name) => cli([name, '--help'])));
    helps.forEach((r, i) => {
      expect(r.code, `${listed[i]}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: lifecycle-mailer ${listed[i]} `));
    });
  }, 120_000);
});

describe('build', () => {
  it('writes cdk.out/catalog.json on a fresh clone (creates the folder)', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'lm-fresh-'));
    try {
      const r = await cli(['--project', repoRoot, 'build'], fresh);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(fresh, 'cdk.out', 'catalog.json'))).toBe(true);
      expect(JSON.parse(readFileSync(join(fresh, 'cdk.out', 'catalog.json'), 'utf8'))).toMatchObject({ campaigns: expect.arrayContaining([expect.objectContaining({ id: 'welcome' })]) });
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 60_000);
});
