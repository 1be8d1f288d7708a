import { type CustomerProfile, LIFECYCLE_STAGES, type LifecycleStage } from '#domain/customer-profile.ts';
import { countStorefronts, type StorefrontCounts } from '#domain/identity.ts';
import { describeScope } from '#domain/deliverability-guardrail.ts';
import type { LocalRuntime } from '#lib/local/local-runtime.ts';
import type { SegmentationReport } from '../../functions/segment/run-segmentation.ts';

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Share of the total held by the top 20% (the 80/20 rule, measured). */
function top20Share(values: number[]): number {
  const sorted = values.filter((v) => v > 0).sort((a, b) => b - a);
  const total = sorted.reduce((a, b) => a + b, 0);
  if (!total) return 0;
  const top = sorted.slice(0, Math.ceil(values.length * 0.2)).reduce((a, b) => a + b, 0);
  return round(top / total, 3);
}

/**
 * One campaign over the whole run. Sends add up: queued = sent + heldOut + Σ skippedAtSend + setAside +
 * stillQueued + unaccounted (each queued send id counted once, in its final state). Customers
 * add up too: customersConsidered = customersMailed + Σ notMailed.
 */
export interface CampaignSummary {
  trigger: 'schedule' | 'event';
  /** Distinct customers a due run (scheduled) or a triggering shop event (event) decided about. */
  customersConsidered: number;
  /** Of those, mailed at least once. */
  customersMailed: number;
  /**
   * The others, each counted once by the last word on them: the reason the last run (or event)
   * that considered them gave, or, when that one queued them, what became of that send
   * (`at-send:<reason>`, `set-aside`, `still-queued`).
   */
  notMailed: Record<string, number>;
  /** Event-triggered campaigns: how often a shop event (or a confirmed sign-up) chose this campaign. */
  triggered?: number;
  /** Distinct sends queued for it (by the daily runs, or by the trigger). */
  queued: number;
  sent: number;
  /** Queued sends that passed every check and were held out (holdout or control group): recorded in the ledger, never mailed. */
  heldOut: number;
  /** Queued sends the send function refused (its re-check at send time), by their last reason. */
  skippedAtSend: Record<string, number>;
  /** Set aside with a reason in the failed-events store, not since shown sent. */
  setAside: number;
  stillQueued: number;
  unaccounted: number;
  opens: number;
  clicks: number;
  /** Customers whose consent for the campaign's topic went off (or on again) through a link in one of its emails. */
  unsubscribes: number;
  resubscribes: number;
  variants: Record<string, { sent: number; opens: number; clicks: number }>;
}

/** One journey over the whole run: entries = completed + exited + active at the end (those the run started). */
export interface JourneySummary {
  entered: number;
  /** Still waiting at the end of the run (a wake-up pending). */
  activeAtEnd: number;
  completed: number;
  exited: Record<string, number>;
  /** Entries asked for and not started, by reason (already active, conditions, no consent, …). */
  refused: Record<string, number>;
  /** Per step that sends (by its path in the journey file): sent, and skipped by reason. */
  steps: Record<string, { campaign: string; sent: number; heldOut: number; skipped: Record<string, number> }>;
}

