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
});
export type ModelRun = z.infer<typeof ModelRun>;

/** Fitted model parameters with the date they were fitted: what each day's scores came from. */
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
}
