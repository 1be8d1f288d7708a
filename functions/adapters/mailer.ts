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

/**
 * SES refused because of the account or its setup, not this message: every send would fail the
 * same way until someone fixes it. The message was not taken (SES answered), so the claim goes
 * back and the send is retried later; all marketing pauses with this reason until a person resumes.
 */
export class SystemicSendError extends Error {
  override readonly name = 'SystemicSendError';
  constructor(
    /** The SES error name, e.g. AccountSuspendedException. */
    readonly sesError: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Mailer {
  /** Sends and returns the SES message id. Throws RetryableSendError, SystemicSendError or RejectedSendError. */
  send(email: OutgoingEmail): Promise<string>;
}

const PERMANENT = new Set(['MessageRejected', 'BadRequestException', 'NotFoundException']);

/** Errors that say nothing about the message and everything about the account (SES v2 SendEmail). */
const ACCOUNT_LEVEL = new Set(['AccountSuspendedException', 'SendingPausedException', 'MailFromDomainNotVerifiedException']);

/** Account-level: one of the names above, or the configuration set every message names is missing. */
export function isAccountLevel(name: string, message: string): boolean {
  return ACCOUNT_LEVEL.has(name) || (name === 'NotFoundException' && /configuration set/i.test(message));
}

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
      if (isAccountLevel(name, message)) throw new SystemicSendError(name, `${name}: ${message}`, { cause: error });
      if (PERMANENT.has(name)) throw new RejectedSendError(`${name}: ${message}`, { cause: error });
      // An HTTP status means SES answered: it did not take the message. No status: we cannot know.
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new RetryableSendError(`${name}: ${message}`, status ? 'no' : 'unknown', { cause: error, throttled: THROTTLES.has(name) || status === 429 });
    }
  }
}
