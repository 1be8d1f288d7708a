import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Where the SDK clients point: AWS by default, or local stand-ins. */
export interface ClientOptions {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
}

export function createDocumentClient(options: ClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(options), {
    // Optional profile fields are simply absent in DynamoDB.
    marshallOptions: { removeUndefinedValues: true },
  });
}

export const createSesClient = (options: ClientOptions = {}) => new SESv2Client(options);
export const createSqsClient = (options: ClientOptions = {}) => new SQSClient(options);