export interface RunSummary {
  source: string;
  /** Customers imported with consent the order log did not give (`--assume-consent`); absent without it. */
  assumedConsent?: number;
  window: { from: string; to: string };
  customers: number;
  /** Customers per storefront, and how many are known at more than one (one profile each). */
  storefronts: StorefrontCounts;
  stages: Record<LifecycleStage, number>;
  /** Value by stage, and how concentrated value is (the 80/20 of the base). */
  value: {
    byStage: Record<LifecycleStage, { averageSpend: number; averagePAlive: number | null; averagePredictedClv: number | null }>;
    top20PercentShareOfSpend: number;
    top20PercentShareOfPredictedClv: number | null;
    models: SegmentationReport['models'] | null;
  };
  rfmSegments: Record<string, number>;
  suppressed: Record<string, number>;
  campaigns: Record<string, CampaignSummary>;
  journeys: Record<string, JourneySummary>;
  emailsSent: number;
  opensRecorded: number;
  clicksRecorded: number;
  /** Customers whose loyalty score moved by 0.1 or more between go-live and the end. */
  loyaltyScoresChanged: number;
  /** Over the customers known at go-live: the mean change of their loyalty score (signed), and its mean size. */
  loyaltyChange: { customers: number; mean: number; meanAbsolute: number };
  averageLoyalty: number;
  stageChanges: number;
  segmentationRuns: number;
  failedEvents: Record<string, number>;
  deadLetters: { events: number; sends: number };
  /** The deliverability guardrail: every pause (active or resumed) with why, and what it held back. */
  guardrail: {
    pauses: { scope: string; status: 'active' | 'resumed'; day: string; reason: string; pausedAt: string }[];
    /** Queued sends skipped at send time because their campaign (or all marketing) was paused. */
    sendsSkippedPaused: number;
    /** Customers a scheduled run did not queue because the campaign was paused (summed over runs). */
    notQueuedPaused: number;
    /** Distinct customers whose last word for a campaign was that it was paused (at a run, or at send). */
    customersHeldByPause: number;
  };
  /** The exactly-once accounting: every queued send is sent, skipped at send time, or set aside with a reason. */
  guarantees: {
    sendsQueued: number;
    sent: number;
    /** Held out (holdout or control group) after passing every check: recorded, never mailed. */
    heldOut: number;
    /** Of those sent: whose result the send function lost (a crash after SES), shown sent by SES's own events. */
    confirmedBySes: number;
    skippedAtSend: number;
    /** Set aside with a reason and not since shown sent: for a person to check. */
    setAside: number;
    /** Still in the queue when the replay ended (delayed past its end). */
    stillQueued: number;
    unaccounted: number;
    unaccountedIds: string[];
    mailedTwice: number;
  };
  /** Pacing and timing: the SES rate held, throttles backed off, sends held for quiet hours. */
  sending: {
    maxSendRate: number;
    /** Most SendEmail calls started in any one second of real time (SES's own measure). */
    peakSendsPerSecond: number;
    throttledRetries: number;
    backoffSeconds: number;
    /** Sends that waited (quiet hours, delays past SQS's 15 minutes), and how often they went back to the queue. */
    deferredSends: number;
    deferrals: number;
  };
  faults?: { injected: Record<string, number>; absorbed: { duplicateSendsRefused: number; outcomeUnknownSetAside: number; retriedSends: number } };
  outboxFiles: number;
  durationSeconds: number;
}

/** Loyalty by customer, to compare before and after the live window. */
export async function loyaltySnapshot(runtime: LocalRuntime): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const page of runtime.customers.scanSegment(0, 1)) for (const p of page) out.set(p.customerId, p.loyaltyScore);
  return out;
}

