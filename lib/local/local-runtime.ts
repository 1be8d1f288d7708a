import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import pLimit from 'p-limit';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse } from 'aws-lambda';
import { type Catalog, campaignsById } from '#domain/catalog.ts';
import type { SendRequest } from '#domain/send-request.ts';
import { SEND_TAGS, type SesEventDetail } from '#domain/ses-events.ts';
import { parseSigningKeys, type SigningKeys } from '#signed-links/signing-keys.ts';
import { TemplateRenderer } from '#domain/template-renderer.ts';
import { createDocumentClient, withoutSdkLogLines } from '#adapters/aws-clients.ts';
import { DynamoCustomerStore } from '#adapters/customer-store.ts';
import { DeliverabilityStore } from '#adapters/deliverability-store.ts';
import { FailedEventStore } from '#adapters/failed-event-store.ts';
import { IdentityStore } from '#adapters/identity-store.ts';
import { ModelRunStore } from '#adapters/model-run-store.ts';
import { SesMailer } from '#adapters/mailer.ts';
import { PacedMailer } from '#adapters/paced-mailer.ts';
import { PauseGate } from '#adapters/pause-gate.ts';
import { SendLedger } from '#adapters/send-ledger.ts';
import type { SendQueue } from '#adapters/send-queue.ts';
import { StageChangeLog } from '#adapters/stage-change-log.ts';
import { createEngagementHandler } from '../../functions/engagement/handler.ts';
import { createIngestHandler } from '../../functions/ingest/handler.ts';
import type { SendOutcome } from '../../functions/send/deliver-send.ts';
import { createSendHandler } from '../../functions/send/handler.ts';
import { type CampaignDecision, SegmentRunInput, type SegmentationReport } from '../../functions/segment/run-segmentation.ts';
import { runTwoPhaseSegmentation } from '../../functions/segment/two-phase-segmentation.ts';
import { SegmentationRunStore } from '../../functions/adapters/segmentation-run-store.ts';
import { parseOrThrow } from '../../functions/domain/invalid-input-error.ts';
import { createSegmentHandler } from '../../functions/segment/handler.ts';
import { EVENT_ROUTES, QUEUE_ROUTES, scheduleRoutes } from '../routes.ts';
import { localTableNames, type TableName, type TableNames } from '../tables.ts';
import type { ChildService } from './child-service.ts';
import { createTables, DYNALITE_SIGNER, LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_TABLE_PREFIX, localDynamoClient, startDynalite } from './dynamodb-local.ts';
import { AccessGuard } from './access-guard.ts';
import { sendDirectly } from './direct-calls.ts';
import { BufferedIdempotencyLayer } from './buffered-idempotency-layer.ts';
import { ItemReadCache } from './item-read-cache.ts';
import { WriteBehindTables } from './write-behind-tables.ts';
import { FaultInjector, FaultPlan } from './fault-injection.ts';
import { inOrderPerKey } from './in-order-per-key.ts';
import { LocalEventBus } from './local-event-bus.ts';
import { LocalSendQueue } from './local-send-queue.ts';
import { SesEventEmulator } from './ses-event-emulator.ts';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { createLocalSesClient, startSesLocal } from './ses-local.ts';
import { SimulatedClock } from './simulated-clock.ts';
import { localPrivacySalt } from './privacy-salt.ts';
import { type Pacing, realTimeline, SimulatedSendTimeline } from './send-timeline.ts';
import { HistoryImportBuffer } from './history-import-buffer.ts';
import { startUnsubscribeServer, type UnsubscribeServer } from './unsubscribe-server.ts';
import { RunTally, type SendOrigin } from './run-tally.ts';
import { DEFAULT_RECIPIENT_BEHAVIOUR, type RecipientAction, type RecipientBehaviour } from './ses-event-emulator.ts';
import { isSubscribed } from '#domain/customer-profile.ts';
import { createUnsubscribeHandler } from '../../functions/unsubscribe/handler.ts';
import { DynamoJourneyEntryStore } from '#adapters/journey-entry-store.ts';
import { JourneyNotifyingStageChangeLog, journeyStages } from '#adapters/journey-stage-changes.ts';
import { createJourneyHandler } from '../../functions/journey/handler.ts';
import { LocalJourneyQueue } from './local-journey-queue.ts';
import { LocalJourneyScheduler } from './local-journey-scheduler.ts';
import { JourneyTally } from './journey-tally.ts';
import { catalogTopics } from '../../functions/unsubscribe/unsubscribe.ts';

