import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BodyTooLargeError, readBody as readBounded, sendResult as send } from './http-exchange.ts';

/** A Function URL handler, e.g. what `createUnsubscribeHandler(deps)` returns. */
export type FunctionUrlHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface UnsubscribeServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  handler: FunctionUrlHandler;
}

export interface UnsubscribeServer {
  /** The unsubscribe base URL to put in emails, e.g. `http://127.0.0.1:PORT/unsubscribe`. */
  readonly url: string;
  close(): Promise<void>;
}

export const UNSUBSCRIBE_PATH = '/unsubscribe';
const MAX_BODY_BYTES = 64 * 1024;
/** Bodies a Function URL hands over as text; anything else arrives base64-encoded. */
const TEXT_BODY = /^(text\/|application\/(x-www-form-urlencoded|json)\b)/i;

const readBody = (request: IncomingMessage) => readBounded(request, MAX_BODY_BYTES);

/** The event a Lambda Function URL would deliver for this request (payload format 2.0). */
export function toFunctionUrlEvent(request: IncomingMessage, url: URL, body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value; // Function URLs join repeats with commas
  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_BODY.test(contentType);
  const now = new Date();
  const method = (request.method ?? 'GET').toUpperCase();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: url.hostname,
      http: { method, path: url.pathname, protocol: `HTTP/${request.httpVersion}`, sourceIp: request.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
  };
}

/**
 * Serves the unsubscribe endpoint on this machine, so the links in the local inbox work:
 * each request becomes the Function URL event AWS would send, and goes to the same handler.
 */
export function startUnsubscribeServer({ port = 0, host = '127.0.0.1', handler }: UnsubscribeServerOptions): Promise<UnsubscribeServer> {
  const server = createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', `http://${request.headers.host ?? host}`);
      if (url.pathname !== UNSUBSCRIBE_PATH) return send(response, { statusCode: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Not found' });
      const body = await readBody(request);
      send(response, await handler(toFunctionUrlEvent(request, url, body)));
    } catch (error) {
      const tooLarge = error instanceof BodyTooLargeError;
      // What the Function URL answers when the function fails; the error itself stays out of the response.
      if (!response.headersSent)
        send(response, { statusCode: tooLarge ? 413 : 502, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: tooLarge ? 'Payload Too Large' : 'Internal Server Error' });
      else response.destroy();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: bound } = server.address() as AddressInfo;
      // Listening on every interface: links still point at this machine's loopback address.
      const linkHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
      const hostname = linkHost.includes(':') ? `[${linkHost}]` : linkHost;
      resolve({
        url: `http://${hostname}:${bound}${UNSUBSCRIBE_PATH}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