/** The run's figures, read back from what was stored (tables) and what the handlers reported. */
export async function summariseRun(
  runtime: LocalRuntime,
  meta: { source: string; from: number; to: number; startedAt: number; outboxFiles: number; loyaltyBefore: Map<string, number> },
): Promise<RunSummary> {
  const stages = Object.fromEntries(LIFECYCLE_STAGES.map((s) => [s, 0])) as Record<LifecycleStage, number>;
  const rfmSegments: Record<string, number> = {};
  const suppressed: Record<string, number> = {};
  let customers = 0;
  const identities: Pick<CustomerProfile, 'customerId' | 'identities'>[] = [];
  let loyaltyChanged = 0;
  let loyaltyTotal = 0;
  const loyaltyDeltas: number[] = [];
  const spend: number[] = [];
  const clvs: number[] = [];
  const perStage = Object.fromEntries(LIFECYCLE_STAGES.map((st) => [st, { spend: [] as number[], pAlive: [] as number[], clv: [] as number[] }])) as Record<
    LifecycleStage,
    { spend: number[]; pAlive: number[]; clv: number[] }
  >;
  for await (const page of runtime.customers.scanSegment(0, 1)) {
    for (const p of page) {
      customers++;
      identities.push({ customerId: p.customerId, identities: p.identities });
      stages[p.stage]++;
      spend.push(p.totalSpend);
      perStage[p.stage].spend.push(p.totalSpend);
      if (p.value) {
        clvs.push(p.value.predictedClv);
        perStage[p.stage].pAlive.push(p.value.pAlive);
        perStage[p.stage].clv.push(p.value.predictedClv);
      }
      if (p.rfm) rfmSegments[p.rfm.segment] = (rfmSegments[p.rfm.segment] ?? 0) + 1;
      if (p.suppression) suppressed[p.suppression.reason] = (suppressed[p.suppression.reason] ?? 0) + 1;
      if (Math.abs((meta.loyaltyBefore.get(p.customerId) ?? 0) - p.loyaltyScore) >= 0.1) loyaltyChanged++;
      const before = meta.loyaltyBefore.get(p.customerId);
      if (before !== undefined) loyaltyDeltas.push(p.loyaltyScore - before);
      loyaltyTotal += p.loyaltyScore;
    }
  }

  const failedEvents: Record<string, number> = {};
  const failed = await runtime.failedEvents.list();
  for (const f of failed) failedEvents[f.stage] = (failedEvents[f.stage] ?? 0) + 1;
  const setAsideIds = new Set(failed.filter((f) => f.stage === 'send').map((f) => f.failureId.split('#')[1] ?? ''));
  const pending = runtime.sendQueue.pendingSendIds();

  const campaigns: Record<string, CampaignSummary> = {};
  const byId = new Map(runtime.catalog.campaigns.map((c) => [c.id, c]));
  const entry = (id: string) =>
    (campaigns[id] ??= {
      trigger: byId.get(id)?.trigger.type ?? 'schedule',
      customersConsidered: 0,
      customersMailed: 0,
      notMailed: {},
      ...(byId.get(id)?.trigger.type === 'event' ? { triggered: 0 } : {}),
      queued: 0,
      sent: 0,
      heldOut: 0,
      skippedAtSend: {},
      setAside: 0,
      stillQueued: 0,
      unaccounted: 0,
      opens: 0,
      clicks: 0,
      unsubscribes: 0,
      resubscribes: 0,
      variants: {},
    });
  for (const c of runtime.catalog.campaigns) entry(c.id);
  let emailsSent = 0;
  let opens = 0;
  let clicks = 0;
  const sentIds = new Set<string>();
  const heldOutIds = new Set<string>();
  const mailed = new Map<string, Set<string>>();
  const ledgerStatus = new Map<string, string>();
  let confirmedBySes = 0;
  for await (const e of runtime.ledger.all()) {
    ledgerStatus.set(e.sendId, e.status);
    if (e.confirmedBy === 'ses-event') confirmedBySes++;
    const c = entry(e.campaignId);
    const variant = (c.variants[e.variant] ??= { sent: 0, opens: 0, clicks: 0 });
    if (e.status === 'sent') {
      sentIds.add(e.sendId);
      c.sent++;
      variant.sent++;
      emailsSent++;
      mailed.set(e.campaignId, (mailed.get(e.campaignId) ?? new Set()).add(e.customerId));
    }
    if (e.status === 'held-out') heldOutIds.add(e.sendId);
    c.opens += e.opens;
    c.clicks += e.clicks;
    variant.opens += e.opens;
    variant.clicks += e.clicks;
    opens += e.opens;
    clicks += e.clicks;
  }
  // Each queued send once, in its final state; a send refused at send time and queued again later counts as what happened last.
  const finalState = (sendId: string): string => {
    if (sentIds.has(sendId)) return 'sent';
    if (heldOutIds.has(sendId)) return 'held-out';
    if (setAsideIds.has(sendId)) return 'set-aside';
    if (pending.has(sendId)) return 'still-queued';
    const skip = runtime.tally.lastSkipAtSend.get(sendId);
    return skip ? `at-send:${skip}` : 'unaccounted';
  };
  const heldByPause = new Set<string>();
  for (const [id, c] of Object.entries(campaigns)) {
    if (c.triggered !== undefined) c.triggered = runtime.tally.triggered.get(id) ?? 0;
    for (const sendId of runtime.tally.queuedSendIds.get(id) ?? []) {
      c.queued++;
      const state = finalState(sendId);
      if (state === 'set-aside') c.setAside++;
      else if (state === 'held-out') c.heldOut++;
      else if (state === 'still-queued') c.stillQueued++;
      else if (state === 'unaccounted') c.unaccounted++;
      else if (state !== 'sent') c.skippedAtSend[state.slice('at-send:'.length)] = (c.skippedAtSend[state.slice('at-send:'.length)] ?? 0) + 1;
    }
    const mailedHere = mailed.get(id) ?? new Set<string>();
    const last = runtime.tally.lastOutcome.get(id) ?? new Map<string, string>();
    c.customersConsidered = new Set([...last.keys(), ...mailedHere]).size;
    c.customersMailed = mailedHere.size;
    for (const [customerId, outcome] of last) {
      if (mailedHere.has(customerId)) continue;
      const reason = outcome.startsWith('queued:') ? finalState(outcome.slice('queued:'.length)) : outcome;
      c.notMailed[reason] = (c.notMailed[reason] ?? 0) + 1;
      if (reason === 'paused' || reason === 'at-send:paused') heldByPause.add(customerId);
    }
    c.unsubscribes = runtime.tally.unsubscribes.get(id) ?? 0;
    c.resubscribes = runtime.tally.resubscribes.get(id) ?? 0;
  }
  const unaccountedIds: string[] = [];
  let skippedAtSend = 0;
  let setAside = 0;
  let heldOut = 0;
  for (const id of runtime.sendQueue.enqueuedSendIds) {
    const state = finalState(id);
    if (state === 'set-aside') setAside++;
    else if (state === 'held-out') heldOut++;
    else if (state.startsWith('at-send:')) skippedAtSend++;
    else if (state === 'unaccounted') unaccountedIds.push(`${id} (ledger: ${ledgerStatus.get(id) ?? 'none'}; outcomes: ${runtime.outcomesBySendId.get(id)?.join(',') ?? 'none'})`);
  }
  const unaccounted = unaccountedIds.length;
  const injected = runtime.faults.injected;
  const pauseRecords = await runtime.deliverability.listPauses();
  const guardrail: RunSummary['guardrail'] = {
    pauses: pauseRecords
      .flatMap((r) => [...r.history.map((h) => ({ ...h, scope: r.scope, status: 'resumed' as const })), { ...r }])
      .map((p) => ({ scope: p.scope, status: p.status, day: p.day, reason: p.reason, pausedAt: p.pausedAt }))
      .sort((a, b) => a.pausedAt.localeCompare(b.pausedAt)),
    sendsSkippedPaused: [...runtime.sendSkips].filter(([key]) => key.endsWith('|paused')).reduce((s, [, n]) => s + n, 0),
    notQueuedPaused: runtime.reports.reduce((s, r) => s + Object.values(r.campaigns).reduce((t, c) => t + (c.skipped.paused ?? 0), 0), 0),
    customersHeldByPause: heldByPause.size,
  };

  return {
    source: meta.source,
    window: { from: new Date(meta.from).toISOString(), to: new Date(meta.to).toISOString() },
    customers,
    storefronts: countStorefronts(identities),
    stages,
    value: {
      byStage: Object.fromEntries(
        LIFECYCLE_STAGES.map((st) => {
          const v = perStage[st];
          const pa = mean(v.pAlive);
          const clv = mean(v.clv);
          return [st, { averageSpend: round(mean(v.spend) ?? 0), averagePAlive: pa === null ? null : round(pa, 3), averagePredictedClv: clv === null ? null : round(clv) }];
        }),
      ) as RunSummary['value']['byStage'],
      top20PercentShareOfSpend: top20Share(spend),
      top20PercentShareOfPredictedClv: clvs.length ? top20Share(clvs) : null,
      models: [...runtime.reports].reverse().find((r) => r.models)?.models ?? null,
    },
    rfmSegments,
    suppressed,
    campaigns,
    journeys: journeySummaries(runtime),
    emailsSent,
    opensRecorded: opens,
    clicksRecorded: clicks,
    loyaltyScoresChanged: loyaltyChanged,
    loyaltyChange: {
      customers: loyaltyDeltas.length,
      mean: round(mean(loyaltyDeltas) ?? 0, 1),
      meanAbsolute: round(mean(loyaltyDeltas.map(Math.abs)) ?? 0, 1),
    },
    averageLoyalty: customers ? Math.round((loyaltyTotal / customers) * 10) / 10 : 0,
    stageChanges: runtime.reports.reduce((s, r) => s + r.stageChanges, 0),
    segmentationRuns: runtime.reports.length,
    failedEvents,
    deadLetters: runtime.deadLetters,
    guardrail,
    guarantees: {
      sendsQueued: runtime.sendQueue.enqueuedSendIds.size,
      sent: sentIds.size,
      heldOut,
      confirmedBySes,
      skippedAtSend,
      setAside,
      stillQueued: pending.size,
      unaccounted,
      unaccountedIds: unaccountedIds.slice(0, 20),
      mailedTwice: runtime.emulator.mailedTwice.length,
    },
    sending: {
      maxSendRate: runtime.sendRate,
      peakSendsPerSecond: peakPerSecond(runtime.sendStartTimes),
      throttledRetries: runtime.mailer.stats.throttled,
      backoffSeconds: Math.round(runtime.mailer.stats.backoffMs / 100) / 10,
      deferredSends: [...runtime.outcomesBySendId.values()].filter((o) => o.includes('deferred')).length,
      deferrals: runtime.sendOutcomes.get('deferred') ?? 0,
    },
    ...(runtime.faults.any
      ? {
          faults: {
            injected: { ...injected },
            absorbed: {
              duplicateSendsRefused: runtime.sendOutcomes.get('duplicate') ?? 0,
              outcomeUnknownSetAside: runtime.sendOutcomes.get('unknown') ?? 0,
              retriedSends: runtime.sendRetries,
            },
          },
        }
      : {}),
    outboxFiles: meta.outboxFiles,
    durationSeconds: Math.round((Date.now() - meta.startedAt) / 100) / 10,
  };
}

