import { z } from 'zod';
import { parseOrThrow } from '#domain/invalid-input-error.ts';

/** The functions' configuration, read once per cold start. Secrets are never logged. */
export const LambdaEnvironment = z.object({
  CUSTOMERS_TABLE: z.string().min(1),
  SEND_LEDGER_TABLE: z.string().min(1),
  FAILED_EVENTS_TABLE: z.string().min(1),
  STAGE_CHANGES_TABLE: z.string().min(1),
  MODEL_RUNS_TABLE: z.string().min(1),
  DELIVERABILITY_TABLE: z.string().min(1),
  IDEMPOTENCY_TABLE: z.string().min(1),
  SEND_QUEUE_URL: z.string().optional(),
  CATALOG_PATH: z.string().default('./catalog.json'),
  UNSUBSCRIBE_SECRET: z.string().min(32, 'at least 32 characters').optional(),
});
export type LambdaEnvironment = z.infer<typeof LambdaEnvironment>;

let cached: LambdaEnvironment | undefined;
export function lambdaEnvironment(): LambdaEnvironment {
  cached ??= parseOrThrow(LambdaEnvironment, process.env, 'environment');
  return cached;
}
