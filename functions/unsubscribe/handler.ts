import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { lambdaDependencies } from '#adapters/lambda-dependencies.ts';
import { createSqsClient } from '#adapters/aws-clients.ts';
import { SqsJourneyQueue } from '#adapters/journey-queue.ts';
import { catalogTopics, handleUnsubscribeRequest, type UnsubscribeDeps } from './unsubscribe.ts';

/** The part of a Function URL event the endpoint reads. */
export type UnsubscribeEvent = Pick<APIGatewayProxyEventV2, 'queryStringParameters' | 'body' | 'isBase64Encoded' | 'headers'> & {
  requestContext: { http: { method: string } };
};

/** Lambda Function URL target (public; every request must carry a signed token). Also served locally by `lib/local/unsubscribe-server.ts`. */
export const createUnsubscribeHandler =
  (deps: UnsubscribeDeps) =>
  async (event: UnsubscribeEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    const header = (name: string) => event.headers?.[name] ?? undefined;
    const body = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const response = await handleUnsubscribeRequest(
      {
        method: event.requestContext.http.method,
        query: event.queryStringParameters ?? {},
        body,
        contentType: header('content-type'),
        acceptLanguage: header('accept-language'),
      },
      deps,
    );
    return { statusCode: response.status, headers: response.headers, body: response.body };
  };

let instance: { deps: UnsubscribeDeps; handle: ReturnType<typeof createUnsubscribeHandler> } | undefined;
export const handler = async (event: UnsubscribeEvent) => {
  const d = lambdaDependencies();
  const secret = await d.signingKeys(); // current and previous: links mailed before a rotation still verify
  if (!instance) {
    const deps: UnsubscribeDeps = {
      ...d,
      secret,
      topics: catalogTopics(d.catalog),
      onConfirmed: {
        campaigns: d.catalog.campaigns,
        config: d.catalog.config,
        sendQueue: d.sendQueue(),
        failedEvents: d.failedEvents,
        journeys: d.env.JOURNEY_QUEUE_URL ? { journeys: d.catalog.journeys, queue: new SqsJourneyQueue(createSqsClient(), d.env.JOURNEY_QUEUE_URL) } : undefined,
      },
    };
    instance = { deps, handle: createUnsubscribeHandler(deps) };
  }
  instance.deps.secret = secret;
  return instance.handle(event);
};
