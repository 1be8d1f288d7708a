import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';

export const ModelRun = z.object({
  model: z.enum(['bgnbd', 'gamma-gamma']),
  fittedAt: z.string(),
  params: z.record(z.string(), z.number()),
  logLikelihood: z.number(),
  iterations: z.number().int(),
  converged: z.boolean(),
  customers: z.number().int(),
  /** Set when the fit must not be used for scoring (did not converge, degenerate parameters): why. */
  rejected: z.string().optional(),
});
export type ModelRun = z.infer<typeof ModelRun>;

/**
 * Fitted model parameters with the date they were fitted: what each day's scores came from.
 * A rejected fit is recorded too (with why), so the refit schedule and the reason are kept,
 * but `latestUsable` never returns it.
 */
export class ModelRunStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(run: ModelRun): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: run }));
  }

  async latest(model: ModelRun['model']): Promise<ModelRun | undefined> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'model = :m',
        ExpressionAttributeValues: { ':m': model },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    return Items?.[0] ? ModelRun.parse(Items[0]) : undefined;
  }

  /** The newest fit that may be used for scoring (not rejected). */
  async latestUsable(model: ModelRun['model']): Promise<ModelRun | undefined> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'model = :m',
          FilterExpression: 'attribute_not_exists(rejected)',
          ExpressionAttributeValues: { ':m': model },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }),
      );
      const first = page.Items?.[0];
      if (first) return ModelRun.parse(first);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return undefined;
  }
}