const SCHEDULE_ATTEMPTS = 3;
/** SES events handled at once (different customers); EventBridge invokes the engagement function concurrently too. */
const SES_EVENT_CONCURRENCY = 16;
/**
 * SES calls in flight at once. Paced in simulated seconds nothing spaces the calls in real time,
 * and a burst of them can keep the stand-in busy past the SDK's request timeout (an unknown
 * outcome, never resent); at SES's real rate a handful are in flight, as here.
 */
const SES_CALLS_IN_FLIGHT = 4;

export interface LocalRuntimeOptions {
  catalog: Catalog;
  /** Where dynalite keeps its LevelDB files; in memory when absent. */
  dataDir?: string;
  /** The simulated clock's starting point. */
  start: string;
  /** Seeds the emulated opens and clicks. */
  seed?: string;
  /** Overrides the configured unsubscribe base URL (the local server when serving). */
  unsubscribeBaseUrl?: string;
  /** Run the unsubscribe function on a real local HTTP port, and point the emails' links at it. */
  serveUnsubscribe?: boolean;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Sends per second; the configured SES max send rate by default. */
  sendRate?: number;
  /** Counts the send rate in simulated seconds (default; nothing sleeps) or in real time (a person watching). */
  pacing?: Pacing;
  /**
   * How `importHistory` writes: profiles kept in memory and written in batches at the end
   * (default), or one read-modify-write per event as live events are (kept to check that both decide the same).
   */
  historyImport?: 'buffered' | 'per-event';
  /**
   * The engagement function's idempotency records from the history import on: in memory and
   * written behind at each `writeBehind` (default), or each a round trip as in AWS ('table', the
   * default with historyImport 'per-event').
   */
  engagementRecords?: 'write-behind' | 'table';
  /** Faults to inject (through SDK middleware, the bus and the queue). */
  faults?: FaultPlan;
  /** How often recipients unsubscribe (and re-subscribe) through the emails' links; DEFAULT_RECIPIENT_BEHAVIOUR by default. */
  recipients?: Partial<RecipientBehaviour>;
  /** Wraps the send queue as the ingest function sees it (a test injects a queue failure there). */
  ingestSendQueue?: (queue: SendQueue) => SendQueue;
  /** The key the links are signed with; by default a random one, kept under dataDir when there is one. */
  unsubscribeSecret?: string;
  /** Current and previous keys (a rotation); overrides unsubscribeSecret. */
  signingKeys?: SigningKeys;
  /**
   * Run the scheduled segmentation in two phases over this many parallel-scan segments, in-process,
   * as the Step Functions state machine does in AWS (functions/segment/two-phase-segmentation.ts).
   * By default one pass, as the construct does for a table this size.
   */
  twoPhaseSegments?: number;
  /**
   * Answer a handler's read of a profile, identity link or journey entry it has just read or
   * written from memory (lib/local/item-read-cache.ts; default), or send every read to dynalite.
   */
  reads?: 'cached' | 'table';
  /**
   * Send every call to the dynalite server ('table', the default: as AWS runs it, each write on disk
   * when it returns, as a shop's webhooks need), or hold the tables the handlers use most in process,
   * answered by dynalite's own code and written to the server at `writeBehind` and at `stop`
   * ('behind': a replay's backtest; lib/local/write-behind-tables.ts).
   */
  writes?: 'behind' | 'table';
}

/**
 * The tables a runtime started with writes 'behind' holds: all but the idempotency records (their
 * own layer writes them behind), the failed events and the shop connector's (a replay writes few).
 * A fault plan keeps the ledger on the table, where its throttles fall.
 */
const WRITE_BEHIND_TABLES: readonly TableName[] = ['customers', 'journey-entries', 'deliverability', 'identities', 'stage-changes', 'model-runs', 'send-ledger'];

