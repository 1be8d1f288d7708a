/**
 * `lifecycle-mailer cost --customers N --emails-per-month M`: what the stack costs per month on
 * AWS list prices (cli/cost/aws-prices.json, with their date and sources), per service, from a
 * usage model written out below so anyone can check or change an assumption.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { positiveInteger } from './arguments.ts';

const Source = z.string().url();
export const AwsPrices = z
  .object({
    region: z.string(),
    currency: z.literal('USD'),
    retrieved: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    note: z.string(),
    services: z.object({
      ses: z.object({ source: Source, perThousandEmails: z.number().nonnegative() }),
      lambda: z.object({ source: Source, perMillionRequests: z.number().nonnegative(), perGbSecond: z.number().nonnegative() }),
      dynamodb: z.object({ source: Source, perMillionWriteRequestUnits: z.number().nonnegative(), perMillionReadRequestUnits: z.number().nonnegative(), perGbMonth: z.number().nonnegative() }),
      sqs: z.object({ source: Source, perMillionRequests: z.number().nonnegative() }),
      eventbridge: z.object({ source: Source, perMillionCustomEvents: z.number().nonnegative() }),
      scheduler: z.object({ source: Source, perMillionInvocations: z.number().nonnegative() }),
      stepFunctions: z.object({ source: Source, perThousandStateTransitions: z.number().nonnegative() }),
      cloudwatch: z.object({ source: Source, perGbLogsIngested: z.number().nonnegative(), perGbMonthLogsStored: z.number().nonnegative(), perMetricMonth: z.number().nonnegative() }),
      secretsManager: z.object({ source: Source, perSecretMonth: z.number().nonnegative(), perTenThousandCalls: z.number().nonnegative() }),
    }),
    hostedTools: z.array(z.object({ name: z.string(), contacts: z.number().int().positive(), monthlyPrice: z.number().positive(), priced: z.string(), source: z.string() })),
  })
  .strict();
export type AwsPrices = z.infer<typeof AwsPrices>;

export const PRICES_FILE = new URL('./cost/aws-prices.json', import.meta.url).pathname;

export function loadPrices(file = PRICES_FILE): AwsPrices {
  const parsed = AwsPrices.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * The usage model: what one email, one customer-day and one shop event cost in requests,
 * compute and storage, read off the pipeline (functions/*, lib/routes.ts).
 */
export const USAGE_MODEL = {
  perEmail: {
    // send: ledger claim + sent mark (2 writes), profile read and capped-sends update (1 read, 1 write).
    dynamoWrites: 3,
    dynamoReads: 1,
    // SQS: enqueue, receive, delete (batches of 10 receive together; counted per message to stay on the safe side).
    sqsRequests: 3,
    sendLambdaGbSeconds: 0.5 * 0.15, // 512 MB, ~150 ms per email including the SES call
    sendInvocations: 0.1, // batches of 10
    // SES events back (send, delivery, open or click): AWS service events on the default bus are free;
    // each is one engagement invocation with a profile read and a write.
    sesEvents: 3,
    engagementGbSeconds: 0.5 * 0.05,
    // journey waits: about one one-time schedule per email sent from a journey step.
    schedulerInvocations: 0.5,
    logBytes: 3 * 1024,
  },
  perCustomerDay: {
    // daily segmentation: a parallel scan reads every profile (~2 KB, eventually consistent: half a unit per 4 KB) …
    dynamoReads: 0.5,
    // … and writes back the ~10% whose stage or scores changed (a ~2 KB item is two write units).
    dynamoWrites: 0.2,
    segmentGbSeconds: 1 * 0.0002, // 1 GB, ~0.2 ms per customer
    /** Distributed Map: a few state transitions per segment of 1,000 customers. */
    stateTransitions: 4 / 1000,
  },
  perCustomerMonth: {
    // shop events (orders, carts, profile updates) published to the shop bus, each an ingest run.
    shopEvents: 2,
    ingestGbSeconds: 0.5 * 0.05,
    dynamoWritesPerEvent: 2,
    dynamoReadsPerEvent: 1,
    storageBytes: 2048 + 12 * 300, // the profile, and a year of ledger and stage-change rows
  },
  fixedPerMonth: {
    scheduleInvocations: 30 * 20, // campaign crons and the daily segmentation
    stateTransitionsPerRun: 10,
    segmentationRuns: 30,
    metrics: 12, // Powertools metrics (EMF): sends, skips, bounces, complaints, …
    secrets: 1,
    secretCallsPerInvocation: 0.01, // cached per warm container
    logRetentionMonths: 1,
  },
} as const;

export interface ServiceCost {
  service: string;
  monthly: number;
  usage: string;
}

const DAYS = 30;
const fmtCount = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : n.toFixed(0));

