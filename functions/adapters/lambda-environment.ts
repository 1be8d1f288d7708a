import { z } from 'zod';
import { parseOrThrow } from '#domain/invalid-input-error.ts';

/**
 * The functions' configuration, read once per cold start. Secrets are never logged. Each
 * function is given the names of the tables it may use only (lib/function-access.ts), so
 * every table is optional here; an adapter over a table the function was not given refuses.
 */
export const LambdaEnvironment = z.object({
  CUSTOMERS_TABLE: z.string().min(1).optional(),
  SEND_LEDGER_TABLE: z.string().min(1).optional(),
  FAILED_EVENTS_TABLE: z.string().min(1).optional(),
  STAGE_CHANGES_TABLE: z.string().min(1).optional(),
  MODEL_RUNS_TABLE: z.string().min(1).optional(),
  DELIVERABILITY_TABLE: z.string().min(1).optional(),
  IDEMPOTENCY_TABLE: z.string().min(1).optional(),
  SEND_QUEUE_URL: z.string().optional(),
  JOURNEY_ENTRIES_TABLE: z.string().min(1).optional(),
  /** The journey queue (wake-ups, stage changes); its ARN, the Scheduler role and group for the one-time wake-up schedules. */
  JOURNEY_QUEUE_URL: z.string().optional(),
  JOURNEY_QUEUE_ARN: z.string().optional(),
  JOURNEY_SCHEDULER_ROLE_ARN: z.string().optional(),
  JOURNEY_SCHEDULE_GROUP: z.string().optional(),
  /** Where Scheduler puts a wake-up it could not deliver to the journey queue. */
  JOURNEY_WAKE_DLQ_ARN: z.string().optional(),
  CATALOG_PATH: z.string().default('./catalog.json'),
  /** The Secrets Manager secret holding the link-signing keys (its ARN, never its value). */
  SIGNING_KEYS_SECRET_ARN: z.string().min(1).optional(),
});
export type LambdaEnvironment = z.infer<typeof LambdaEnvironment>;

let cached: LambdaEnvironment | undefined;
export function lambdaEnvironment(): LambdaEnvironment {
  cached ??= parseOrThrow(LambdaEnvironment, process.env, 'environment');
  return cached;
}

/** A table this function's access declares (lib/function-access.ts), so the stack sets its variable. */
export function requiredTable(name: string | undefined, variable: string): string {
  if (!name) throw new Error(`${variable} is not set: the function's access in lib/function-access.ts must declare its table`);
  return name;
}