/** The local secret file holds what the Secrets Manager secret holds: a bare key, or `{"current", "previous"?}`. */
function localSigningKeys(dataDir?: string): SigningKeys {
  if (!dataDir) return { current: randomBytes(32).toString('hex') };
  const file = join(dataDir, 'unsubscribe-secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return parseSigningKeys(readFileSync(file, 'utf8'), file);
}

/**
 * The whole pipeline on one machine: dynalite and aws-ses-v2-local as real servers, the
 * real SDK clients pointed at them, the same handlers AWS runs, and an in-process bus,
 * queue and scheduler built from the same routes table as the CDK stack.
 */
export class LocalRuntime {
  readonly reports: SegmentationReport[] = [];
  readonly sendOutcomes = new Map<string, number>();
  /** `campaignId|reason` → sends decided against at send time. */
  readonly sendSkips = new Map<string, number>();
  readonly skippedSendIds = new Set<string>();
  /** Called with each emulated SES event as it is delivered (the demo's customers react to clicks). */
  readonly sesEventListeners: ((detail: SesEventDetail) => void)[] = [];
  /** Every outcome and error per send id, for the end-of-run accounting. */
  readonly outcomesBySendId = new Map<string, string[]>();
  private noteOutcome(sendId: string, what: string): void {
    const list = this.outcomesBySendId.get(sendId) ?? [];
    list.push(what);
    this.outcomesBySendId.set(sendId, list);
  }
  readonly deadLetters = { events: 0, sends: 0 };

  private constructor(
    readonly catalog: Catalog,
    readonly clock: SimulatedClock,
    readonly services: { dynamodb: ChildService; ses: ChildService },
    readonly tables: TableNames,
    readonly db: DynamoDBDocumentClient,
    readonly ses: SESv2Client,
    readonly customers: DynamoCustomerStore,
    readonly ledger: SendLedger,
    readonly failedEvents: FailedEventStore,
    readonly modelRuns: ModelRunStore,
    readonly deliverability: DeliverabilityStore,
    readonly bus: LocalEventBus,
    readonly sendQueue: LocalSendQueue,
    readonly emulator: SesEventEmulator,
    readonly faults: FaultInjector,
    readonly unsubscribeServer: UnsubscribeServer | undefined,
    readonly mailer: PacedMailer,
    readonly sendRate: number,
    readonly sendStartTimes: number[],
    /** Per campaign and customer, what was decided and what became of it (the summary's per-campaign figures). */
    readonly tally: RunTally,
    readonly handlers: {
      segment: ReturnType<typeof createSegmentHandler>;
      send: ReturnType<typeof createSendHandler>;
      unsubscribe: ReturnType<typeof createUnsubscribeHandler>;
    },
    /** The DynamoDB calls refused because a function's access does not declare them. */
    readonly access: AccessGuard,
    /** One customer across storefronts and the erased addresses, under this runtime's salt (import plans resolve through it as ingest does). */
    readonly identities: IdentityStore,
  ) {}

  static async start(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    const [dynamodb, ses] = await Promise.all([startDynalite(options.dataDir ? join(options.dataDir, 'dynamodb') : undefined), startSesLocal()]);
    const tables = localTableNames(LOCAL_TABLE_PREFIX);
    await createTables(localDynamoClient(dynamodb.endpoint), tables);

    // More attempts than the SDK default when faults are injected, as a throttled production table would be configured.
    const clientOptions = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, ...(options.faults ? { maxAttempts: 6 } : {}) };
    // The SDK waits half a second and more (real time) before retrying a throttle; a replay runs
    // on a simulated clock, where that wait stands for nothing, so injected throttles are retried
    // by the same retry logic after a few milliseconds.
    const db = createDocumentClient({ ...clientOptions, endpoint: dynamodb.endpoint, signer: DYNALITE_SIGNER, ...(options.faults ? { retryStrategy: new ConfiguredRetryStrategy(6, (attempt) => 2 ** attempt) } : {}) });
    // SendEmail is never retried by the SDK (a retried timeout could mail twice): PacedMailer retries throttles.
    const sesClient = createLocalSesClient(ses.endpoint, clientOptions);
    // What SES sees: the start of every SendEmail call, throttled ones included,
    // to check the rate held (not the pacer's own word for it). Added before the fault injection, so it sees every attempt.
    const sendStartTimes: number[] = [];
    const clock = new SimulatedClock(options.start);
    const timeline = options.pacing === 'realtime' ? realTimeline : new SimulatedSendTimeline(clock);
    sesClient.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'SendEmailCommand') sendStartTimes.push(timeline.now());
        return next(args);
      },
      { step: 'initialize', name: 'sendStartTimes', priority: 'high' },
    );
    const emulator = new SesEventEmulator(clock, options.seed ?? 'lifecycle-mailer', { ...DEFAULT_RECIPIENT_BEHAVIOUR, ...options.recipients });
    emulator.attach(sesClient);
    const faults = new FaultInjector(FaultPlan.parse(options.faults ?? {}), options.seed ?? 'lifecycle-mailer');
    if (faults.any) {
      faults.attachToSes(sesClient);
      faults.attachToDynamoDb(db as unknown as DynamoDBClient, tables['send-ledger']);
    }
    const redeliver = () => faults.roll('duplicate-events');
    // Each handler may make only the DynamoDB calls its function is granted in AWS (lib/function-access.ts).
    const access = new AccessGuard(tables);
    access.attach(db as unknown as DynamoDBClient);
    const held = options.writes !== 'behind' ? [] : WRITE_BEHIND_TABLES.filter((t) => !(faults.any && t === 'send-ledger'));
    const readCache = options.reads === 'table' ? new ItemReadCache(tables, {}) : new ItemReadCache(tables, { items: ['customers', 'identities', 'journey-entries', 'deliverability'], partitions: ['journey-entries'], tables: ['customers'] });
    readCache.attach(db as unknown as DynamoDBClient);
    // Its batches are whole items: without the SDK's log line, which ran each through the sensitive-data filter.
    const writeBehindServer = withoutSdkLogLines(new DynamoDBClient({ endpoint: dynamodb.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, signer: DYNALITE_SIGNER }));
    const writeBehind = await WriteBehindTables.start(writeBehindServer, tables, held);
    writeBehind.attach(db as unknown as DynamoDBClient);
    // The calls the held tables answer skip the SDK's per-call stack building. Of the stack's
    // initialize middlewares, only the injected crash is left out: it falls after a ledger
    // claim, and a fault plan keeps the ledger on the table.
    if (held.length) sendDirectly(db, [access.middleware, readCache.middleware, writeBehind.middleware], (commandName, input) => writeBehind.answersInProcess(commandName, input));

    const logger = new Logger({ serviceName: 'lifecycle-mailer', logLevel: options.logLevel ?? 'ERROR' });
    const customers = new DynamoCustomerStore(db, tables.customers);
    const ledger = new SendLedger(db, tables['send-ledger']);
    const failedEvents = new FailedEventStore(db, tables['failed-events']);
    // Journeys: entries in their table, wake-ups as one-time schedules on the simulated clock, delivered through the journey queue.
    const journeyRoute = QUEUE_ROUTES.find((r) => r.target === 'journey')!;
    const journeyQueue = new LocalJourneyQueue(journeyRoute, clock, async (body, receiveCount) => {
      runtime!.deadLetters.events++;
      await failedEvents.record('journey', 'journey-queue', `dead-lettered after ${receiveCount} receives`, body, clock.now());
    });
    const journeyScheduler = new LocalJourneyScheduler();
    const journeyEntries = new DynamoJourneyEntryStore(db, tables['journey-entries']);
    const journeyTally = new JourneyTally();
    // Ingest and segmentation record stage changes through it; changes into a journey's stages reach the journey queue.
    const stageChanges: StageChangeLog = new JourneyNotifyingStageChangeLog(db, tables['stage-changes'], journeyQueue, journeyStages(options.catalog.journeys));
    const deliverability = new DeliverabilityStore(db, tables.deliverability);
    // One set of keys: links signed by send verify in unsubscribe.
    const secret = options.signingKeys ?? (options.unsubscribeSecret ? { current: options.unsubscribeSecret } : localSigningKeys(options.dataDir));
    let runtime: LocalRuntime | undefined;
    const sendQueue = new LocalSendQueue(QUEUE_ROUTES[0]!, clock, async (body, receiveCount) => {
      runtime!.deadLetters.sends++;
      const request = JSON.parse(body) as SendRequest;
      await failedEvents.record('send', request.sendId ?? 'unknown', `dead-lettered after ${receiveCount} receives: ${runtime!.lastSendError.get(request.sendId) ?? 'unknown error'}`, body, clock.now());
    }, 4, redeliver);
    const tally = new RunTally();
    const recording = (origin: SendOrigin) => tally.recordingQueue(sendQueue, origin);
    const onConfirmed = { campaigns: options.catalog.campaigns, config: options.catalog.config, sendQueue: recording('confirmation'), failedEvents, journeys: { journeys: options.catalog.journeys, queue: journeyQueue } };
    const unsubscribe = access.as('unsubscribe', createUnsubscribeHandler({ customers, ledger, clock, logger, secret, topics: catalogTopics(options.catalog), onConfirmed }));
    const unsubscribeServer = options.serveUnsubscribe ? await startUnsubscribeServer({ handler: unsubscribe }) : undefined;
    const baseUrl = unsubscribeServer?.url ?? options.unsubscribeBaseUrl;
    const config = baseUrl ? { ...options.catalog.config, sending: { ...options.catalog.config.sending, unsubscribeBaseUrl: baseUrl } } : options.catalog.config;
    const common = { customers, failedEvents, clock, logger, config };
    const idempotency = { client: db, tableName: tables.idempotency };
    // One process holds the whole SES rate here (in AWS each instance holds its share), on the timeline chosen above.
    const sendRate = options.sendRate ?? config.sending.maxSendRate;
    const mailer = new PacedMailer(new SesMailer(sesClient), { ratePerSecond: sendRate, now: () => timeline.now(), sleep: (ms) => timeline.sleep(ms) });
    const sesCalls = pLimit(SES_CALLS_IN_FLIGHT);
    const identities = new IdentityStore(db, tables.identities, localPrivacySalt(options.dataDir));
    const historyImport = new HistoryImportBuffer(db, { customers: tables.customers, stageChanges: tables['stage-changes'], idempotency: tables.idempotency, identities: tables.identities }, { customers, stageChanges, identities });
    const perEvent = options.historyImport === 'per-event';
    const ingestStores = perEvent ? { customers, stageChanges } : { customers: historyImport.customers, stageChanges: historyImport.stageChanges };
    const ingestIdempotency = perEvent ? idempotency : { ...idempotency, layer: historyImport.idempotency };
    const ingestIdentities = perEvent ? identities : historyImport.identities;
    const ingestHandler = createIngestHandler({ ...common, ...ingestStores, identities: ingestIdentities, ledger, sendQueue: options.ingestSendQueue?.(recording('event')) ?? recording('event'), campaigns: options.catalog.campaigns, idempotency: ingestIdempotency });
    const ingest = async (event: unknown) => {
      const outcome = await ingestHandler(event);
      if (outcome.outcome === 'applied') for (const s of outcome.notTriggered ?? []) tally.decide(s.campaignId, outcome.customerId, s.reason);
      return outcome;
    };
    const modelRuns = new ModelRunStore(db, tables['model-runs']);
    // Segment and send each hold their own gate (and pause cache), as their Lambda functions would.
    const segmentDeps = {
      ...common,
      stageChanges,
      modelRuns,
      sendQueue: recording('schedule'),
      campaigns: options.catalog.campaigns,
      guardrail: new PauseGate(deliverability, clock, config.guardrail),
      // A queued decision is recorded with its send id by the queue; here only the reasons not to.
      onDecision: (d: CampaignDecision) => {
        if (d.outcome !== 'queued') tally.decide(d.campaignId, d.customerId, d.outcome);
      },
    };
    const twoPhaseSegments = options.twoPhaseSegments;
    const segment: ReturnType<typeof createSegmentHandler> = twoPhaseSegments
      ? (input) =>
          runTwoPhaseSegmentation(parseOrThrow(SegmentRunInput, input ?? {}, 'segment run input'), { ...segmentDeps, runs: new SegmentationRunStore(db, tables['model-runs']) }, {
            totalSegments: twoPhaseSegments,
            asWorker: (step) => access.as('segment-worker', step)(),
            asCoordinator: (step) => access.as('segment-coordinator', step)(),
          })
      : createSegmentHandler(segmentDeps);
    // One process writes the engagement function's records here: kept in memory once begun into an empty table, and written behind.
    const engagementRecords = (options.engagementRecords ?? (perEvent ? 'table' : 'write-behind')) === 'table' ? undefined : new BufferedIdempotencyLayer(db, tables.idempotency);
    const engagement = createEngagementHandler({ ...common, ledger, deliverability, idempotency: engagementRecords ? { ...idempotency, layer: engagementRecords } : idempotency });
    const send = createSendHandler(
      {
        ...common,
        ledger,
        // The limit is taken before the pacer's slot, so a grant and its SES call still start together.
        mailer: { send: (email) => sesCalls(() => mailer.send(email)) },
        sendQueue,
        campaigns: campaignsById(options.catalog),
        renderer: new TemplateRenderer(options.catalog.templates),
        signingKeys: secret,
        guardrail: new PauseGate(deliverability, clock, config.guardrail),
        journeys: new Map(options.catalog.journeys.map((j) => [j.id, j])),
        journeyEntries,
      },
      {
        onOutcome: (request: SendRequest, outcome: SendOutcome) => {
          journeyTally.onSendOutcome(request, outcome);
          runtime!.sendOutcomes.set(outcome.outcome, (runtime!.sendOutcomes.get(outcome.outcome) ?? 0) + 1);
          runtime!.noteOutcome(request.sendId, outcome.outcome);
          if (outcome.outcome === 'skipped') {
            runtime!.skippedSendIds.add(request.sendId);
            tally.skippedAtSend(request, outcome.reason);
            const key = `${request.campaignId}|${outcome.reason}`;
            runtime!.sendSkips.set(key, (runtime!.sendSkips.get(key) ?? 0) + 1);
          }
        },
        onError: (request: SendRequest | undefined, error: unknown) => {
          runtime!.sendRetries++;
          if (request) runtime!.noteOutcome(request.sendId, `error:${error instanceof Error ? error.name : 'unknown'}`);
          if (request) runtime!.lastSendError.set(request.sendId, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
        },
      },
    );
    const journey = access.as(
      'journey',
      createJourneyHandler(
        {
          journeys: options.catalog.journeys,
          campaigns: campaignsById(options.catalog),
          config,
          // A history event of go-live's last day reaches the journeys too, after ingest wrote its profile (in the import's buffer).
          customers: ingestStores.customers,
          entries: journeyEntries,
          sendQueue: recording('journey'),
          scheduler: journeyScheduler,
          identities,
          clock,
          logger,
        },
        { onOutcome: (journeyId, customerId, input, outcome) => journeyTally.onJourneyOutcome(journeyId, customerId, input, outcome) },
      ),
    );
    const bus = new LocalEventBus(
      EVENT_ROUTES,
      { ingest: access.as('ingest', ingest), engagement: access.as('engagement', engagement), segment: access.as('segment', segment), send: () => Promise.reject(new Error('send is fed by the queue')), journey },
      clock,
      async ({ routeId, event, error }) => {
        runtime!.deadLetters.events++;
        const id = typeof event === 'object' && event && 'id' in event ? String(event.id) : 'unknown';
        await failedEvents.record(routeId.includes('Ses') ? 'engagement' : 'ingest', id, `dead-lettered: ${error instanceof Error ? error.message : String(error)}`, event, clock.now());
      },
      2,
      redeliver,
    );
    const journeys = { entries: journeyEntries, queue: journeyQueue, scheduler: journeyScheduler, tally: journeyTally, handler: journey };
    runtime = new LocalRuntime(options.catalog, clock, { dynamodb, ses }, tables, db, sesClient, customers, ledger, failedEvents, modelRuns, deliverability, bus, sendQueue, emulator, faults, unsubscribeServer, mailer, sendRate, sendStartTimes, tally, { segment: access.as('segment', segment), send: access.as('send', send), unsubscribe }, access, identities);
    runtime.journeys = journeys;
    runtime.historyImport = historyImport;
    runtime.engagementRecords = engagementRecords;
    runtime.readCache = readCache;
    runtime.heldTables = { tables: writeBehind, server: writeBehindServer };
    return runtime;
  }

  /** The journeys' local parts: their entries, queue, wake-up schedules, tally and function. */
  journeys!: {
    entries: DynamoJourneyEntryStore;
    queue: LocalJourneyQueue;
    scheduler: LocalJourneyScheduler;
    tally: JourneyTally;
    handler: (event: unknown) => Promise<unknown>;
  };

  private historyImport!: HistoryImportBuffer;
  private engagementRecords: BufferedIdempotencyLayer | undefined;
  /** The reads answered from memory, and those that went to the table. */
  readCache!: ItemReadCache;
  /** The tables held in process, and the client that writes them behind to the server. */
  heldTables!: { tables: WriteBehindTables; server: DynamoDBClient };

  /**
   * Runs `load` (which puts the history's shop events on the bus) as an import: the ingest
   * function's profile writes and stage changes are held in memory and written in batches when
   * it ends (unless the runtime was started with historyImport 'per-event').
   */
  async importHistory(load: () => Promise<void>): Promise<void> {
    await this.engagementRecords?.begin();
    await this.historyImport.begin();
    try {
      await load();
    } finally {
      await this.historyImport.flush();
    }
  }

  /**
   * Writes what is kept in memory since the last call to the dynalite server: the ingest and
   * engagement functions' idempotency records, and (`all`) the held tables' changed items. A replay
   * writes the records at each simulated day's end, and everything at its end; stop does too. The
   * held tables are written once at the end: an item changed on many days is written once.
   */
  async writeBehind(what: 'records' | 'all' = 'all'): Promise<number> {
    await this.background;
    const failure = this.backgroundFailure;
    this.backgroundFailure = undefined;
    if (failure !== undefined) throw failure;
    return this.writeKept(what);
  }

  private async writeKept(what: 'records' | 'all'): Promise<number> {
    const records = (await this.engagementRecords?.writeBehind() ?? 0) + (await this.historyImport.idempotency.writeBehind());
    return records + (what === 'all' ? await this.heldTables.tables.writeBehind() : 0);
  }

  /** A write-behind started by writeBehindInBackground, and how it failed, for the next writeBehind (or stop) to report. */
  private background: Promise<void> | undefined;
  private backgroundFailure: unknown;

  /**
   * Starts writing everything kept in memory behind, and returns at once: a replay's end, while
   * its summary and report are read (from the held tables themselves, which answer meanwhile). The
   * next writeBehind, and stop, wait for it and throw what it threw.
   */
  writeBehindInBackground(): void {
    this.background = (this.background ?? Promise.resolve()).then(() => this.writeKept('all')).then(
      () => undefined,
      (error: unknown) => {
        this.backgroundFailure ??= error;
      },
    );
  }

  /** Hands the wake-ups due by now to the journey queue and runs it until nothing is due. */
  async drainJourneys(): Promise<number> {
    let handled = 0;
    for (;;) {
      const due = this.journeys.scheduler.takeDue(this.clock.epochMs);
      if (due.length) await this.journeys.queue.enqueue(due);
      const n = await this.journeys.queue.drain((event) => this.journeys.handler(event) as Promise<SQSBatchResponse>);
      handled += n;
      if (due.length === 0 && n === 0) return handled;
    }
  }

  /** The next moment a journey wake-up (or a journey-queue retry) falls due, if any. */
  nextJourneyAt(): number | undefined {
    const times = [this.journeys.scheduler.nextAt(), this.journeys.queue.nextVisibleAt()].filter((t): t is number => t !== undefined);
    return times.length ? Math.min(...times) : undefined;
  }

  readonly lastSendError = new Map<string, string>();
  sendRetries = 0;

  get schedules() {
    return scheduleRoutes(this.catalog);
  }

  /** Runs a schedule's target with its input, as EventBridge Scheduler would, and keeps its report. */
  async fireSchedule(input: { recompute: boolean; campaignIds: string[] }): Promise<SegmentationReport | undefined> {
    // EventBridge Scheduler retries a failed invocation, then hands it to the schedule's DLQ.
    for (let attempt = 1; ; attempt++) {
      try {
        const report = await this.handlers.segment(input);
        this.reports.push(report);
        return report;
      } catch (error) {
        if (attempt >= SCHEDULE_ATTEMPTS) {
          this.deadLetters.events++;
          await this.failedEvents.record('segment', `schedule-${input.campaignIds.join('+') || 'segmentation'}`, `dead-lettered after ${attempt} attempts: ${error instanceof Error ? error.name : 'unknown'}`, input, this.clock.now());
          return undefined;
        }
      }
    }
  }

  /**
   * Runs the journeys' due wake-ups, then sends everything in the queue that is due now.
   * `journeys: false` after a replay's window: only sends already queued finish.
   */
  async drainSendQueue(options: { journeys?: boolean } = {}): Promise<number> {
    if (options.journeys !== false) await this.drainJourneys();
    return this.sendQueue.drain(this.handlers.send);
  }

  /** Delivers the emulated SES events (and recipients' unsubscribe clicks) due up to `until` (ms), moving the clock along with them. */
  async deliverSesEvents(until: number): Promise<number> {
    await this.actOnLinks(until);
    const due = this.emulator.takeDue(until);
    if (due.length === 0) return 0;
    for (const e of due) for (const listen of this.sesEventListeners) listen(e.detail);
    // As EventBridge would: one customer's events in order, different customers' at once. The
    // clock stands at the last event; each event carries its own time for what it records.
    this.clock.set(Math.max(due[due.length - 1]!.at, this.clock.epochMs));
    await inOrderPerKey(due, (e) => e.detail.mail.tags[SEND_TAGS.customer]?.[0] ?? '', SES_EVENT_CONCURRENCY, (e) =>
      this.bus.putEvents('default', [{ Source: 'aws.ses', DetailType: e.detailType, Detail: JSON.stringify(e.detail), Time: new Date(e.at) }]).then(() => undefined),
    );
    return due.length;
  }

  /**
   * Recipients using an email's unsubscribe link, through the unsubscribe function as its Function
   * URL would invoke it: one-click POSTs, and a later preference-page save that ticks every topic
   * again. Counted for the campaign whose link was used when the customer's consent really changed.
   */
  private async actOnLinks(until: number): Promise<void> {
    for (const action of this.emulator.takeDueActions(until)) {
      this.clock.set(Math.max(action.at, this.clock.epochMs));
      const before = await this.customers.get(action.customerId);
      await this.handlers.unsubscribe(linkRequest(action, catalogTopics(this.catalog)));
      const after = await this.customers.get(action.customerId);
      if (!before || !after) continue;
      // The link's topic is in its token (a journey step's email carries the journey's topic, not
      // its step campaign's): what changed is read off the consent itself.
      const topics = catalogTopics(this.catalog);
      const subscribed = (p: typeof before) => (p.consent.marketing ? topics.filter((t) => isSubscribed(p.consent, t)).length : 0);
      const was = subscribed(before);
      const is = subscribed(after);
      if (is < was) this.tally.countConsentChange('unsubscribe', action.campaignId);
      if (is > was) this.tally.countConsentChange('resubscribe', action.campaignId);
    }
  }

  async stop(): Promise<void> {
    try {
      await this.writeBehind();
    } finally {
      await this.shutDown();
    }
  }

  private async shutDown(): Promise<void> {
    this.heldTables.server.destroy();
    this.db.destroy();
    this.ses.destroy();
    await this.unsubscribeServer?.close();
    await Promise.all([this.services.dynamodb.stop(), this.services.ses.stop()]);
  }
}

/** The Function URL event of a recipient's click: RFC 8058 one-click, or the preference form with every topic ticked. */
function linkRequest(action: RecipientAction, topics: readonly string[]): Parameters<ReturnType<typeof createUnsubscribeHandler>>[0] {
  const token = new URL(action.url).searchParams.get('token') ?? '';
  const form = new URLSearchParams(action.kind === 'unsubscribe' ? { 'List-Unsubscribe': 'One-Click' } : { action: 'save' });
  if (action.kind === 'resubscribe') for (const t of topics) form.append('topic', t);
  return {
    requestContext: { http: { method: 'POST' } },
    queryStringParameters: { token },
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    isBase64Encoded: false,
  };
}
