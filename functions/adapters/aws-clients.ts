import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { RequestSigner, RetryStrategyV2 } from '@smithy/types';

/** Where the SDK clients point: AWS by default, or local stand-ins. */
export interface ClientOptions {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
  /** Replaces the SDK's retry strategy (the local runtime's replays shorten its waits). */
  retryStrategy?: RetryStrategyV2;
  /** Instead of the defaults below (the local runtime sizes them for a stand-in on a loaded machine). */
  timeouts?: RequestTimeouts;
  /** Keep idle connections for the next request (the default, as in AWS); false: one connection per request. */
  keepAlive?: boolean;
  /** Instead of SigV4 with the credentials (the local runtime's, for a stand-in that does not check signatures). */
  signer?: RequestSigner;
}

/** How long a request may take to connect, and to be answered, before the SDK gives up on it (ms). */
export interface RequestTimeouts {
  connectionMs: number;
  requestMs: number;
}

/**
 * The SDK waits for ever on a request that never gets an answer (a stalled connection, a hung
 * endpoint). A timeout turns that into an error the retry logic handles: DynamoDB retries it,
 * and an SES send that timed out counts as 'outcome unknown' (never resent).
 */
export const DYNAMODB_TIMEOUTS: RequestTimeouts = { connectionMs: 3_000, requestMs: 5_000 };
export const SES_TIMEOUTS: RequestTimeouts = { connectionMs: 3_000, requestMs: 10_000 };
const handler = (t: RequestTimeouts, keepAlive: boolean) =>
  new NodeHttpHandler({ connectionTimeout: t.connectionMs, requestTimeout: t.requestMs, throwOnRequestTimeout: true, ...(keepAlive ? {} : { httpAgent: { keepAlive: false } }) });

/**
 * The SDK's logger middleware runs every request's input and every response through its
 * sensitive-data filter to build a log line, even with no logger configured (the default
 * logger's info is a no-op that still receives it). The functions log through Powertools, not
 * the SDK, so the line is never written: dropping the middleware saves that work on every call
 * (a twentieth of a local replay's CPU, and Lambda milliseconds in AWS).
 */
export function withoutSdkLogLines<C extends { middlewareStack: { remove(name: string): boolean } }>(client: C): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

export function createDocumentClient({ timeouts = DYNAMODB_TIMEOUTS, keepAlive = true, ...options }: ClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(withoutSdkLogLines(new DynamoDBClient({ requestHandler: handler(timeouts, keepAlive), ...options })), {
    // Optional profile fields are simply absent in DynamoDB.
    marshallOptions: { removeUndefinedValues: true },
  });
}

export const createSesClient = ({ timeouts = SES_TIMEOUTS, keepAlive = true, ...options }: ClientOptions = {}) => withoutSdkLogLines(new SESv2Client({ requestHandler: handler(timeouts, keepAlive), ...options }));
export const createSqsClient = (options: ClientOptions = {}) => withoutSdkLogLines(new SQSClient(options));
