import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { OutgoingEmail } from '#domain/compose-email.ts';

/**
 * The send failed in a way a retry may fix. `accepted` says whether SES may nevertheless have
 * taken the message: 'no' for an error SES answered with (throttling, a 5xx), 'unknown' when
 * no answer came (timeout, connection reset, a crash after the request left).
 */
export class RetryableSendError extends Error {
  override readonly name = 'RetryableSendError';
  constructor(
    message: string,
    readonly accepted: 'no' | 'unknown',
    options?: { cause?: unknown; throttled?: boolean },
  ) {
    super(message, options);
    this.throttled = options?.throttled ?? false;
  }
  /** SES said the account is sending too fast: wait and try again. */
  readonly throttled: boolean;
}

const THROTTLES = new Set(['TooManyRequestsException', 'LimitExceededException', 'ThrottlingException', 'Throttling']);
/** SES refused the message for good: retrying cannot help. */
export class RejectedSendError extends Error {
  override readonly name = 'RejectedSendError';
}

export interface Mailer {
  /** Sends and returns the SES message id. Throws RetryableSendError or RejectedSendError. */
  send(email: OutgoingEmail): Promise<string>;
}

const PERMANENT = new Set([
  'MessageRejected',
  'BadRequestException',
  'MailFromDomainNotVerifiedException',
  'NotFoundException',
  'AccountSuspendedException',
]);

/**
 * Sends through SES v2 `SendEmail` (simple content, so SES builds the MIME and applies tracking).
 * The client must not retry on its own (`maxAttempts: 1`): the SDK also retries timeouts,
 * after which SES may already have the message. Throttles are retried by PacedMailer instead.
 */
export class SesMailer implements Mailer {
  constructor(private readonly ses: SESv2Client) {}

  async send(email: OutgoingEmail): Promise<string> {
    try {
      const result = await this.ses.send(
        new SendEmailCommand({
          FromEmailAddress: email.from,
          Destination: { ToAddresses: [email.to] },
          ...(email.replyTo ? { ReplyToAddresses: [email.replyTo] } : {}),
          ConfigurationSetName: email.configurationSet,
          EmailTags: email.tags.map(({ name, value }) => ({ Name: name, Value: value })),
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
              Headers: email.headers.map(({ name, value }) => ({ Name: name, Value: value })),
            },
          },
        }),
      );
      if (!result.MessageId) throw new RetryableSendError('SES answered without a MessageId', 'unknown');
      return result.MessageId;
    } catch (error) {
      if (error instanceof RetryableSendError) throw error;
      const name = error instanceof Error ? error.name : 'Unknown';
      const message = error instanceof Error ? error.message : String(error);
      if (PERMANENT.has(name)) throw new RejectedSendError(`${name}: ${message}`, { cause: error });
      // An HTTP status means SES answered: it did not take the message. No status: we cannot know.
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new RetryableSendError(`${name}: ${message}`, status ? 'no' : 'unknown', { cause: error, throttled: THROTTLES.has(name) || status === 429 });
    }
  }
}
