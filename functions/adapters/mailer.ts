import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { OutgoingEmail } from '#domain/compose-email.ts';

/** SES did not take the message, but may later: the queue should retry it. */
export class RetryableSendError extends Error {
  override readonly name = 'RetryableSendError';
}
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

/** Sends through SES v2 `SendEmail` (simple content, so SES builds the MIME and applies tracking). */
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
      if (!result.MessageId) throw new RetryableSendError('SES answered without a MessageId');
      return result.MessageId;
    } catch (error) {
      if (error instanceof RetryableSendError) throw error;
      const name = error instanceof Error ? error.name : 'Unknown';
      const message = error instanceof Error ? error.message : String(error);
      if (PERMANENT.has(name)) throw new RejectedSendError(`${name}: ${message}`, { cause: error });
      throw new RetryableSendError(`${name}: ${message}`, { cause: error });
    }
  }
}