/** Per-service monthly cost for `customers` profiles and `emails` sends a month. Pure. */
export function estimateMonthlyCost(prices: AwsPrices, customers: number, emails: number): ServiceCost[] {
  const u = USAGE_MODEL;
  const p = prices.services;
  const customerDays = customers * DAYS;
  const shopEvents = customers * u.perCustomerMonth.shopEvents;
  const sesEvents = emails * u.perEmail.sesEvents;
  const invocations = emails * u.perEmail.sendInvocations + sesEvents + shopEvents + u.fixedPerMonth.segmentationRuns * Math.max(1, Math.ceil(customers / 1000));
  const gbSeconds = emails * u.perEmail.sendLambdaGbSeconds + sesEvents * u.perEmail.engagementGbSeconds + customerDays * u.perCustomerDay.segmentGbSeconds + shopEvents * u.perCustomerMonth.ingestGbSeconds;
  const writes = emails * u.perEmail.dynamoWrites + sesEvents + customerDays * u.perCustomerDay.dynamoWrites + shopEvents * u.perCustomerMonth.dynamoWritesPerEvent;
  const reads = emails * u.perEmail.dynamoReads + sesEvents + customerDays * u.perCustomerDay.dynamoReads + shopEvents * u.perCustomerMonth.dynamoReadsPerEvent;
  const storageGb = (customers * u.perCustomerMonth.storageBytes) / 1024 ** 3;
  const sqs = emails * u.perEmail.sqsRequests;
  const schedules = emails * u.perEmail.schedulerInvocations + u.fixedPerMonth.scheduleInvocations;
  const transitions = customerDays * u.perCustomerDay.stateTransitions + u.fixedPerMonth.segmentationRuns * u.fixedPerMonth.stateTransitionsPerRun;
  const logGb = ((emails + sesEvents + shopEvents) * u.perEmail.logBytes) / 1024 ** 3;
  const secretCalls = invocations * u.fixedPerMonth.secretCallsPerInvocation;
  return [
    { service: 'SES', monthly: (emails / 1000) * p.ses.perThousandEmails, usage: `${fmtCount(emails)} emails` },
    { service: 'Lambda', monthly: (invocations / 1e6) * p.lambda.perMillionRequests + gbSeconds * p.lambda.perGbSecond, usage: `${fmtCount(invocations)} invocations, ${fmtCount(gbSeconds)} GB-s` },
    { service: 'DynamoDB (on-demand)', monthly: (writes / 1e6) * p.dynamodb.perMillionWriteRequestUnits + (reads / 1e6) * p.dynamodb.perMillionReadRequestUnits + storageGb * p.dynamodb.perGbMonth, usage: `${fmtCount(writes)} WRU, ${fmtCount(reads)} RRU, ${storageGb.toFixed(2)} GB` },
    { service: 'SQS', monthly: (sqs / 1e6) * p.sqs.perMillionRequests, usage: `${fmtCount(sqs)} requests` },
    { service: 'EventBridge', monthly: (shopEvents / 1e6) * p.eventbridge.perMillionCustomEvents, usage: `${fmtCount(shopEvents)} shop events (SES events on the default bus are free)` },
    { service: 'EventBridge Scheduler', monthly: (schedules / 1e6) * p.scheduler.perMillionInvocations, usage: `${fmtCount(schedules)} invocations` },
    { service: 'Step Functions', monthly: (transitions / 1000) * p.stepFunctions.perThousandStateTransitions, usage: `${fmtCount(transitions)} state transitions` },
    { service: 'CloudWatch', monthly: logGb * (p.cloudwatch.perGbLogsIngested + p.cloudwatch.perGbMonthLogsStored * u.fixedPerMonth.logRetentionMonths) + u.fixedPerMonth.metrics * p.cloudwatch.perMetricMonth, usage: `${logGb.toFixed(2)} GB logs, ${u.fixedPerMonth.metrics} metrics` },
    { service: 'Secrets Manager', monthly: u.fixedPerMonth.secrets * p.secretsManager.perSecretMonth + (secretCalls / 10_000) * p.secretsManager.perTenThousandCalls, usage: `${u.fixedPerMonth.secrets} secret, ${fmtCount(secretCalls)} calls` },
  ];
}

const money = (n: number) => `$${n < 10 ? n.toFixed(2) : n.toFixed(0)}`;

export function formatCost(prices: AwsPrices, customers: number, emails: number): string {
  const rows = estimateMonthlyCost(prices, customers, emails);
  const total = rows.reduce((sum, r) => sum + r.monthly, 0);
  const width = Math.max(...rows.map((r) => r.service.length), 5);
  const lines = [
    `Monthly estimate for ${customers.toLocaleString('en-US')} customers and ${emails.toLocaleString('en-US')} emails (${prices.region} list prices of ${prices.retrieved}, no free tier):`,
    ...rows.map((r) => `  ${r.service.padEnd(width)}  ${money(r.monthly).padStart(8)}  ${r.usage}`),
    `  ${'Total'.padEnd(width)}  ${money(total).padStart(8)}`,
  ];
  const hosted = prices.hostedTools.filter((h) => h.contacts >= customers).sort((a, b) => a.contacts - b.contacts)[0];
  if (hosted) lines.push(`For comparison: ${hosted.name} for ${hosted.contacts.toLocaleString('en-US')} contacts was listed at $${hosted.monthlyPrice}/month (${hosted.priced}; ${hosted.source}).`);
  lines.push(`Usage model and prices: cli/cost-command.ts, ${PRICES_FILE.replace(/.*\/(cli\/)/, '$1')}`);
  return lines.join('\n');
}

export function registerCostCommand(program: Command): void {
  program
    .command('cost')
    .description('estimate the monthly AWS bill per service (list prices in cli/cost/aws-prices.json)')
    .requiredOption('--customers <n>', 'customer profiles kept', positiveInteger)
    .requiredOption('--emails-per-month <n>', 'emails sent per month', positiveInteger)
    .action((o: { customers: number; emailsPerMonth: number }) => {
      process.stdout.write(formatCost(loadPrices(), o.customers, o.emailsPerMonth) + '\n');
    });
}
