import type { ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HandlerExecutionContext, InitializeHandler, InitializeMiddleware } from '@smithy/types';

type Middleware = InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes>;

/** A call `sendDirectly` took and that none of its chain answered: the chain's last middleware was to. */
export class DirectCallNotAnsweredError extends Error {
  override readonly name = 'DirectCallNotAnsweredError';
  constructor(readonly commandName: string) {
    super(`${commandName} was sent directly to the in-process middlewares, and none of them answered it`);
  }
}

/**
 * Sends each of the document client's calls that `inProcess` says its last middleware answers
 * (the write-behind tables') through `chain` alone: the runtime's own initialize middlewares,
 * in the order the client's stack runs them. Through the client, the SDK would first clone, sort
 * and link its whole stack (some forty middlewares) for every call, and then run none of it past
 * `chain`, whose last member answers the call without passing it on. Any other call (another
 * table, the low-level client's commands, a call with options or a callback) is sent as before.
 */
export function sendDirectly(client: DynamoDBDocumentClient, chain: readonly Middleware[], inProcess: (commandName: string, input: ServiceInputTypes) => boolean): void {
  const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const direct = (command: { input: ServiceInputTypes; clientCommand: object }) => {
    const commandName = command.clientCommand.constructor.name;
    if (!inProcess(commandName, command.input)) return undefined;
    const context: HandlerExecutionContext = { clientName: 'DynamoDBClient', commandName };
    const unanswered: InitializeHandler<ServiceInputTypes, ServiceOutputTypes> = () => Promise.reject(new DirectCallNotAnsweredError(commandName));
    const handler = chain.reduceRight<InitializeHandler<ServiceInputTypes, ServiceOutputTypes>>((next, middleware) => middleware(next, context), unanswered);
    return handler({ input: command.input }).then((result) => result.output);
  };
  client.send = ((...args: unknown[]) => {
    const [command] = args as [{ input?: ServiceInputTypes; clientCommand?: object } | undefined];
    const answered = args.length === 1 && command?.input && command.clientCommand ? direct(command as { input: ServiceInputTypes; clientCommand: object }) : undefined;
    return answered ?? send(...args);
  }) as DynamoDBDocumentClient['send'];
}
