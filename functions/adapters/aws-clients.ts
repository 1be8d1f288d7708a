import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { RetryStrategyV2 } from '@smithy/types';

/** Where the SDK clients point: AWS by default, or local stand-ins. */
export interface ClientOptions {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
  /** Replaces the SDK's retry strategy (the local runtime's replays shorten its waits). */
  retryStrategy?: RetryStrategyV2;
}

/**
 * The SDK waits for ever on a request that never gets an answer (a stalled connection, a hung
 * endpoint). A timeout turns that into an error the retry logic handles: DynamoDB retries it,
 * and an SES send that timed out counts as 'outcome unknown' (never resent).
 */
const dynamoDbHandler = () => new NodeHttpHandler({ connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true });
const sesHandler = () => new NodeHttpHandler({ connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true });

export function createDocumentClient(options: ClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler: dynamoDbHandler(), ...options }), {
    // Optional profile fields are simply absent in DynamoDB.
    marshallOptions: { removeUndefinedValues: true },
  });
}

export const createSesClient = (options: ClientOptions = {}) => new SESv2Client({ requestHandler: sesHandler(), ...options });
export const createSqsClient = (options: ClientOptions = {}) => new SQSClient(options);
