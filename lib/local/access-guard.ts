import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBClient, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-dynamodb';
import type { InitializeMiddleware } from '@smithy/types';
import { type AccessName, allows, type DynamoAction } from '../function-access.ts';
import { TABLES, type TableName, type TableNames } from '../tables.ts';

/** An item or key, marshalled (`{ S: 'x' }`) or not yet (the document client marshals later in the stack). */
type Marshalled = Record<string, { S?: string } | string | undefined>;
type Input = {
  TableName?: string;
  Key?: Marshalled;
  Item?: Marshalled;
  RequestItems?: Record<string, { Keys?: Marshalled[] } | { PutRequest?: { Item?: Marshalled }; DeleteRequest?: { Key?: Marshalled } }[]>;
};

/**
 * IAM for the local runtime: every DynamoDB call a handler makes is checked against that
 * function's declaration in lib/function-access.ts, the same one the CDK grants are built
 * from, and refused (AccessDeniedException, as AWS would) when it is not declared. A call
 * outside any handler (a test, the CLI) is not checked.
 */
export class AccessGuard {
  private readonly current = new AsyncLocalStorage<AccessName>();
  private readonly tableOf: Map<string, TableName>;
  /** Every refused call, `function: Action on table`, for tests to assert on. */
  readonly violations: string[] = [];

  constructor(tables: TableNames) {
    this.tableOf = new Map(Object.entries(tables).map(([name, physical]) => [physical, name as TableName]));
  }

  /** Runs the handler as `name`: its DynamoDB calls are checked against that function's access. */
  as<A extends unknown[], R>(name: AccessName, handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return (...args: A) => this.current.run(name, () => handler(...args));
  }

  /** Checks each call against the running handler's declared access; `attach` adds it to a client's stack, and the runtime also runs it directly (lib/local/direct-calls.ts). */
  readonly middleware: InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
    const name = this.current.getStore();
    if (name) {
      const action = context.commandName?.replace(/Command$/, '') as DynamoAction;
      for (const [physical, keys] of this.keysByTable(args.input as Input)) {
        const table = this.tableOf.get(physical);
        if (table && !allows(name, table, action, keys)) {
          const what = `${name}: ${action} on ${table}${keys.length ? ` (${keys.join(', ')})` : ''}`;
          this.violations.push(what);
          throw Object.assign(new Error(`not declared in lib/function-access.ts: ${what}`), { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
        }
      }
    }
    return next(args);
  };

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(this.middleware, { step: 'initialize', name: 'accessGuard', priority: 'high' });
  }

  /** The tables a request touches, with the partition keys of the items it names. */
  private keysByTable(input: Input): [string, string[]][] {
    const partitionKey = (physical: string, item: Marshalled | undefined) => {
      const def = TABLES.find((t) => t.name === this.tableOf.get(physical));
      const value = def && item?.[def.partitionKey];
      return typeof value === 'string' ? value : value?.S;
    };
    const present = (values: (string | undefined)[]) => values.filter((v): v is string => v !== undefined);
    if (input.TableName) return [[input.TableName, present([partitionKey(input.TableName, input.Key ?? input.Item)])]];
    return Object.entries(input.RequestItems ?? {}).map(([physical, request]) => {
      const items = Array.isArray(request) ? request.map((r) => r.PutRequest?.Item ?? r.DeleteRequest?.Key) : (request.Keys ?? []);
      return [physical, present(items.map((item) => partitionKey(physical, item)))];
    });
  }
}
