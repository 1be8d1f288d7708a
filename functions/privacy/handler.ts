import { Logger } from '@aws-lambda-powertools/logger';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { IdentityStore } from '#adapters/identity-store.ts';
import { systemClock } from '#domain/clock.ts';
import { TABLES, type TableName } from '#lib/tables.ts';
import { handlePrivacyRequest, type PrivacyHandlerDeps } from './handle-privacy-request.ts';

export const createPrivacyHandler = (deps: PrivacyHandlerDeps) => (event: unknown) => handlePrivacyRequest(event, deps);

/** The tables this function was given (lib/function-access.ts), by their environment variables. */
const tablesFromEnvironment = (): Partial<Record<TableName, string>> =>
  Object.fromEntries(TABLES.flatMap((t) => (process.env[t.envVar] ? [[t.name, process.env[t.envVar]!]] : [])));

let instance: Promise<ReturnType<typeof createPrivacyHandler>> | undefined;
export const handler = async (event: unknown) => {
  instance ??= (async () => {
    const saltArn = process.env.PRIVACY_SALT_SECRET_ARN;
    const tables = tablesFromEnvironment();
    if (!saltArn || !tables.identities) throw new Error('PRIVACY_SALT_SECRET_ARN and IDENTITIES_TABLE must be set (lib/privacy-construct.ts)');
    const salt = await getSecret(saltArn, { maxAge: 86_400 });
    if (typeof salt !== 'string' || !salt) throw new Error(`secret ${saltArn}: expected a SecretString holding the salt`);
    const db = createDocumentClient();
    return createPrivacyHandler({ db, tables, identities: new IdentityStore(db, tables.identities, salt), clock: systemClock, logger: new Logger({ serviceName: 'lifecycle-mailer' }) });
  })().catch((error: unknown) => {
    instance = undefined; // a failed cold start is tried again on the next request
    throw error;
  });
  return (await instance)(event);
};
