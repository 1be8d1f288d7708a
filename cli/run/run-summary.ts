import { LIFECYCLE_STAGES, type LifecycleStage } from '#domain/customer-profile.ts';
import type { SkipReason } from '#domain/campaign-choice.ts';
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

export interface CampaignSummary {
  eligible: number;
  queued: number;
  sent: number;
  skipped: Record<string, number>;
  opens: number;
  clicks: number;
}

export interface RunSummary {
  source: string;
  /** Customers imported with consent the order log did not give (`--assume-consent`); absent without it. */
  assumedConsent?: number;
  window: { from: string; to: string };
  customers: number;
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
  emailsSent: number;
  opensRecorded: number;
  clicksRecorded: number;
  loyaltyScoresChanged: number;
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
  };
  /** The exactly-once accounting: every queued send is sent, skipped at send time, or set aside with a reason. */
  guarantees: {
    sendsQueued: number;
    sent: number;
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
  let loyaltyChanged = 0;
  let loyaltyTotal = 0;
  const spend: number[] = [];
  const clvs: number[] = [];
  const perStage = Object.fromEntries(LIFECYCLE_STAGES.map((st) => [st, { spend: [] as number[], pAlive: [] as number[], clv: [] as number[] }])) as Record<
    LifecycleStage,
    { spend: number[]; pAlive: number[]; clv: number[] }
  >;
  for await (const page of runtime.customers.scanSegment(0, 1)) {
    for (const p of page) {
      customers++;
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
      loyaltyTotal += p.loyaltyScore;
    }
  }

  const campaigns: Record<string, CampaignSummary> = {};
  const entry = (id: string) => (campaigns[id] ??= { eligible: 0, queued: 0, sent: 0, skipped: {}, opens: 0, clicks: 0 });
  for (const c of runtime.catalog.campaigns) entry(c.id);
  for (const report of runtime.reports) {
    for (const [id, stats] of Object.entries(report.campaigns)) {
      const c = entry(id);
      c.eligible += stats.eligible;
      c.queued += stats.queued;
      for (const [reason, n] of Object.entries(stats.skipped) as [SkipReason, number][]) c.skipped[reason] = (c.skipped[reason] ?? 0) + n;
    }
  }
  let emailsSent = 0;
  let opens = 0;
  let clicks = 0;
  const sentIds = new Set<string>();
  const ledgerStatus = new Map<string, string>();
  let confirmedBySes = 0;
  for await (const e of runtime.ledger.all()) {
    ledgerStatus.set(e.sendId, e.status);
    if (e.status === 'sent') sentIds.add(e.sendId);
    if (e.confirmedBy === 'ses-event') confirmedBySes++;
    const c = entry(e.campaignId);
    if (e.status === 'sent') {
      c.sent++;
      emailsSent++;
      if (c.queued < c.sent) c.eligible++, c.queued++; // event-triggered sends are queued by ingest, not by a run
    }
    c.opens += e.opens;
    c.clicks += e.clicks;
    opens += e.opens;
    clicks += e.clicks;
  }
  for (const [key, n] of runtime.sendSkips) {
    const [campaignId, reason] = key.split('|') as [string, string];
    const c = entry(campaignId);
    c.skipped[`at-send:${reason}`] = (c.skipped[`at-send:${reason}`] ?? 0) + n;
  }
  const failedEvents: Record<string, number> = {};
  const failed = await runtime.failedEvents.list();
  for (const f of failed) failedEvents[f.stage] = (failedEvents[f.stage] ?? 0) + 1;
  const setAsideIds = new Set(failed.filter((f) => f.stage === 'send').map((f) => f.failureId.split('#')[1] ?? ''));
  const pending = runtime.sendQueue.pendingSendIds();
  const unaccountedIds: string[] = [];
  for (const id of runtime.sendQueue.enqueuedSendIds) {
    if (!sentIds.has(id) && !setAsideIds.has(id) && !runtime.skippedSendIds.has(id) && !pending.has(id)) unaccountedIds.push(`${id} (ledger: ${ledgerStatus.get(id) ?? 'none'}; outcomes: ${runtime.outcomesBySendId.get(id)?.join(',') ?? 'none'})`);
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
  };

  return {
    source: meta.source,
    window: { from: new Date(meta.from).toISOString(), to: new Date(meta.to).toISOString() },
    customers,
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
    emailsSent,
    opensRecorded: opens,
    clicksRecorded: clicks,
    loyaltyScoresChanged: loyaltyChanged,
    averageLoyalty: customers ? Math.round((loyaltyTotal / customers) * 10) / 10 : 0,
    stageChanges: runtime.reports.reduce((s, r) => s + r.stageChanges, 0),
    segmentationRuns: runtime.reports.length,
    failedEvents,
    deadLetters: runtime.deadLetters,
    guardrail,
    guarantees: {
      sendsQueued: runtime.sendQueue.enqueuedSendIds.size,
      sent: sentIds.size,
      confirmedBySes,
      skippedAtSend: runtime.skippedSendIds.size,
      setAside: [...setAsideIds].filter((id) => !sentIds.has(id)).length,
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

/** The summary as aligned text tables for the terminal. */
export function formatSummary(s: RunSummary): string {
  const pad = (v: unknown, n: number) => String(v).padStart(n);
  const lines = [
    `Lifecycle Mailer run: ${s.source}`,
    ...(s.assumedConsent !== undefined ? [`consent assumed (--assume-consent) for ${s.assumedConsent} customers the log gives none for`] : []),
    `window ${s.window.from.slice(0, 10)} → ${s.window.to.slice(0, 10)}, ${s.durationSeconds}s`,
    '',
    `customers ${s.customers}   emails sent ${s.emailsSent}   opens ${s.opensRecorded}   clicks ${s.clicksRecorded}   loyalty changed ${s.loyaltyScoresChanged} (avg ${s.averageLoyalty})`,
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
    `${'campaign'.padEnd(22)} ${pad('eligible', 8)} ${pad('sent', 6)} ${pad('opens', 6)} ${pad('clicks', 6)}  skipped (top reasons)`,
    ...Object.entries(s.campaigns).map(([id, c]) => {
      const top = Object.entries(c.skipped)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([r, n]) => `${r} ${n}`)
        .join(', ');
      return `${id.padEnd(22)} ${pad(c.eligible, 8)} ${pad(c.sent, 6)} ${pad(c.opens, 6)} ${pad(c.clicks, 6)}  ${top}`;
    }),
    '',
    `suppressed: ${JSON.stringify(s.suppressed)}   failed events: ${JSON.stringify(s.failedEvents)}   dead letters: ${JSON.stringify(s.deadLetters)}`,
    `stage changes recorded: ${s.stageChanges}   .eml files in outbox: ${s.outboxFiles}`,
    s.guardrail.pauses.length
      ? `deliverability guardrail: ${s.guardrail.pauses.length} pause(s); sends skipped as paused ${s.guardrail.sendsSkippedPaused}, not queued as paused ${s.guardrail.notQueuedPaused} (resume: lifecycle-mailer resume)`
      : `deliverability guardrail: no pauses`,
    ...s.guardrail.pauses.map((p) => `  ${p.status === 'active' ? 'PAUSED ' : 'resumed'} ${describeScope(p.scope).padEnd(26)} day ${p.day}  ${p.reason}`),
    `sends queued ${s.guarantees.sendsQueued}: sent ${s.guarantees.sent}${s.guarantees.confirmedBySes ? ` (${s.guarantees.confirmedBySes} of them confirmed by SES events after a lost result)` : ''}, skipped at send ${s.guarantees.skippedAtSend}, set aside with reason ${s.guarantees.setAside}, still queued ${s.guarantees.stillQueued}, unaccounted ${s.guarantees.unaccounted}; mailed twice: ${s.guarantees.mailedTwice}`,
    `SES rate: peak ${s.sending.peakSendsPerSecond}/s of ${s.sending.maxSendRate}/s allowed; throttled ${s.sending.throttledRetries} (backed off ${s.sending.backoffSeconds}s); held for quiet hours or delays: ${s.sending.deferredSends} sends`,
    ...(s.faults ? [`faults injected ${JSON.stringify(s.faults.injected)}; absorbed ${JSON.stringify(s.faults.absorbed)}`] : []),
  ];
  return lines.join('\n');
}
