import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildReport, DEFAULT_CONVERSION_DAYS } from '#cli/report/build-report.ts';
import type { CrmReport } from '#cli/report/crm-report.ts';
import { renderReportHeadline } from '#cli/report/headline.ts';
import { readSnapshot, reportTables } from '#cli/report/read-tables.ts';
import { renderReportHtml } from '#cli/report/render-html.ts';
import { DemoResponse, type TrueEffect, trueEffects } from './demo-response.ts';
import { compareWithTruth, type TruthRow, truthLines } from './demo-truth.ts';
import { SingleBar, Presets } from 'cli-progress';
import type { Catalog } from '#domain/catalog.ts';
import { type OrderLogFormat, parseOrderLog } from '#cli/run/order-log.ts';
import { DEFAULT_DEMO_SHOP, type DemoScenario, generateDemoShop } from './demo-shop.ts';
import type { FaultPlan } from '#lib/local/fault-injection.ts';
import { LocalRuntime } from '#lib/local/local-runtime.ts';
import type { RecipientBehaviour } from '#lib/local/ses-event-emulator.ts';
import { orderLogImport } from './order-log-events.ts';
import { replay, type ReplayProgress } from './replay.ts';
import { formatSummary, loyaltySnapshot, type RunSummary, summariseRun } from './run-summary.ts';
import { syncOutbox } from '#lib/local/ses-local.ts';
import type { ShopEventInput } from './shop-event-input.ts';

export interface RunJobOptions {
  catalog: Catalog;
  dataDir: string;
  orders?: { file: string; format: OrderLogFormat };
  /** Import the log's customers who have no consent in it with consent (`--assume-consent`). */
  assumeConsent?: boolean;
  from?: string;
  to?: string;
  customers?: number;
  seed?: string;
  /** The demo shop's list: healthy (the default) or dirty-list (the guardrail pauses). */
  scenario?: DemoScenario;
  summaryFile?: string;
  /** Keep the stand-ins running afterwards (the local inbox stays open). */
  serve?: boolean;
  quiet?: boolean;
  unsubscribeBaseUrl?: string;
  faults?: FaultPlan;
  /** How often the emulated recipients unsubscribe and re-subscribe through the emails' links. */
  recipients?: Partial<RecipientBehaviour>;
  /** Sends per second instead of the configured SES max send rate. */
  sendRate?: number;
  /** Pace sends in real time instead of simulated seconds (default: with serve). */
  realtime?: boolean;
  /** How the history is imported (LocalRuntimeOptions.historyImport); 'per-event' only to check that both decide the same. */
  historyImport?: 'buffered' | 'per-event';
  /** Whether the runtime answers reads of items it just read or wrote from memory (LocalRuntimeOptions.reads); 'table' only to check that both decide the same. */
  reads?: 'cached' | 'table';
  /** Whether the busiest tables are held in process and written behind (LocalRuntimeOptions.writes); by default, unless serving (a person may read the tables meanwhile). */
  writes?: 'behind' | 'table';
  /** Run the unsubscribe function on a local port and point the links at it (default: with serve). */
  serveUnsubscribe?: boolean;
}

const DAY = 86_400_000;
/** Days of messages the SES stand-in keeps before the outbox empties it (it holds them in memory). */
const OUTBOX_STORE_DAYS = 7;

/**
 * A bar on a terminal; otherwise (CI, a replay run in the background, a log file) one line
 * per tenth of each phase, so a long run still shows where it is and how fast it goes.
 */
function progressBar(quiet: boolean): ReplayProgress {
  if (quiet) return { phase: () => undefined, tick: () => undefined, done: () => undefined };
  if (!process.stderr.isTTY) return progressLines((line) => process.stderr.write(line + '\n'));
  const bar = new SingleBar({ format: '{phase} [{bar}] {value}/{total} {eta_formatted}', hideCursor: true, stream: process.stderr }, Presets.shades_classic);
  return {
    phase: (phase, total) => bar.start(total, 0, { phase: phase.padEnd(18) }),
    tick: (n = 1) => bar.increment(n),
    done: () => bar.stop(),
  };
}

export function progressLines(write: (line: string) => void, now: () => number = Date.now): ReplayProgress {
  let name = '';
  let total = 0;
  let value = 0;
  let step = 0;
  let startedAt = 0;
  const elapsed = () => `${Math.round((now() - startedAt) / 1000)} s`;
  return {
    phase: (phase, phaseTotal) => {
      [name, total, value, step, startedAt] = [phase, phaseTotal, 0, 0, now()];
      write(`${name} (${total})…`);
    },
    tick: (n = 1) => {
      value += n;
      const reached = total > 0 ? Math.floor((value / total) * 10) : 0;
      if (reached > step && value < total) {
        step = reached;
        write(`${name}: ${value}/${total}, ${elapsed()}`);
      }
    },
    done: () => write(`${name}: done, ${elapsed()}`),
  };
}

