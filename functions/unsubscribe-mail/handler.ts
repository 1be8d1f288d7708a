import { lambdaDependencies } from '#adapters/lambda-dependencies.ts';
import { catalogTopics, type UnsubscribeDeps } from '../unsubscribe/unsubscribe.ts';
import { type MailUnsubscribeOutcome, unsubscribeByMail } from './unsubscribe-by-mail.ts';

/** SES receipt rule (Lambda action) target: mails to the List-Unsubscribe `mailto:` address. */
export const createUnsubscribeMailHandler =
  (deps: UnsubscribeDeps) =>
  (event: unknown): Promise<MailUnsubscribeOutcome[]> =>
    unsubscribeByMail(event, deps);

/** A mail carries an unsubscribe token, never a confirmation: nothing is ever queued from here. */
const NOTHING_TO_QUEUE = { enqueue: () => Promise.reject(new Error('the unsubscribe mailbox queues no sends')) };

let instance: { deps: UnsubscribeDeps; handle: ReturnType<typeof createUnsubscribeMailHandler> } | undefined;
export const handler = async (event: unknown) => {
  const d = lambdaDependencies();
  const secret = await d.signingKeys();
  if (!instance) {
    const deps: UnsubscribeDeps = {
      customers: d.customers,
      ledger: d.ledger,
      clock: d.clock,
      logger: d.logger,
      secret,
      topics: catalogTopics(d.catalog),
      onConfirmed: { campaigns: [], config: d.catalog.config, sendQueue: NOTHING_TO_QUEUE, failedEvents: d.failedEvents },
    };
    instance = { deps, handle: createUnsubscribeMailHandler(deps) };
  }
  instance.deps.secret = secret;
  return instance.handle(event);
};