/** The most of `times` (ms) in any one-second window. */
export function peakPerSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000 - 1e-6) j++; // half-open windows; the epsilon absorbs float rounding
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

const signed = (n: number) => `${n > 0 ? '+' : ''}${n.toFixed(1)}`;

function topReasons(counts: Record<string, number>, n: number): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([r, k]) => `${r} ${k}`)
    .join(', ');
}

/** One line per campaign that tests variants: sends, opens and clicks of each. */
function variantLines(campaigns: RunSummary['campaigns']): string[] {
  const lines = Object.entries(campaigns)
    .filter(([, c]) => Object.keys(c.variants).length > 1)
    .map(([id, c]) => `  ${id.padEnd(20)} ${Object.entries(c.variants).sort((a, b) => a[0].localeCompare(b[0])).map(([v, x]) => `${v}: sent ${x.sent} opens ${x.opens} clicks ${x.clicks}`).join('   ')}`);
  return lines.length ? ['variants (A/B):', ...lines] : [];
}

/** The summary as aligned text tables for the terminal. */
function journeySummaries(runtime: LocalRuntime): Record<string, JourneySummary> {
  const tally = runtime.journeys.tally;
  const out: Record<string, JourneySummary> = {};
  for (const journey of runtime.catalog.journeys) {
    const f = tally.figures(journey.id);
    out[journey.id] = {
      entered: f.entered,
      activeAtEnd: tally.active(journey.id),
      completed: f.completed,
      exited: Object.fromEntries(f.exited),
      refused: Object.fromEntries(f.refused),
      steps: Object.fromEntries([...f.steps].sort(([a], [b]) => a.localeCompare(b)).map(([step, v]) => [step, { campaign: v.campaignId, sent: v.sent, heldOut: v.heldOut, skipped: Object.fromEntries(v.skipped) }])),
    };
  }
  return out;
}

