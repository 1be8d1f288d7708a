import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import { z } from 'zod';
import { seededRandom } from './seeded-random.ts';

const Probability = z.coerce.number().min(0).max(1);

/** `--faults ses-throttle=0.2,ses-error=0.05,…`: probability of each fault per operation. */
export const FaultPlan = z
  .object({
    'ses-throttle': Probability.default(0),
    'ses-error': Probability.default(0),
    'ddb-throttle': Probability.default(0),
    'crash-before-send': Probability.default(0),
    'crash-after-send': Probability.default(0),
    'duplicate-events': Probability.default(0),
  })
  .strict();
export type FaultPlan = z.infer<typeof FaultPlan>;
export type FaultKind = keyof FaultPlan;

export function parseFaults(spec: string): FaultPlan {
  const entries = spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [name, value] = part.split('=');
      return [name, value ?? ''] as const;
    });
  const result = FaultPlan.safeParse(Object.fromEntries(entries));
  if (!result.success) {
    throw new Error(`--faults: ${result.error.issues.map((i) => `${i.path.join('.') || i.message}: ${i.message}`).join('; ')} (known: ${Object.keys(FaultPlan.shape).join(', ')})`);
  }
  return result.data;
}

/** An error shaped like the SDK's, so the clients' own retry logic treats it as the real thing. */
function serviceError(name: string, status: number | undefined, message: string): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status && status < 500 ? 'client' : 'server',
    $metadata: status ? { httpStatusCode: status, attempts: 1 } : { attempts: 1 },
  });
}

/**
 * Injects faults into the local runtime through the SDK clients' middleware and the local
 * bus and queue, never by changing the handlers: what is tested is the code AWS runs.
 */
export class FaultInjector {
  readonly injected: Record<FaultKind, number> = {
    'ses-throttle': 0,
    'ses-error': 0,
    'ddb-throttle': 0,
    'crash-before-send': 0,
    'crash-after-send': 0,
    'duplicate-events': 0,
  };
  private readonly random: () => number;

  constructor(
    readonly plan: FaultPlan,
    seed: string,
  ) {
    this.random = seededRandom(`faults:${seed}`);
  }

  get any(): boolean {
    return Object.values(this.plan).some((p) => p > 0);
  }

  /** Rolls for a fault; counts it when it happens. */
  roll(kind: FaultKind): boolean {
    const p = this.plan[kind];
    if (p > 0 && this.random() < p) {
      this.injected[kind]++;
      return true;
    }
    return false;
  }

  attachToSes(client: SESv2Client): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'SendEmailCommand') return next(args);
        if (this.roll('ses-throttle')) throw serviceError('TooManyRequestsException', 429, 'injected: Too Many Requests');
        if (this.roll('ses-error')) throw serviceError('InternalFailure', 500, 'injected: internal failure');
        const result = await next(args);
        // SES took the message but the function died before it could record that.
        if (this.roll('crash-after-send')) throw serviceError('SimulatedCrashAfterSend', undefined, 'injected: crash after SES accepted the message');
        return result;
      },
      { step: 'initialize', name: 'faultInjection', priority: 'high' },
    );
  }

  /**
   * DynamoDB: throttles are injected inside the SDK's retry loop, as real ones arrive;
   * a crash-before-send fires right after the ledger claim was written.
   */
  attachToDynamoDb(client: DynamoDBClient, ledgerTable: string): void {
    client.middlewareStack.addRelativeTo(
      <Input extends object, Output extends MetadataBearer>(next: FinalizeHandler<Input, Output>) => async (args: FinalizeHandlerArguments<Input>) => {
        if (this.roll('ddb-throttle')) throw serviceError('ProvisionedThroughputExceededException', 400, 'injected: throughput exceeded');
        return next(args);
      },
      { relation: 'after', toMiddleware: 'retryMiddleware', name: 'faultInjectionThrottle' },
    );
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const input = args.input as { TableName?: string; ConditionExpression?: string };
        const isClaim = context.commandName === 'PutItemCommand' && input.TableName === ledgerTable && input.ConditionExpression?.includes('attribute_not_exists');
        if (isClaim && this.roll('crash-before-send')) throw serviceError('SimulatedCrashBeforeSend', undefined, 'injected: crash between ledger claim and SES call');
        return result;
      },
      { step: 'initialize', name: 'faultInjectionCrash' },
    );
  }
}