/** `lifecycle-mailer run`: the whole pipeline over the demo shop or an order log, then a summary. */
export async function runJob(options: RunJobOptions): Promise<{ summary: RunSummary; runtime?: LocalRuntime; report?: CrmReport; trueEffects?: Record<string, TrueEffect> }> {
  const startedAt = Date.now();
  const dataDir = resolve(options.dataDir);
  // Each run starts from a clean slate: the ledger of a previous run would (rightly) block every send.
  rmSync(join(dataDir, 'dynamodb'), { recursive: true, force: true });
  rmSync(join(dataDir, 'outbox'), { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const outbox = join(dataDir, 'outbox');

  let events: ShopEventInput[];
  let source: string;
  let rejectedLines = 0;
  let assumedConsent: number | undefined;
  if (options.orders) {
    const parsed = parseOrderLog(readFileSync(options.orders.file, 'utf8'), options.orders.format);
    rejectedLines = parsed.rejected.length;
    if (parsed.rejected.length) {
      writeFileSync(join(dataDir, 'rejected-order-lines.jsonl'), parsed.rejected.map((r) => JSON.stringify(r)).join('\n') + '\n');
      process.stderr.write(`${parsed.rejected.length} order lines rejected (see ${join(dataDir, 'rejected-order-lines.jsonl')}); first: line ${parsed.rejected[0]!.line}: ${parsed.rejected[0]!.reason}\n`);
    }
    ({ events, assumedConsent } = orderLogImport(parsed.orders, { assumeConsent: options.assumeConsent ?? false }));
    source = `${options.orders.file} (${parsed.orders.length} orders)`;
  } else {
    const scenario = options.scenario ?? DEFAULT_DEMO_SHOP.scenario;
    events = generateDemoShop({ ...DEFAULT_DEMO_SHOP, customers: options.customers ?? DEFAULT_DEMO_SHOP.customers, seed: options.seed ?? DEFAULT_DEMO_SHOP.seed, scenario });
    source = `demo shop (seed ${options.seed ?? DEFAULT_DEMO_SHOP.seed}, ${scenario})`;
  }
  if (events.length === 0) throw new Error('no events to replay');
  const lastEventDay = Date.parse(events[events.length - 1]!.time.slice(0, 10) + 'T00:00:00Z') + DAY;
  const to = options.to ? Date.parse(`${options.to}T00:00:00Z`) + DAY : lastEventDay;
  const from = options.from ? Date.parse(`${options.from}T00:00:00Z`) : options.orders ? to - 56 * DAY : Date.parse(`${DEFAULT_DEMO_SHOP.end}T00:00:00Z`) - DEFAULT_DEMO_SHOP.liveDays * DAY;
  if (!(from < to)) throw new Error(`--from must be before --to`);

  const runtime = await LocalRuntime.start({
    catalog: options.catalog,
    dataDir,
    start: new Date(from).toISOString(),
    seed: options.seed ?? 'lifecycle-mailer',
    ...(options.unsubscribeBaseUrl ? { unsubscribeBaseUrl: options.unsubscribeBaseUrl } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.recipients ? { recipients: options.recipients } : {}),
    ...(options.sendRate ? { sendRate: options.sendRate } : {}),
    // Someone watching the inbox sees SES's pace; a backtest counts it in simulated seconds and never sleeps.
    pacing: (options.realtime ?? options.serve) ? 'realtime' : 'simulated',
    ...(options.historyImport ? { historyImport: options.historyImport } : {}),
    ...(options.reads ? { reads: options.reads } : {}),
    writes: options.writes ?? (options.serve ? 'table' : 'behind'),
    serveUnsubscribe: options.serveUnsubscribe ?? options.serve ?? false,
  });
  // Only the demo shop's customers react to email; a fixed order log cannot.
  const response = options.orders ? undefined : new DemoResponse(options.catalog.journeys, options.seed ?? DEFAULT_DEMO_SHOP.seed, to);
  if (response) runtime.sesEventListeners.push((detail) => response.onSesEvent(detail));
  try {
    const progress = progressBar(options.quiet ?? false);
    let loyaltyBefore = new Map<string, number>();
    // The stand-in stamps each message with the real time; the outbox gives it the simulated moment SES took it.
    const sentAt = (messageId: string) => runtime.emulator.acceptedAt.get(messageId);
    // Every message SES took went through the runtime's client: the outbox copies those since the
    // last copy. The stand-in builds each message's MIME on its own core, so the copies run one
    // after another while the next days replay; the store is emptied (in the foreground, once every
    // copy before it is done) once a week. A big day's copy (go-live, a campaign's day) takes the
    // stand-in longer than the next day's replay: it goes on beside the days after it instead of
    // holding up the next.
    let copied = 0;
    let days = 0;
    let copying: Promise<unknown> = Promise.resolve();
    const copyOutbox = async (last = false) => {
      const accepted = runtime.emulator.accepted;
      const ids = accepted.slice(copied);
      copied = accepted.length;
      const empty = last || ++days % OUTBOX_STORE_DAYS === 0;
      // After a failed copy none runs again, and the failure ends the run at the next wait.
      copying = copying.then(() => syncOutbox(runtime.services.ses.endpoint, outbox, { keepInInbox: (options.serve ?? false) || !empty, sentAt, messageIds: ids }));
      copying.catch(() => undefined); // awaited when the store is emptied
      if (empty) await copying;
    };
    await replay(runtime, events, { from, to }, progress, () => copyOutbox(), async () => {
      // Score the imported history once at go-live (as a deployment does after an import), so the
      // loyalty change measured at the end is what the live weeks did, not the first scoring.
      await runtime.fireSchedule({ recompute: true, campaignIds: [] });
      loyaltyBefore = await loyaltySnapshot(runtime);
    }, response);
    await copyOutbox(true);
    const outboxFiles = existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith('.eml')).length : 0;
    const summary = await summariseRun(runtime, { source, from, to, startedAt, outboxFiles, loyaltyBefore });
    if (rejectedLines) summary.failedEvents.import = rejectedLines;
    if (options.assumeConsent && assumedConsent !== undefined) summary.assumedConsent = assumedConsent;
    if (options.summaryFile) writeFileSync(options.summaryFile, JSON.stringify(summary, null, 2) + '\n');
    if (!options.quiet) process.stdout.write(formatSummary(summary) + '\n');
    // The CRM report of the run, read from the runtime's tables before they close: report.html next to the outbox.
    const snapshot = await readSnapshot(runtime.db, reportTables(runtime.tables), options.catalog.config, `local tables in ${join(dataDir, 'dynamodb')}`, runtime.clock.now());
    const report = buildReport(snapshot, { generatedAt: new Date().toISOString() });
    writeFileSync(join(dataDir, 'report.html'), renderReportHtml(report));
    let effects: Record<string, TrueEffect> | undefined;
    let truth: TruthRow[] | undefined;
    if (response) {
      effects = await demoTrueEffects(runtime, response, options.catalog.journeys.map((j) => j.id));
      truth = compareWithTruth(report, effects);
      writeFileSync(join(options.summaryFile ? dirname(resolve(options.summaryFile)) : dataDir, 'true-effects.json'), JSON.stringify({ conversionDays: DEFAULT_CONVERSION_DAYS, journeys: effects, againstTheReport: truth }, null, 2) + '\n');
    }
    if (!options.quiet) process.stdout.write(`\n${renderReportHeadline(report)}\n${truth ? truthLines(report, truth).join('\n') + '\n' : ''}report: ${join(dataDir, 'report.html')}\n`);
    const extra = { report, ...(effects ? { trueEffects: effects } : {}) };
    if (options.serve) return { summary, runtime, ...extra };
    await runtime.stop();
    return { summary, ...extra };
  } catch (error) {
    // The run's own error is what a person needs to fix; a failure to shut down after it is said, not put in its place.
    await runtime.stop().catch((stopError: unknown) => process.stderr.write(`while stopping after the error below: ${stopError instanceof Error ? stopError.message : String(stopError)}\n`));
    throw error;
  }
}

/** The demo's realized true effects, from the ledger (each journey's treated customers) and the profiles' orders. */
async function demoTrueEffects(runtime: LocalRuntime, response: DemoResponse, journeyIds: readonly string[]): Promise<Record<string, TrueEffect>> {
  const firstSends: { journeyId: string; customerId: string; at: string }[] = [];
  for await (const e of runtime.ledger.all()) if (e.journeyId && e.status === 'sent') firstSends.push({ journeyId: e.journeyId, customerId: e.customerId, at: e.sentAt ?? e.claimedAt });
  const orders: { customerId: string; orderId: string; at: string; value: number }[] = [];
  for await (const page of runtime.customers.scanSegment(0, 1)) for (const c of page) for (const o of c.recentOrders) orders.push({ customerId: c.customerId, ...o });
  return trueEffects(journeyIds, firstSends, orders, response, DEFAULT_CONVERSION_DAYS);
}