function journeyLines(journeys: Record<string, JourneySummary>): string[] {
  const pad = (v: unknown, n: number) => String(v).padStart(n);
  const lines = [
    `journeys: entered = completed + exited + active at the end; per sending step, sent, held out (never mailed) and skipped by reason`,
    `${'journey'.padEnd(22)} ${pad('entered', 7)} ${pad('active', 6)} ${pad('done', 5)} ${pad('exited', 6)}  exited by reason; not entered (top reasons)`,
  ];
  for (const [id, j] of Object.entries(journeys)) {
    const exited = Object.values(j.exited).reduce((a, b) => a + b, 0);
    lines.push(`${id.padEnd(22)} ${pad(j.entered, 7)} ${pad(j.activeAtEnd, 6)} ${pad(j.completed, 5)} ${pad(exited, 6)}  ${topReasons(j.exited, 3)}; not entered: ${topReasons(j.refused, 3)}`);
    for (const [step, v] of Object.entries(j.steps)) lines.push(`  ${step.padEnd(30)} ${v.campaign.padEnd(22)} sent ${pad(v.sent, 4)}  held out ${pad(v.heldOut, 4)}  skipped ${topReasons(v.skipped, 3)}`);
  }
  return lines;
}

export function formatSummary(s: RunSummary): string {
  const pad = (v: unknown, n: number) => String(v).padStart(n);
  const lines = [
    `Lifecycle Mailer run: ${s.source}`,
    ...(s.assumedConsent !== undefined ? [`consent assumed (--assume-consent) for ${s.assumedConsent} customers the log gives none for`] : []),
    `window ${s.window.from.slice(0, 10)} → ${s.window.to.slice(0, 10)}, ${s.durationSeconds}s`,
    '',
    `customers ${s.customers}   emails sent ${s.emailsSent}   opens ${s.opensRecorded}   clicks ${s.clicksRecorded}   loyalty changed ${s.loyaltyScoresChanged} (mean change ${signed(s.loyaltyChange.mean)}, mean size ${s.loyaltyChange.meanAbsolute.toFixed(1)}; now avg ${s.averageLoyalty})`,
    `storefronts: ${Object.entries(s.storefronts.customers).map(([source, n]) => `${source} ${n}`).join(', ')}; ${s.storefronts.shared} customer(s) known at more than one (one profile each)`,
    '',
    `${'stage'.padEnd(12)} ${pad('customers', 9)} ${pad('avg spend', 10)} ${pad('P(alive)', 9)} ${pad('pred. CLV', 10)}`,
    ...Object.entries(s.stages).map(([stage, n]) => {
      const v = s.value.byStage[stage as LifecycleStage];
      return `${stage.padEnd(12)} ${pad(n, 9)} ${pad(v.averageSpend.toFixed(2), 10)} ${pad(v.averagePAlive?.toFixed(2) ?? '-', 9)} ${pad(v.averagePredictedClv?.toFixed(2) ?? '-', 10)}`;
    }),
    `top 20% of customers hold ${(s.value.top20PercentShareOfSpend * 100).toFixed(0)}% of spend` +
      (s.value.top20PercentShareOfPredictedClv !== null ? ` and ${(s.value.top20PercentShareOfPredictedClv * 100).toFixed(0)}% of predicted 1-year CLV` : ''),
    s.value.models?.bgnbd
      ? `BG/NBD r=${s.value.models.bgnbd.r.toFixed(3)} alpha=${s.value.models.bgnbd.alpha.toFixed(3)} a=${s.value.models.bgnbd.a.toFixed(3)} b=${s.value.models.bgnbd.b.toFixed(3)}` +
        (s.value.models.gammaGamma ? `   Gamma-Gamma p=${s.value.models.gammaGamma.p.toFixed(2)} q=${s.value.models.gammaGamma.q.toFixed(2)} v=${s.value.models.gammaGamma.v.toFixed(2)}` : '')
      : `value models: ${s.value.models?.skipped ?? 'not fitted'}`,
    ...(s.value.models?.warning ? [`warning: ${s.value.models.warning}`] : []),
    '',
    `sends by campaign (queued by the daily runs, or triggered by a shop event): queued = sent + held out + skipped at send + set aside + still queued, each send once in its final state`,
    `${'campaign'.padEnd(22)} ${'trigger'.padEnd(8)} ${pad('queued', 6)} ${pad('sent', 6)} ${pad('held', 5)} ${pad('skipped', 7)} ${pad('aside', 5)} ${pad('queue', 5)} ${pad('opens', 6)} ${pad('clicks', 6)} ${pad('unsub', 5)} ${pad('resub', 5)}  skipped at send, by reason`,
    ...Object.entries(s.campaigns).map(([id, c]) => {
      const skipped = Object.values(c.skippedAtSend).reduce((a, b) => a + b, 0);
      return `${id.padEnd(22)} ${(c.trigger === 'event' ? 'event' : 'schedule').padEnd(8)} ${pad(c.queued, 6)} ${pad(c.sent, 6)} ${pad(c.heldOut, 5)} ${pad(skipped, 7)} ${pad(c.setAside, 5)} ${pad(c.stillQueued, 5)} ${pad(c.opens, 6)} ${pad(c.clicks, 6)} ${pad(c.unsubscribes, 5)} ${pad(c.resubscribes, 5)}  ${topReasons(c.skippedAtSend, 4)}`;
    }),
    '',
    `customers by campaign: each counted once; not mailed by the last reason given for them (the last run or event that considered them, or their last send's fate)`,
    `${'campaign'.padEnd(22)} ${pad('considered', 10)} ${pad('mailed', 6)}  not mailed (top reasons)`,
    ...Object.entries(s.campaigns).map(([id, c]) => `${id.padEnd(22)} ${pad(c.customersConsidered, 10)} ${pad(c.customersMailed, 6)}  ${topReasons(c.notMailed, 4)}`),
    ...variantLines(s.campaigns),
    '',
    ...journeyLines(s.journeys),
    '',
    `suppressed: ${JSON.stringify(s.suppressed)}   failed events: ${JSON.stringify(s.failedEvents)}   dead letters: ${JSON.stringify(s.deadLetters)}`,
    `stage changes recorded: ${s.stageChanges}   .eml files in outbox: ${s.outboxFiles}`,
    s.guardrail.pauses.length
      ? `deliverability guardrail: ${s.guardrail.pauses.length} pause(s); sends skipped as paused ${s.guardrail.sendsSkippedPaused}, customers held back ${s.guardrail.customersHeldByPause} (not queued as paused ${s.guardrail.notQueuedPaused} over all runs) (resume: lifecycle-mailer resume)`
      : `deliverability guardrail: no pauses`,
    ...s.guardrail.pauses.map((p) => `  ${p.status === 'active' ? 'PAUSED ' : 'resumed'} ${describeScope(p.scope).padEnd(26)} day ${p.day}  ${p.reason}`),
    `sends queued ${s.guarantees.sendsQueued}: sent ${s.guarantees.sent}${s.guarantees.confirmedBySes ? ` (${s.guarantees.confirmedBySes} of them confirmed by SES events after a lost result)` : ''}, held out (never mailed) ${s.guarantees.heldOut}, skipped at send ${s.guarantees.skippedAtSend}, set aside with reason ${s.guarantees.setAside}, still queued ${s.guarantees.stillQueued}, unaccounted ${s.guarantees.unaccounted}; mailed twice: ${s.guarantees.mailedTwice}`,
    `SES rate: peak ${s.sending.peakSendsPerSecond}/s of ${s.sending.maxSendRate}/s allowed; throttled ${s.sending.throttledRetries} (backed off ${s.sending.backoffSeconds}s); held for quiet hours or delays: ${s.sending.deferredSends} sends`,
    ...(s.faults ? [`faults injected ${JSON.stringify(s.faults.injected)}; absorbed ${JSON.stringify(s.faults.absorbed)}`] : []),
  ];
  return lines.join('\n');
}
